package pace

import (
	"testing"
	"time"
)

// TestLimiterSpacesLogins checks the schedule, not the clock: slots booked
// at once are 1/rate apart; after an idle spell the next slot is "now", not
// a burst of the slots missed meanwhile.
func TestLimiterSpacesLogins(t *testing.T) {
	tests := []struct {
		rate float64
		step time.Duration
	}{
		{10, 100 * time.Millisecond},
		{4, 250 * time.Millisecond},
		{0.5, 2 * time.Second},
	}
	for _, tt := range tests {
		l := New(tt.rate)
		t0 := time.Unix(1000, 0)
		for i := 0; i < 5; i++ {
			if got, want := l.Reserve(t0), t0.Add(time.Duration(i)*tt.step); !got.Equal(want) {
				t.Errorf("rate %v: slot %d at %v, want %v", tt.rate, i, got.Sub(t0), want.Sub(t0))
			}
		}
		later := t0.Add(time.Hour)
		if got := l.Reserve(later); !got.Equal(later) {
			t.Errorf("rate %v: after idling, slot at %v, want now", tt.rate, got.Sub(t0))
		}
		if got := l.Reserve(later); !got.Equal(later.Add(tt.step)) {
			t.Errorf("rate %v: no spacing after idling", tt.rate)
		}
	}
	if l := New(0); l.interval != 0 {
		t.Errorf("rate 0 limits")
	}
}

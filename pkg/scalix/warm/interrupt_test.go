package warm

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingWarmer counts attempts, and the attempts that returned; each
// fails transiently when flaky.
type countingWarmer struct {
	calls, returned atomic.Int32
	flaky           bool
}

func (w *countingWarmer) WarmOnce(u User) Result {
	w.calls.Add(1)
	defer w.returned.Add(1)
	if w.flaky {
		return Result{Err: Transient(errors.New("connection lost"))}
	}
	return Result{Folders: []FolderResult{{Name: "INBOX", Status: StatusOK}}}
}

// TestNoLoginAfterInterrupt: after cancellation neither users waiting for a
// --rate slot nor users waiting to retry log in again.
func TestNoLoginAfterInterrupt(t *testing.T) {
	cases := []struct {
		name      string
		plan      Plan
		flaky     bool
		wantCalls int32
		wantOut   int // results reported
	}{
		{"waiting for a rate slot", Plan{Jobs: 4, Rate: 0.01}, false, 1, 1},
		{"waiting to retry", Plan{Jobs: 1, Retries: 5, Backoff: time.Hour}, true, 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := &countingWarmer{flaky: c.flaky}
			var users []User
			for i := 1; i <= 10; i++ {
				users = append(users, User{Login: "u", Index: i})
			}
			ctx, cancel := context.WithCancel(context.Background())
			var mu sync.Mutex
			var out []Result
			done := make(chan struct{})
			go func() {
				Run(ctx, w, c.plan, users, func(r Result) { mu.Lock(); out = append(out, r); mu.Unlock() })
				close(done)
			}()
			// The first attempt has returned: the engine now waits (for
			// a rate slot, or to retry), which is when the interrupt
			// must keep it from logging in again.
			for deadline := time.Now().Add(5 * time.Second); w.returned.Load() == 0; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the first attempt never returned")
				}
			}
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return after the interrupt")
			}
			if got := w.calls.Load(); got != c.wantCalls {
				t.Errorf("%d logins, want %d", got, c.wantCalls)
			}
			if len(out) != c.wantOut {
				t.Errorf("%d results reported, want %d (users never started stay to be done)", len(out), c.wantOut)
			}
		})
	}
}

// TestMaxFailures: failures are counted as they happen; once the limit is
// reached no new user starts, the ones in flight are reported, and Run
// says why it stopped.
func TestMaxFailures(t *testing.T) {
	for _, jobs := range []int{1, 4} {
		w := &countingWarmer{flaky: true}
		users := make([]User, 100)
		for i := range users {
			users[i] = User{Login: "u" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Index: i + 1}
		}
		var reported atomic.Int32
		err := Run(context.Background(), w, Plan{Jobs: jobs, MaxFailures: 3}, users, func(Result) { reported.Add(1) })
		if !errors.Is(err, ErrMaxFailures) || !strings.Contains(err.Error(), "3 users failed with a lost connection or a timeout") {
			t.Errorf("-j %d: Run returned %v", jobs, err)
		}
		calls := w.calls.Load()
		if calls < 3 || calls > int32(3+jobs-1) {
			t.Errorf("-j %d: %d users tried, want 3 to %d", jobs, calls, 3+jobs-1)
		}
		if reported.Load() != calls {
			t.Errorf("-j %d: %d tried, %d reported", jobs, calls, reported.Load())
		}
	}
}

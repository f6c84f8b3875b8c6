package ctxrowscli

import (
	"testing"
)

func TestContextRange(t *testing.T) {
	cases := []struct {
		start, end, count int64
		ok                bool
		wantEnd           int64
	}{
		{1, 10, 0, true, 10},
		{5, 5, 0, true, 5},
		{5, 0, 3, true, 7},
		{5, 4, 0, false, 0},
		{0, 4, 0, false, 0},
		{1, 0, 0, false, 0},
		{1, 5, 5, false, 0},
		{1, 1 << 40, 0, false, 0},
		{2, 0, 1 << 31, false, 0},
	}
	for _, c := range cases {
		_, end, err := contextRange(c.start, c.end, c.count)
		if (err == nil) != c.ok || (c.ok && end != c.wantEnd) {
			t.Errorf("contextRange(%d,%d,%d) = %d, %v", c.start, c.end, c.count, end, err)
		}
	}
}

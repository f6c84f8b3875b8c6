// Package pace spaces the starts of work evenly: at most a rate a second
// across every goroutine that asks (sxwarm's logins, ctxcreate's creates).
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package pace

import (
	"context"
	"sync"
	"time"
)

// Limiter books start slots 1/rate apart.
type Limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

// New returns a limiter of rate starts a second; rate 0 or less limits
// nothing.
func New(rate float64) *Limiter {
	if rate <= 0 {
		return &Limiter{}
	}
	return &Limiter{interval: time.Duration(float64(time.Second) / rate)}
}

// Wait waits for the next slot, or until ctx ends.
func (l *Limiter) Wait(ctx context.Context) {
	if l.interval == 0 {
		return
	}
	t := time.NewTimer(time.Until(l.Reserve(time.Now())))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Reserve books the next slot at or after now and returns its time: after
// an idle spell the next slot is now, not a burst of the slots missed.
func (l *Limiter) Reserve(now time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.next.Before(now) {
		l.next = now
	}
	at := l.next
	l.next = l.next.Add(l.interval)
	return at
}

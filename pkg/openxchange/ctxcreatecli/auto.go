package ctxcreatecli

import (
	"sync"

	"provpipe/pkg/shared/autojobs"
)

// tuner runs -j auto's controller on the contexts finished (the work done)
// and their seconds.
type tuner struct {
	c    *Command
	mu   *sync.Mutex
	sum  *summary
	ctl  *autojobs.Controller
	halt func()
}

func (c *Command) tuner(mu *sync.Mutex, sum *summary) *tuner {
	return &tuner{c: c, mu: mu, sum: sum, ctl: autojobs.New(autojobs.Config{Min: 1, Max: c.maxStreams}), halt: func() {}}
}

// start is the engine's Control.
func (t *tuner) start(setStreams func(int)) {
	read := func() autojobs.Counters {
		t.mu.Lock()
		defer t.mu.Unlock()
		n := t.sum.total()
		return autojobs.Counters{Work: float64(n), Items: n, Seconds: t.sum.secondsTotal}
	}
	set := func(n int) {
		setStreams(n)
		t.mu.Lock()
		t.sum.level = n
		t.mu.Unlock()
	}
	var debug func(string)
	if t.c.Debug {
		debug = func(why string) { t.c.env.Warnf("ctxcreate", "-j auto: %s", why) }
	}
	t.halt = autojobs.Loop(t.ctl, t.c.AutoInterval, read, set, debug)
}

func (t *tuner) stop() { t.halt() }

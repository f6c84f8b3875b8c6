package ctxcreatecli

import (
	"sync"
	"time"

	"provpipe/pkg/shared/autojobs"
)

// tunerInterval is how often -j auto looks at the figures.
const tunerInterval = 2 * time.Second

// tuner feeds -j auto's controller the contexts finished in each interval
// and their mean latency, and sets the streams it decides.
type tuner struct {
	c    *Command
	mu   *sync.Mutex
	sum  *summary
	ctl  *autojobs.Controller
	done chan struct{}
	wg   sync.WaitGroup
}

func (c *Command) tuner(mu *sync.Mutex, sum *summary) *tuner {
	return &tuner{c: c, mu: mu, sum: sum, ctl: autojobs.New(autojobs.Config{Min: 1, Max: c.maxStreams}), done: make(chan struct{})}
}

// start is the engine's Control: it runs the loop until stop.
func (t *tuner) start(setStreams func(int)) {
	setStreams(t.ctl.Level())
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		tick := time.NewTicker(tunerInterval)
		defer tick.Stop()
		last := time.Now()
		t.mu.Lock()
		count, secs := t.sum.total(), t.sum.secondsTotal
		t.mu.Unlock()
		for {
			select {
			case <-t.done:
				return
			case now := <-tick.C:
				t.mu.Lock()
				n, s := t.sum.total()-count, t.sum.secondsTotal-secs
				count, secs = t.sum.total(), t.sum.secondsTotal
				t.mu.Unlock()
				if n == 0 {
					continue // nothing finished: no figure to judge by
				}
				latency := time.Duration(s / float64(n) * float64(time.Second))
				level, why := t.ctl.Observe(float64(n), latency, now.Sub(last))
				last = now
				setStreams(level)
				t.mu.Lock()
				t.sum.level = level
				t.mu.Unlock()
				if t.c.Debug {
					t.c.env.Warnf("ctxcreate", "-j auto: %s", why)
				}
			}
		}
	}()
}

func (t *tuner) stop() {
	select {
	case <-t.done:
	default:
		close(t.done)
	}
	t.wg.Wait()
}

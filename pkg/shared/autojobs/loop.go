package autojobs

import (
	"sync"
	"time"
)

// Counters are a run's running totals: work done (messages, contexts), the
// items finished, and the sum of their seconds.
type Counters struct {
	Work    float64
	Items   int
	Seconds float64
}

// Loop feeds ctl every interval with what the run did since the last
// time (read returns the running totals), applies the level it decides
// with set, and passes each decision's words to debug (nil: none). An
// interval in which nothing finished is skipped: there is no figure to
// judge by. stop ends the loop and waits for it.
func Loop(ctl *Controller, interval time.Duration, read func() Counters, set func(int), debug func(string)) (stop func()) {
	set(ctl.Level())
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		last, before := time.Now(), read()
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				c := read()
				items := c.Items - before.Items
				if items == 0 {
					continue
				}
				latency := time.Duration((c.Seconds - before.Seconds) / float64(items) * float64(time.Second))
				level, why := ctl.Observe(c.Work-before.Work, latency, now.Sub(last))
				last, before = now, c
				set(level)
				if debug != nil {
					debug(why)
				}
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

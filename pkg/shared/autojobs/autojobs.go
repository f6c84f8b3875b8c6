// Package autojobs finds how many requests in flight a server takes
// (-j auto): the level where more of them stop adding work done and only
// add latency, as Open-Xchange's guide tells operators to find by hand and
// as TCP Vegas and the gradient limiters of request-serving systems find
// it, from throughput and latency measured as the run goes.
//
// The controller is fed one sample per interval: the work done in it
// (messages or bytes for warming, contexts for creation: not items, whose
// sizes differ by orders of magnitude) and the mean latency of the items
// finished in it. It probes upward, doubling while work done rises,
// steps back to the best level seen when a level adds latency without work,
// and from time to time probes one step up and one step down again, so it
// follows a server whose capacity changes during a long run.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package autojobs

import (
	"fmt"
	"time"
)

// Config bounds the controller.
type Config struct {
	Min, Max int // levels allowed; Min defaults to 1
	// Reprobe is how many steady samples pass between probes; 0: 8.
	Reprobe int
}

// Controller decides the level. It is not safe for concurrent use: one
// loop feeds it.
type Controller struct {
	cfg     Config
	level   int
	phase   phase
	seen    map[int]*estimate // per level, what it gave
	base    int               // the level a probe started from
	steady  int               // samples since the last probe
	up      bool              // the next probe's direction
	visited [2]int            // lowest and highest level used
}

type phase int

const (
	rising  phase = iota // doubling while work done rises
	holding              // at the best level found
	probing              // trying a neighbour of base
)

// estimate is a level's recent throughput and latency, smoothed.
type estimate struct {
	work, latency float64 // per second; seconds
	n             int
}

func (e *estimate) add(work, latency float64) {
	const alpha = 0.5 // recent samples count most: capacity changes
	if e.n == 0 {
		e.work, e.latency = work, latency
	} else {
		e.work = alpha*work + (1-alpha)*e.work
		e.latency = alpha*latency + (1-alpha)*e.latency
	}
	e.n++
}

// New returns a controller starting at cfg.Min.
func New(cfg Config) *Controller {
	cfg.Min = max(cfg.Min, 1)
	cfg.Max = max(cfg.Max, cfg.Min)
	if cfg.Reprobe <= 0 {
		cfg.Reprobe = 8
	}
	return &Controller{cfg: cfg, level: cfg.Min, seen: map[int]*estimate{}, visited: [2]int{cfg.Min, cfg.Min}}
}

// Level is the level to run at now.
func (c *Controller) Level() int { return c.level }

// Visited is the lowest and the highest level used so far.
func (c *Controller) Visited() (lo, hi int) { return c.visited[0], c.visited[1] }

// worthIt: a higher level earns its place when it adds more than gain of
// work done, and at least a quarter as much work as it adds latency: more
// sessions that mostly wait in the server's queue add latency for little
// work, which is the guide's cue to use fewer.
func worthIt(lower, higher *estimate) bool {
	workGain := higher.work/max(lower.work, 1e-9) - 1
	latencyGain := higher.latency/max(lower.latency, 1e-9) - 1
	return workGain > gain && workGain >= latencyGain/4
}

// samplesPerLevel: a level is judged on this many samples, not one.
const samplesPerLevel = 2

// Thresholds: a level must add more than gain of work done to be worth it;
// latency rising more than pain without that gain means the server queues.
const (
	gain = 0.10
	pain = 0.15
)

// Observe takes one interval's sample (work done, the mean latency of the
// items finished in it, the interval's length) and returns the level for
// the next interval and, for --debug, why.
func (c *Controller) Observe(work float64, latency, interval time.Duration) (int, string) {
	if interval <= 0 {
		return c.level, "no interval"
	}
	rate := work / interval.Seconds()
	cur := c.at(c.level)
	cur.add(rate, latency.Seconds())
	if c.phase != holding && cur.n < samplesPerLevel {
		return c.level, fmt.Sprintf("%.1f/s at latency %.3fs: measuring %d", rate, latency.Seconds(), c.level)
	}
	why := ""
	switch c.phase {
	case rising:
		why = c.rise(cur)
	case holding:
		why = c.hold(cur)
	case probing:
		why = c.probe(cur)
	}
	c.visited[0], c.visited[1] = min(c.visited[0], c.level), max(c.visited[1], c.level)
	return c.level, fmt.Sprintf("%.1f/s at latency %.3fs: %s", rate, latency.Seconds(), why)
}

func (c *Controller) at(level int) *estimate {
	e := c.seen[level]
	if e == nil {
		e = &estimate{}
		c.seen[level] = e
	}
	return e
}

// rise doubles the level while each doubling adds work done.
func (c *Controller) rise(cur *estimate) string {
	prev := c.seen[c.base]
	if c.level != c.base && prev != nil && !worthIt(prev, cur) {
		c.level, c.phase, c.steady = c.base, holding, 0
		return fmt.Sprintf("level %d added too little work over %d (%.1f/s vs %.1f/s, latency %.3fs vs %.3fs): back to %d",
			c.lastTried(), c.base, cur.work, prev.work, cur.latency, prev.latency, c.base)
	}
	if c.level >= c.cfg.Max {
		c.phase, c.steady = holding, 0
		return fmt.Sprintf("at the maximum %d", c.level)
	}
	c.base, c.level = c.level, min(c.level*2, c.cfg.Max)
	return fmt.Sprintf("work rose: up to %d", c.level)
}

func (c *Controller) lastTried() int {
	hi := c.base
	for l := range c.seen {
		hi = max(hi, l)
	}
	return hi
}

// hold stays at the level, and after Reprobe samples tries a neighbour:
// one step up (more work?) or down (the same work with less latency?),
// in turn.
func (c *Controller) hold(cur *estimate) string {
	c.steady++
	if c.steady < c.cfg.Reprobe {
		return fmt.Sprintf("holding %d", c.level)
	}
	c.steady = 0
	step := max(1, c.level/4)
	c.base = c.level
	c.up = !c.up
	next := c.level + step
	if !c.up || next > c.cfg.Max {
		next = c.level - step
	}
	if next < c.cfg.Min {
		return fmt.Sprintf("holding %d (no neighbour to try)", c.level)
	}
	delete(c.seen, next) // what a neighbour gave long ago no longer counts
	c.level, c.phase = next, probing
	return fmt.Sprintf("probing %d from %d", next, c.base)
}

// probe judges the neighbour against base: up is kept when it adds work,
// down when it keeps the work with less latency (or base lost its work:
// the server's capacity fell).
func (c *Controller) probe(cur *estimate) string {
	base := c.at(c.base)
	tried := c.level
	keep := false
	if tried > c.base {
		keep = worthIt(base, cur)
	} else {
		keep = cur.work >= base.work*(1-gain/2) || cur.latency < base.latency/(1+pain) && cur.work >= base.work*(1-gain)
	}
	why := fmt.Sprintf("%d gives %.1f/s at %.3fs against %d's %.1f/s at %.3fs", tried, cur.work, cur.latency, c.base, base.work, base.latency)
	c.phase, c.steady = holding, 0
	if !keep {
		c.level = c.base
		return why + fmt.Sprintf(": back to %d", c.base)
	}
	if tried > c.base {
		// More was better: probe up again at once, a step at a time
		// (doubling is for the start, far from the server's level).
		c.steady, c.up = c.cfg.Reprobe-1, false
	}
	return why + fmt.Sprintf(": keeping %d", tried)
}

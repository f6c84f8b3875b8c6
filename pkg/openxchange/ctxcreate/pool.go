package ctxcreate

import (
	"strconv"
	"sync"
)

// scheduler hands jobs to streams so that no two streams create into one
// unit (schema or database) at once: a job whose unit is busy waits in its
// unit's queue while the jobs of other units go on, so one slow schema
// never stalls the run. Units take turns in the order they became ready.
type scheduler struct {
	mu         sync.Mutex
	cond       *sync.Cond
	queues     map[string][]*Job
	ready      []string // units with a queued job and no job in flight
	busy       map[string]bool
	pending    int  // jobs queued, not yet taken
	limit      int  // pending jobs at most: the reader waits beyond
	closed     bool // no more jobs will be put
	stopped    bool // take returns nil from now on
	noAffinity bool
	anonymous  int
	level      int // streams allowed to take jobs: stream i takes while i < level
}

func newScheduler(limit int, noAffinity bool) *scheduler {
	s := &scheduler{queues: map[string][]*Job{}, busy: map[string]bool{}, limit: limit, noAffinity: noAffinity, level: 1 << 30}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// put queues j, waiting while limit jobs are queued; false once stopped.
func (s *scheduler) put(j *Job) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.pending >= s.limit && !s.stopped {
		s.cond.Wait()
	}
	if s.stopped {
		return false
	}
	j.unit = j.Unit()
	if j.unit == "" || s.noAffinity {
		s.anonymous++
		j.unit = "#" + strconv.Itoa(s.anonymous) // a unit of its own
	}
	s.queues[j.unit] = append(s.queues[j.unit], j)
	if !s.busy[j.unit] && len(s.queues[j.unit]) == 1 {
		s.ready = append(s.ready, j.unit)
	}
	s.pending++
	s.cond.Broadcast()
	return true
}

// close says no more jobs come.
func (s *scheduler) close() {
	s.mu.Lock()
	s.closed = true
	s.cond.Broadcast()
	s.mu.Unlock()
}

// stop makes take return nil and put false: the run is over (a signal,
// --max-failures).
func (s *scheduler) stop() {
	s.mu.Lock()
	s.stopped = true
	s.cond.Broadcast()
	s.mu.Unlock()
}

// setLevel lets streams 0..n-1 take jobs; the others wait (a stream busy
// with a job finishes it first). The pool's size can so change while it
// runs.
func (s *scheduler) setLevel(n int) {
	s.mu.Lock()
	s.level = max(n, 1)
	s.cond.Broadcast()
	s.mu.Unlock()
}

// take returns the next job whose unit is free and marks the unit busy,
// waiting for one, and while stream is not below the level; nil when there
// is none left or the run stopped.
func (s *scheduler) take(stream int) *Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	for (len(s.ready) == 0 || stream >= s.level) && !s.stopped && !(s.closed && s.pending == 0) {
		s.cond.Wait()
	}
	if s.stopped || len(s.ready) == 0 {
		return nil
	}
	unit := s.ready[0]
	s.ready = s.ready[1:]
	q := s.queues[unit]
	j := q[0]
	if len(q) == 1 {
		delete(s.queues, unit)
	} else {
		s.queues[unit] = q[1:]
	}
	s.busy[unit] = true
	s.pending--
	s.cond.Broadcast()
	return j
}

// done frees j's unit for its next job.
func (s *scheduler) done(j *Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.busy, j.unit)
	if len(s.queues[j.unit]) > 0 {
		s.ready = append(s.ready, j.unit)
	}
	s.cond.Broadcast()
}

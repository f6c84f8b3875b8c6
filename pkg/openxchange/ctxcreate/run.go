package ctxcreate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"provpipe/pkg/openxchange/oxsoap"
	"provpipe/pkg/shared/pace"
)

// Creator is the API: oxsoap.Client, or a test's.
type Creator interface {
	Create(ctx context.Context, r *oxsoap.CreateRequest) error
	Exists(ctx context.Context, id string) (bool, error)
}

// Outcome of one context.
type Outcome string

const (
	Created Outcome = "created" // this run created it
	Existed Outcome = "exists"  // it existed before this run
	Failed  Outcome = "failed"
)

// Result is one context's outcome.
type Result struct {
	Job      *Job
	Outcome  Outcome
	Err      error // the last fault or error: why it failed, or OX's words that it existed
	Seconds  float64
	Attempts int
}

// Plan says how to run.
type Plan struct {
	Streams     int           // requests in flight at most
	Rate        float64       // creates per second at most; 0: no cap
	Retries     int           // retries of a transient failure
	Backoff     time.Duration // the first retry's wait, doubled each time, jittered
	MaxFailures int           // stop starting contexts after this many failed; 0: never
	NoAffinity  bool          // allow two creates into one schema at once (for comparison only)
	Queue       int           // rows read ahead; 0: 4096
	// MaxStreams bounds what Control may set the streams to; 0: Streams.
	MaxStreams int
	// Control, when set, is called once the streams start, with a func
	// that changes how many of them take contexts (1..MaxStreams) while
	// the run goes on: what a controller of the level (-j auto) uses.
	Control func(setStreams func(n int))
}

// LoginError: the first context's create was refused for the master
// credentials; nothing else was sent.
type LoginError struct{ Err error }

func (e *LoginError) Error() string { return "login check: " + e.Err.Error() }
func (e *LoginError) Unwrap() error { return e.Err }

// ErrMaxFailures: --max-failures stopped the run.
var ErrMaxFailures = errors.New("too many failures")

// Run creates the context of every job next returns, calling report with
// each result (one call at a time). The first job runs alone: a refused
// login ends the run with a *LoginError before anything else is sent.
// When ctx ends, no new create starts; those in flight finish and are
// reported. It returns next's error, a *LoginError, ErrMaxFailures or
// ctx's cause.
func Run(ctx context.Context, c Creator, plan Plan, next func() (*Job, error), report func(Result)) error {
	r := &run{c: c, plan: plan, report: report, pace: pace.New(plan.Rate)}
	first, err := next()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	res := r.create(first)
	var f *oxsoap.Fault
	if res.Outcome == Failed && errors.As(res.Err, &f) && f.Was("InvalidCredentialsException") {
		return &LoginError{Err: res.Err}
	}
	r.record(res)
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return r.rest(ctx, next)
}

type run struct {
	c      Creator
	plan   Plan
	report func(Result)
	pace   *pace.Limiter

	mu        sync.Mutex
	failed    int
	stopErr   error
	stopSched func()
}

// rest runs the jobs after the first on plan.Streams streams.
func (r *run) rest(ctx context.Context, next func() (*Job, error)) error {
	queue := r.plan.Queue
	if queue <= 0 {
		queue = 4096
	}
	s := newScheduler(queue, r.plan.NoAffinity)
	stop := context.AfterFunc(ctx, s.stop)
	defer stop()
	r.mu.Lock()
	r.stopSched = s.stop
	r.mu.Unlock()
	streams := max(r.plan.Streams, 1)
	pool := max(r.plan.MaxStreams, streams)
	s.setLevel(streams)
	var wg sync.WaitGroup
	for i := range pool {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := s.take(i); j != nil; j = s.take(i) {
				r.record(r.create(j))
				s.done(j)
			}
		}()
	}
	if r.plan.Control != nil {
		r.plan.Control(func(n int) { s.setLevel(min(n, pool)) })
	}
	var readErr error
	for {
		j, err := next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
				s.stop()
			}
			break
		}
		if !s.put(j) {
			break
		}
	}
	s.close()
	wg.Wait()
	switch {
	case readErr != nil:
		return readErr
	case ctx.Err() != nil:
		return context.Cause(ctx)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopErr
}

// record reports res, and stops the run once MaxFailures contexts failed.
func (r *run) record(res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.report(res)
	if res.Outcome != Failed {
		return
	}
	r.failed++
	if r.plan.MaxFailures > 0 && r.failed >= r.plan.MaxFailures && r.stopErr == nil {
		r.stopErr = fmt.Errorf("%w: %d contexts failed (--max-failures %d)", ErrMaxFailures, r.failed, r.plan.MaxFailures)
		if r.stopSched != nil {
			go r.stopSched()
		}
	}
}

// create creates one context: transient faults retried with backoff, a
// lost answer resolved by asking whether the context exists.
func (r *run) create(j *Job) Result {
	start := time.Now()
	res := Result{Job: j}
	// Requests are not bound to the run's context: one in flight when a
	// signal comes finishes, so its outcome is known and reported.
	bg := context.Background()
	for res.Attempts = 1; ; res.Attempts++ {
		r.pace.Wait(bg)
		err := r.c.Create(bg, &j.Request)
		outcome, retry := r.judge(bg, j, err, res.Attempts)
		res.Err = err
		if !retry || res.Attempts > r.plan.Retries {
			if retry {
				outcome = Failed
			}
			res.Outcome = outcome
			break
		}
		time.Sleep(r.backoff(res.Attempts))
	}
	if res.Outcome == Created {
		res.Err = nil
	}
	res.Seconds = time.Since(start).Seconds()
	return res
}

// judge tells what an attempt's error means for the context, and whether
// to send it again.
func (r *run) judge(ctx context.Context, j *Job, err error, attempt int) (Outcome, bool) {
	var fault *oxsoap.Fault
	var lost *oxsoap.LostError
	var status *oxsoap.HTTPError
	switch {
	case err == nil:
		return Created, false
	case errors.As(err, &fault) && fault.Was("ContextExistsException"):
		if attempt == 1 {
			return Existed, false
		}
		// An earlier attempt of this run made it: its answer was lost
		// or came as a transient fault after the commit.
		return Created, false
	case errors.As(err, &fault):
		return Failed, fault.Transient()
	case errors.As(err, &lost):
		if exists, ok := r.exists(ctx, j.ID()); ok && exists {
			return Created, false
		}
		return Failed, true
	case errors.As(err, &status):
		return Failed, status.Transient()
	}
	return Failed, true // a connection refused or reset before sending
}

// exists asks, a few times if need be, whether the context exists; ok is
// false when no answer came.
func (r *run) exists(ctx context.Context, id string) (exists, ok bool) {
	for i := range 3 {
		e, err := r.c.Exists(ctx, id)
		if err == nil {
			return e, true
		}
		time.Sleep(r.backoff(i + 1))
	}
	return false, false
}

// backoff is the wait before retry n: Backoff doubled each time, up to a
// minute, with up to half of it random so streams do not retry in step.
func (r *run) backoff(n int) time.Duration {
	d := r.plan.Backoff << min(n-1, 10)
	d = min(d, time.Minute)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

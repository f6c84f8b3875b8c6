// Package warm is the warming engine: it runs a Warmer over the users with
// -j sessions, a login rate, retries of what a warmer marks transient, a
// first user warmed alone as the login check and --max-failures, and hands
// results on in input order. It knows no protocol: imapwarm and platform
// are its warmers, each classifying its own errors with Transient and
// AuthFailed.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package warm

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"provpipe/pkg/shared/cli"
	"provpipe/pkg/shared/pace"
)

// User statuses.
const (
	UserOK      = "ok"
	UserPartial = "partial"
	UserFailed  = "failed"
	UserSkipped = "skipped"
)

// Result is the final outcome for one user, reported once.
type Result struct {
	User     User
	Of       int
	Status   string
	Seconds  float64
	Folders  []FolderResult
	Err      error // why the user failed (login, connection), if it did
	Attempts int
	// LoginOnly: the login was checked and nothing warmed (--check).
	LoginOnly bool
	// StatusFolders counts the other folders asked for their STATUS after
	// warming (sxwarm --status).
	StatusFolders int
	// Offered holds the user's selectable folders, listed when a folder was
	// missing and the user had ListIfMissing.
	Offered []string
}

// Missing counts folders reported missing.
func (r *Result) Missing() int {
	n := 0
	for _, f := range r.Folders {
		if f.Status == StatusMissing {
			n++
		}
	}
	return n
}

// Plan is what a run does beyond connecting.
type Plan struct {
	Jobs    int
	Rate    float64 // logins per second across all sessions; 0: no cap
	Retries int
	Backoff time.Duration // first retry delay; doubles each time
	Skip    map[string]bool
	Strict  bool // a missing folder fails the user
	// Of is the input's full length, the M of "N of M"; 0 means len(users).
	// It differs when users already warmed were left out (--done).
	Of int
	// CheckFirst warms the first user alone before the others start: if the
	// server refuses that login, Run stops with a LoginRefusedError before
	// any other user is tried (a wrong password or --auth is found at once,
	// not one refused user at a time, each costing the server's
	// failed-login delay).
	CheckFirst bool
	// MaxFailures stops starting new users once this many users failed in
	// the same way (see FailureKind), counted as they fail, not as they are
	// reported; 0: never.
	MaxFailures int
	// MaxJobs bounds what Control may set the sessions to; 0: Jobs.
	MaxJobs int
	// Control, when set, is called once the sessions start, with a func
	// that changes how many of them warm users (1..MaxJobs) while the run
	// goes on: what -j auto's controller uses.
	Control func(setJobs func(n int))
}

// ErrMaxFailures is Run's error when Plan.MaxFailures stopped it; users in
// flight then were finished and reported, the others not started.
var ErrMaxFailures = errors.New("stopped after too many failed users")

// LoginRefusedError is the refusal of the first user's login under
// Plan.CheckFirst. Nothing else was tried.
type LoginRefusedError struct {
	User User
	Err  error
}

func (e *LoginRefusedError) Error() string { return e.Err.Error() }
func (e *LoginRefusedError) Unwrap() error { return e.Err }

// Warmer makes one attempt at warming one user's folders. Its errors say
// whether a retry may help: see Transient and AuthFailed.
type Warmer interface {
	WarmOnce(u User) Result
}

// Run warms users with plan.Jobs sessions at once and calls emit once per
// user, in input order, from one goroutine at a time. When ctx is cancelled
// no new user is started; users in flight finish their current attempt.
// Its errors: a LoginRefusedError under plan.CheckFirst, ErrMaxFailures.
func Run(ctx context.Context, w Warmer, plan Plan, users []User, emit func(Result)) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var mu sync.Mutex
	failures := map[string]int{} // per FailureKind
	stoppedBy := ""
	tooMany := func(r Result) bool {
		if plan.MaxFailures == 0 || r.Status != UserFailed && r.Status != UserPartial {
			return false
		}
		kind := FailureKind(r)
		mu.Lock()
		defer mu.Unlock()
		if failures[kind]++; failures[kind] >= plan.MaxFailures && stoppedBy == "" {
			stoppedBy = kind
		}
		return stoppedBy != ""
	}
	of := plan.Of
	if of == 0 {
		of = len(users)
	}
	limiter := pace.New(plan.Rate)
	var first *Result // the first user's result, when warmed ahead
	if plan.CheckFirst {
		if i := slices.IndexFunc(users, func(u User) bool { return !plan.Skip[u.Login] }); i >= 0 {
			u := users[i]
			u.ListIfMissing = true
			res, started := warmUser(ctx, w, plan, limiter, u, of)
			if started && errors.Is(res.Err, errAuthFailed) {
				return &LoginRefusedError{User: users[i], Err: res.Err}
			}
			if started {
				first = &res
				if tooMany(res) {
					stop()
				}
			}
		}
	}
	report, flush := inOrder(users, emit)
	defer flush()
	queue := make(chan User)
	gate := newGate(max(plan.Jobs, 1))
	pool := max(plan.MaxJobs, plan.Jobs, 1)
	var wg sync.WaitGroup
	for i := range pool {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for gate.wait(i) {
				u, ok := <-queue
				if !ok {
					return
				}
				if res, started := warmUser(ctx, w, plan, limiter, u, of); started {
					if tooMany(res) {
						stop() // no new user starts; those in flight finish
					}
					report(res)
				}
			}
		}()
	}
	if plan.Control != nil {
		plan.Control(func(n int) { gate.set(min(n, pool)) })
	}
	for _, u := range users {
		if plan.Skip[u.Login] {
			report(Result{User: u, Of: of, Status: UserSkipped})
			continue
		}
		if first != nil && u.Index == first.User.Index {
			report(*first)
			continue
		}
		select {
		case queue <- u:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(queue)
	gate.close()
	wg.Wait()
	if stoppedBy != "" {
		return fmt.Errorf("%w: %s failed with %s", ErrMaxFailures, cli.Count(plan.MaxFailures, "user"), stoppedBy)
	}
	return nil
}

// FailureKind sorts a failed result for --max-failures: many refused
// logins mean a wrong password or scheme, many timeouts a server in
// trouble; a mix of single causes is normal in a large run.
func FailureKind(r Result) string {
	err := r.Err
	for _, f := range r.Folders {
		if err == nil && f.Err != nil {
			err = f.Err
		}
	}
	switch {
	case errors.Is(err, errAuthFailed):
		return "a refused login"
	case IsTransient(err):
		return "a lost connection or a timeout"
	case err == nil:
		return "a missing folder (--strict)"
	}
	return "a folder error"
}

// inOrder returns a report func that holds results back until all users
// before them in the input were reported, so output follows the input as
// the documented tool's did, whatever the concurrency. Users never started
// (after an interrupt) do not hold back the others: see flush.
func inOrder(users []User, emit func(Result)) (report func(Result), flush func()) {
	var mu sync.Mutex
	pos := make(map[int]int, len(users)) // user index -> position in users
	for i, u := range users {
		pos[u.Index] = i
	}
	held := map[int]Result{}
	next := 0
	report = func(r Result) {
		mu.Lock()
		defer mu.Unlock()
		held[pos[r.User.Index]] = r
		for {
			x, ok := held[next]
			if !ok {
				return
			}
			delete(held, next)
			emit(x)
			next++
		}
	}
	flush = func() {
		mu.Lock()
		defer mu.Unlock()
		for ; next < len(users); next++ {
			if x, ok := held[next]; ok {
				emit(x)
			}
		}
	}
	return report, flush
}

// warmUser warms one user, retrying transient failures with backoff. Once
// ctx is cancelled no new login starts: a user still waiting for its first
// login slot is not started at all (started is false: it stays to be done),
// and one waiting to retry keeps the result of its last attempt.
func warmUser(ctx context.Context, w Warmer, plan Plan, limiter *pace.Limiter, u User, of int) (res Result, started bool) {
	start := time.Now()
	delay := plan.Backoff
	for attempt := 1; ; attempt++ {
		limiter.Wait(ctx)
		if ctx.Err() != nil {
			if attempt == 1 {
				return Result{}, false
			}
			break
		}
		res = w.WarmOnce(u)
		res.Attempts = attempt
		if !res.retryable() || attempt > plan.Retries || ctx.Err() != nil {
			break
		}
		sleep(ctx, delay/2+time.Duration(rand.Int64N(int64(delay)+1)))
		delay *= 2
	}
	res.User, res.Of = u, of
	res.LoginOnly = res.LoginOnly && res.Err == nil
	res.Seconds = time.Since(start).Seconds()
	res.Status = res.Grade(plan.Strict)
	return res, true
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// retryable: a transient failure anywhere, and no refused login.
func (r *Result) retryable() bool {
	if r.Err != nil {
		return IsTransient(r.Err) && !errors.Is(r.Err, errAuthFailed)
	}
	for _, f := range r.Folders {
		if f.Err != nil && IsTransient(f.Err) {
			return true
		}
	}
	return false
}

// Grade is the user's status from its error and folders: failed if it
// failed as a whole or every folder did, partial if some did, else ok; a
// missing folder counts as failed only when strict.
func (r *Result) Grade(strict bool) string {
	if r.Err != nil {
		return UserFailed
	}
	good, bad := 0, 0
	for _, f := range r.Folders {
		switch {
		case f.Status == StatusOK, f.Status == StatusMissing && !strict:
			good++
		default:
			bad++
		}
	}
	switch {
	case bad == 0:
		return UserOK
	case good == 0:
		return UserFailed
	}
	return UserPartial
}

// gate lets sessions 0..level-1 take users; the others wait, so the
// number of sessions at work can change while a run goes on.
type gate struct {
	mu     sync.Mutex
	cond   *sync.Cond
	level  int
	closed bool
}

func newGate(level int) *gate {
	g := &gate{level: level}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// wait blocks session i while it is at or above the level; false once the
// gate is closed (no more users) and i may not go on.
func (g *gate) wait(i int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i >= g.level && !g.closed {
		g.cond.Wait()
	}
	return i < g.level
}

func (g *gate) set(n int) {
	g.mu.Lock()
	g.level = max(n, 1)
	g.cond.Broadcast()
	g.mu.Unlock()
}

func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.cond.Broadcast()
	g.mu.Unlock()
}

package sxwarmcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"provpipe/pkg/scalix/warm"
	"provpipe/pkg/scalix/warmreport"
	"provpipe/pkg/shared/autojobs"
	"provpipe/pkg/shared/cli"
	"provpipe/pkg/shared/outfiles"
	"provpipe/pkg/shared/safetext"
)

func (c *Command) run(signalled context.Context, w warm.Warmer, users []warm.User, total int) error {
	// A failed write of the results stops the run too: warming on would
	// warm users whose results are lost.
	ctx, stopRun := context.WithCancel(signalled)
	defer stopRun()
	dest, closeDest, err := c.destination()
	if err != nil {
		return err
	}
	defer closeDest()
	out, err := warmreport.NewWriter(dest, c.env.Stderr, c.format(), c.Header)
	if err != nil {
		return err
	}
	var sum warmreport.Summary
	progress := c.env.Progress() == cli.ProgressInPlace && !c.Quiet
	every := c.ProgressEvery
	if every == 0 && c.env.Progress() == cli.ProgressLines && !c.Quiet {
		every = progressLinesEvery
	}
	start := time.Now()
	var writeErr error
	lost := 0
	var offered []string         // the first user's folders, listed if one was missing
	jobs, maxJobs, _ := c.jobs() // checked by foldersAndJobs
	plan := warm.Plan{Jobs: jobs, MaxJobs: maxJobs, Rate: c.Rate, Retries: c.Retries, Backoff: 200 * time.Millisecond,
		Skip: skipSet(c.Exclude), Strict: c.Strict, Of: total, CheckFirst: true, MaxFailures: c.MaxFailures}
	var mu sync.Mutex // sum and done, shared with the tickers
	var done autojobs.Counters
	auto := c.Jobs == "auto"
	ctl := autojobs.New(autojobs.Config{Min: 1, Max: maxJobs})
	stopAuto := func() {}
	if auto {
		plan.Control = func(setJobs func(int)) {
			read := func() autojobs.Counters { mu.Lock(); defer mu.Unlock(); return done }
			var debug func(string)
			if c.Debug {
				debug = func(why string) { c.warn("-j auto: " + why) }
			}
			set := func(n int) { setJobs(n); mu.Lock(); sum.Level = n; mu.Unlock() }
			stopAuto = autojobs.Loop(ctl, c.AutoInterval, read, set, debug)
		}
	}
	if every > 0 && !progress {
		stopTicker := cli.Every(every, func() {
			mu.Lock()
			line := warmreport.ProgressLine(&sum, len(users), start)
			mu.Unlock()
			io.WriteString(c.env.Stderr, line+"\n")
		})
		defer stopTicker()
	}
	runErr := warm.Run(ctx, w, plan, users, func(r warm.Result) {
		mu.Lock()
		defer mu.Unlock()
		sum.Add(r)
		done.Items++
		done.Seconds += r.Seconds
		for _, f := range r.Folders {
			done.Work += float64(f.Messages) // work is messages warmed: users differ in size
		}
		if offered == nil && len(r.Offered) > 0 {
			offered = append([]string{r.User.Login}, r.Offered...)
		}
		if progress { // the result line must not start where the progress line is
			io.WriteString(c.env.Stderr, warmreport.ClearLine)
		}
		if writeErr != nil {
			lost++
		} else if writeErr = out.Write(r); writeErr != nil {
			lost++
			stopRun()
		}
		if progress {
			warmreport.Progress(c.env.Stderr, &sum, len(users), start)
		}
	})
	if progress {
		io.WriteString(c.env.Stderr, warmreport.ClearLine)
	}
	stopAuto()
	if auto && !c.Quiet {
		lo, hi := ctl.Visited()
		defer c.warn(fmt.Sprintf("-j auto: ended at %d sessions, visited %d to %d", ctl.Level(), lo, hi))
	}
	var lre *warm.LoginRefusedError
	if errors.As(runErr, &lre) {
		return c.loginRefused(lre)
	}
	missing := sum.MissingEverywhere()
	for _, f := range missing {
		hint := "--all-folders --debug shows the names LIST gives"
		if len(offered) > 0 {
			hint = fmt.Sprintf("%s has: %s", offered[0], safetext.Escape(strings.Join(offered[1:], ", ")))
		}
		c.warn(fmt.Sprintf("folder %q is missing for every user (%s): is -F spelt as the server names it? (%s)",
			f, cli.Count(sum.Tried(f), "user"), hint))
	}
	interrupted := signalled.Err() != nil
	stopped := errors.Is(runErr, warm.ErrMaxFailures) && !interrupted && writeErr == nil
	switch {
	case !c.Quiet:
		sum.Write(c.env.Stderr, time.Since(start), interrupted)
	case interrupted: // -q: the one line that says the output is incomplete
		io.WriteString(c.env.Stderr, warmreport.InterruptedNote)
	}
	switch {
	case stopped:
		return &cli.PartialError{Failed: sum.Failed + sum.Partial, Total: sum.Done(),
			Why: fmt.Sprintf("stopped (--max-failures): %v; users not started are not reported (resume with --done)", strings.TrimPrefix(runErr.Error(), warm.ErrMaxFailures.Error()+": "))}
	case writeErr != nil:
		return fmt.Errorf("write results: %w; stopped, with the results of %s warmed but not recorded (the next run with --done warms them again)", writeErr, cli.Count(lost, "user"))
	case interrupted:
		return cli.Interrupted(signalled, "") // the summary said it
	case sum.Failed+sum.Partial > 0:
		return &cli.PartialError{Failed: sum.Failed + sum.Partial, Total: sum.Done()}
	case len(missing) > 0:
		// A folder asked for and warmed for nobody: the rest was done, but
		// a script must notice (exit 1), not read a warning it never sees.
		return &cli.PartialError{Total: sum.Done(), Why: fmt.Sprintf("-F %s: missing for every user, warmed for nobody", quoteAll(missing))}
	}
	return nil
}

// destination is stdout, or the --append file: each user's result is one
// locked append, whole or not at all, so processes sharing the file never
// mix lines and a full disk leaves no torn record.
func (c *Command) destination() (io.Writer, func(), error) {
	if c.Append == "" {
		return c.env.Stdout, func() {}, nil
	}
	if c.Format == "csv" || c.Header {
		return nil, nil, fmt.Errorf("--append writes no header: use --format tsv or jsonl, without --header")
	}
	f, err := outfiles.OpenAppend(c.Append, c.warn)
	if err != nil {
		return nil, nil, fmt.Errorf("--append: %w", err)
	}
	return f, func() { f.Close() }, nil
}

// progressLinesEvery is how often a whole progress line is printed on a
// terminal stderr while stdout goes down a pipe (cli.ProgressLines).
var progressLinesEvery = 10 * time.Second

func (c *Command) warn(msg string) { c.env.Warnf("sxwarm", "%s", msg) }

// loginRefused explains a refused first login: what was sent, and what to
// change. Nothing else was tried.
func (c *Command) loginRefused(e *warm.LoginRefusedError) error {
	return fmt.Errorf("login check: %w\n  sent: %s\n  nothing else was tried: check the admin password and --auth "+
		"(mboxadmin: Scalix; master: Dovecot master user, --master-sep; authzid: SASL PLAIN on behalf of the user; "+
		"user: each user's own password); if only this user is wrong, --exclude it", e, c.loginForm(e.User.Login))
}

// quoteAll quotes each name and joins them with commas.
func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ",")
}

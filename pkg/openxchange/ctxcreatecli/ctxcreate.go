// Package ctxcreatecli is the ctxcreate command: its flags, the checks made
// before the first request, and the results it writes.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package ctxcreatecli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"sync"
	"time"

	"provpipe/pkg/openxchange/ctxcreate"
	"provpipe/pkg/openxchange/oxsoap"
	"provpipe/pkg/shared/cli"
	"provpipe/pkg/shared/outfiles"
	"provpipe/pkg/shared/secret"
	"provpipe/pkg/shared/tlsconf"
)

// Command holds ctxcreate's flags.
type Command struct {
	cli.VersionFlag
	Files []string `arg:"" optional:"" help:"createcontext CSV files (ctxrows' output); - is stdin (the default)."`

	URL                 string       `name:"url" placeholder:"URL" help:"The Open-Xchange server (https://HOST); the service is ${path} under it."`
	Admin               string       `short:"A" default:"oxadminmaster" help:"The master admin's login."`
	Password            secret.Flags `kong:"embed,set='short=p',set='alt=w',set='what=master admin password',set='envvar=CTXCREATE_PASSWORD'"`
	SendPasswordInClear bool         `help:"Send the password over http to a host that is not this machine: only on a network you trust."`
	tlsconf.Flags

	Jobs         string        `short:"j" default:"4" placeholder:"N|auto" help:"Creates in flight at once (streams), never two into one schema; auto finds the level where more streams stop adding contexts per second (up to --max-jobs)."`
	MaxJobs      int           `default:"64" placeholder:"N" help:"The most streams -j auto tries."`
	AutoInterval time.Duration `default:"2s" help:"How often -j auto judges the contexts created per second and decides (longer for a noisy server)."`
	Debug        bool          `help:"Trace on stderr what ctxcreate decides: each -j auto decision with the figures behind it (no credentials are printed)."`
	Rate         float64       `default:"0" help:"At most N creates per second across the streams (0: no cap)."`
	Retries      int           `default:"3" help:"Retries of a transient failure (a deadlock, 5xx, a lost connection)."`
	Timeout      time.Duration `default:"120s" help:"Fail a request that has no answer after this long (it is then asked whether the context exists before it is sent again)."`
	MaxFailures  int           `placeholder:"N" help:"Stop starting new contexts after N failed (those in flight finish); exit 1. 0: never stop."`
	NoAffinity   bool          `help:"Allow two creates into one schema at once, as shards sharing a schema do (for comparison: OX warns of deadlocks)."`

	Format string `default:"auto" enum:"auto,tsv,jsonl,text" help:"Output: tsv (default; context, outcome, seconds, schema, database, attempts, message), jsonl, or text: the lines createcontext's CSV import prints (default on a terminal)."`
	Done   string `placeholder:"FILE" help:"Skip contexts this earlier tsv or jsonl output reports created or existing (may be missing when it is also the --append file)."`
	Append string `placeholder:"FILE" help:"Append results to FILE instead of stdout, one locked write per context."`
	DryRun bool   `name:"dry-run" help:"Print the SOAP request of the first context, passwords redacted; send nothing."`
	Quiet  bool   `short:"q" help:"No summary on stderr."`

	env                 *cli.Env
	streams, maxStreams int  // from -j and --max-jobs
	auto                bool // -j auto
}

// parseJobs reads -j: a number of streams, or auto.
func (c *Command) parseJobs() error {
	if c.MaxJobs < 1 || c.MaxJobs > 1000 {
		return fmt.Errorf("--max-jobs must be between 1 and 1000, not %d", c.MaxJobs)
	}
	if c.Jobs == "auto" {
		if c.AutoInterval < 100*time.Millisecond {
			return fmt.Errorf("--auto-interval must be at least 100ms, not %s", c.AutoInterval)
		}
		c.auto, c.streams, c.maxStreams = true, 1, c.MaxJobs
		return nil
	}
	n, err := strconv.Atoi(c.Jobs)
	if err != nil || n < 1 || n > 1000 {
		return fmt.Errorf("--jobs must be auto or between 1 and 1000, not %q", c.Jobs)
	}
	c.streams, c.maxStreams = n, n
	return nil
}

// Program names and describes ctxcreate.
var Program = cli.Program{Name: "ctxcreate", Vars: map[string]string{"path": oxsoap.ServicePath}, Description: `Create Open-Xchange contexts over the SOAP API from createcontext CSV rows.

Reads the rows of createcontext's CSV import (ctxrows' output) and creates each
context with OXContextService, -j streams at once but never two into one schema
(or, for rows placed automatically, one database), so that no two creates
deadlock. The first context is created alone: refused credentials end the run
before anything else is sent. Transient faults are retried; a request whose
answer was lost is resolved by asking whether the context exists, never by
creating it twice. One result line per context.`}

// Main runs ctxcreate with args and returns its exit status.
func Main(args []string, env *cli.Env) int {
	return cli.Main(Program, &Command{}, args, env)
}

var masterPassword = secret.Want{Tool: "ctxcreate", What: "master admin password", Env: "CTXCREATE_PASSWORD", Flags: "-p, --password-file"}

// Run creates the contexts.
func (c *Command) Run(ctx context.Context, env *cli.Env) error {
	c.env = env
	if err := c.check(); err != nil {
		return err
	}
	in, err := c.open()
	if err != nil {
		return err
	}
	defer in.close()
	skip, err := c.doneSet()
	if err != nil {
		return err
	}
	next := in.skipping(skip)
	if c.DryRun {
		return c.dryRun(next)
	}
	client, err := c.client()
	if err != nil {
		return err
	}
	return c.run(ctx, client, next, len(skip))
}

// check makes every check of the flags that needs no server.
func (c *Command) check() error {
	if err := c.parseJobs(); err != nil {
		return err
	}
	if c.Append != "" && c.Format != "tsv" && c.Format != "jsonl" && c.Format != "auto" {
		return fmt.Errorf("--append writes tsv or jsonl, not %s", c.Format)
	}
	if c.DryRun {
		return nil
	}
	if c.URL == "" {
		return fmt.Errorf("--url is needed: the Open-Xchange server, e.g. --url https://ox.example.com")
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q: want http(s)://HOST[:PORT]", c.URL)
	}
	if u.Scheme == "http" && !c.SendPasswordInClear && !tlsconf.IsLoopback(u.Hostname()) {
		return fmt.Errorf("--url %s: http to a host that is not this machine would send the master password in clear; use https, or --send-password-in-clear if the network between is trusted", c.URL)
	}
	return nil
}

func (c *Command) client() (*oxsoap.Client, error) {
	u, _ := url.Parse(c.URL)
	tc, err := c.TLSConfig(u.Hostname())
	if err != nil {
		return nil, err
	}
	want := masterPassword
	want.Prompt = fmt.Sprintf("Password for %s: ", c.Admin)
	pw, err := c.Password.Resolve(want, c.env, c.readsStdin())
	if err != nil {
		return nil, err
	}
	return oxsoap.New(oxsoap.Config{URL: c.URL, Auth: oxsoap.Credentials{Login: c.Admin, Password: pw},
		TLS: tc, Timeout: c.Timeout, Conns: max(c.streams, c.maxStreams)}), nil
}

func (c *Command) readsStdin() bool {
	if len(c.Files) == 0 {
		return true
	}
	for _, f := range c.Files {
		if f == "-" {
			return true
		}
	}
	return false
}

// dryRun prints the first request, redacted.
func (c *Command) dryRun(next func() (*ctxcreate.Job, error)) error {
	j, err := next()
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("no rows: nothing would be created")
	}
	if err != nil {
		return err
	}
	env := j.Request.Envelope(oxsoap.Credentials{Login: c.Admin, Password: "x"})
	out := append(oxsoap.Redacted(env), '\n')
	if _, err := c.env.Stdout.Write(out); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// run creates the contexts and writes the results and the summary.
func (c *Command) run(ctx context.Context, client *oxsoap.Client, next func() (*ctxcreate.Job, error), skipped int) error {
	dest, closeDest, err := c.destination()
	if err != nil {
		return err
	}
	defer closeDest()
	w := newWriter(c.format(), dest, c.env.Stderr)
	var sum summary
	var writeErr error
	var mu sync.Mutex // sum, shared with the progress ticker
	start := time.Now()
	stopProgress := c.progress(&mu, &sum, start)
	plan := ctxcreate.Plan{Streams: c.streams, MaxStreams: c.maxStreams, Rate: c.Rate, Retries: c.Retries, Backoff: 500 * time.Millisecond, MaxFailures: c.MaxFailures, NoAffinity: c.NoAffinity}
	tuner := c.tuner(&mu, &sum)
	if c.auto {
		plan.Control = tuner.start
	}
	runErr := ctxcreate.Run(ctx, client, plan, next, func(r ctxcreate.Result) {
		mu.Lock()
		sum.add(r)
		mu.Unlock()
		if writeErr == nil {
			writeErr = w.write(r)
		}
	})
	stopProgress()
	tuner.stop()
	var login *ctxcreate.LoginError
	if errors.As(runErr, &login) {
		return fmt.Errorf("%w (-A %s and the password: is this OX's master admin?); nothing else was sent", runErr, c.Admin)
	}
	if c.format() == "text" && runErr == nil && writeErr == nil {
		writeErr = w.end()
	}
	interrupted := ctx.Err() != nil
	if !c.Quiet {
		sum.write(c.env.Stderr, time.Since(start), skipped, interrupted)
		if c.auto {
			lo, hi := tuner.ctl.Visited()
			c.env.Warnf("ctxcreate", "-j auto: ended at %d streams, visited %d to %d", tuner.ctl.Level(), lo, hi)
		}
	}
	switch {
	case writeErr != nil:
		return fmt.Errorf("write results: %w", writeErr)
	case interrupted:
		return cli.Interrupted(ctx, "")
	case errors.Is(runErr, ctxcreate.ErrMaxFailures):
		return &cli.PartialError{Failed: sum.failed, Total: sum.total(), Why: runErr.Error() + "; resume with --done"}
	case runErr != nil:
		return runErr
	case sum.failed > 0:
		return &cli.PartialError{Failed: sum.failed, Total: sum.total()}
	}
	return nil
}

func (c *Command) format() string {
	if c.Format != "auto" {
		return c.Format
	}
	if c.Append == "" && c.env.StdoutTerminal {
		return "text"
	}
	return "tsv"
}

// progress shows the run's counts on a terminal stderr: redrawn in place
// when the results go elsewhere (a file, --append), as a whole line every
// ten seconds when they go down a pipe that may end on the same terminal,
// not at all when they are on the terminal themselves (they are the
// progress) or with -q. The input is streamed, so there is no ETA.
func (c *Command) progress(mu *sync.Mutex, sum *summary, start time.Time) (stop func()) {
	mode := c.env.Progress()
	if c.Quiet || mode == cli.NoProgress || c.Append == "" && c.env.StdoutTerminal {
		return func() {}
	}
	every, prefix, suffix := 200*time.Millisecond, cli.ClearLine, ""
	if mode == cli.ProgressLines {
		every, prefix, suffix = 10*time.Second, "", "\n"
	}
	ticking := cli.Every(every, func() {
		mu.Lock()
		line := sum.progressLine(time.Since(start))
		mu.Unlock()
		io.WriteString(c.env.Stderr, prefix+line+suffix)
	})
	return func() {
		ticking()
		if mode == cli.ProgressInPlace {
			io.WriteString(c.env.Stderr, cli.ClearLine)
		}
	}
}

// destination is stdout, or the --append file.
func (c *Command) destination() (io.Writer, func(), error) {
	if c.Append == "" {
		return c.env.Stdout, func() {}, nil
	}
	f, err := outfiles.OpenAppend(c.Append, func(msg string) { c.env.Warnf("ctxcreate", "%s", msg) })
	if err != nil {
		return nil, nil, fmt.Errorf("--append: %w", err)
	}
	return f, func() { f.Close() }, nil
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/alecthomas/kong"

	"provpipe/pkg/shared/ctxio"
	"provpipe/pkg/shared/field"
)

// Tool is a command's flag struct: kong fills it, then Run does the work.
// Run reads and writes only through env and stops when ctx is done; it
// returns an error, and Main alone turns errors into exit statuses.
type Tool interface {
	Run(ctx context.Context, env *Env) error
}

// Program names a tool and describes it for --help and the man page.
type Program struct {
	Name        string
	Description string
	Vars        map[string]string // values for the flags' ${...} defaults
	// Fields names the flag that fills each library field the tool's
	// errors may be about: libraries name their fields, and Main renames
	// them here, in one place, before the error is printed.
	Fields field.Names
}

// Main parses args into tool, runs it until it returns or SIGINT or SIGTERM
// has stopped it, reports its error on stderr and returns the exit status.
//
// A signal cancels the context passed to Run, with a *SignalError as its
// cause; the tool cleans up, prints its summary and returns. Signals are
// caught until Main returns, so a second one (GNU parallel sends SIGTERM
// again after 200 ms) cannot cut the clean-up short; SIGKILL can.
func Main(p Program, tool Tool, args []string, env *Env) int {
	parser, err := newParser(p, tool, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: internal error: %v\n", p.Name, err)
		return ExitUsage
	}
	if len(args) == 1 && args[0] == ManFlag {
		writeMan(env.Stdout, parser.Model, p.Description, tool)
		return ExitOK
	}
	if code, ok := parse(parser, args); !ok {
		return code
	}
	ctx, stop := signalContext()
	defer stop()
	if stdin := env.Stdin; ctxio.Blocks(stdin) {
		// A regular file stays as it is, seekable (ctxsplit --by reads
		// it twice); tools check ctx between its reads.
		env.Stdin = ctxio.Reader(ctx, stdin)
		defer func() { env.Stdin = stdin }()
	}
	err = afterSignal(ctx, p.Fields.Rename(tool.Run(ctx, env)))
	if errors.Is(err, errBrokenPipe) {
		return ExitBrokenPipe
	}
	if shouldReport(err) {
		fmt.Fprintf(env.Stderr, "%s: %s\n", p.Name, printable(err.Error()))
	}
	return ExitCode(err)
}

func newParser(p Program, tool Tool, env *Env) (*kong.Kong, error) {
	vars := kong.Vars{"version": fmt.Sprintf("%s (provpipe) %s, built with %s for %s/%s", p.Name, Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)}
	for k, v := range p.Vars {
		vars[k] = v
	}
	return kong.New(tool,
		kong.Name(p.Name),
		kong.Description(p.Description),
		vars,
		kong.Writers(env.Stdout, env.Stderr),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, NoExpandSubcommands: true}),
		kong.Exit(func(code int) { panic(kongExit(code)) }),
		kong.PostBuild(shortFlagsFromVars),
	)
}

// kongExit is how kong's --help and --version end Main without ending the
// process (a test may run Main in-process).
type kongExit int

// parse fills the tool's flags; ok reports that the tool is to run. If
// not, code is Main's status: kong did all there was to do (--help,
// --version), or the flags were bad.
func parse(parser *kong.Kong, args []string) (code int, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c, isExit := r.(kongExit)
			if !isExit {
				panic(r)
			}
			code, ok = int(c), false
		}
	}()
	if _, err := parser.Parse(args); err != nil {
		fmt.Fprintf(parser.Stderr, "%s: %v\nRun '%s --help' for usage.\n", parser.Model.Name, err, parser.Model.Name)
		return ExitUsage, false
	}
	return ExitOK, true
}

// shouldReport: a tool that was interrupted, or whose items failed, has
// already said so in its summary; any other error is said here.
func shouldReport(err error) bool {
	var sig *SignalError
	var partial *PartialError
	switch {
	case err == nil:
		return false
	case errors.As(err, &sig) && err == error(sig): // bare: the tool's summary said it
		return false
	case errors.As(err, &partial) && partial.Total == 0:
		return false
	}
	return true
}

// errBrokenPipe: the reader of stdout went away, no signal came: the tool
// ends quietly with the status SIGPIPE would have given it (`| head`).
var errBrokenPipe = errors.New("broken pipe")

// afterSignal is the error a tool's run ends with, seen in the light of a
// signal. A Ctrl-C reaches every process of a pipeline: the reader of our
// stdout may exit before we see our own SIGINT, and the write that meets
// the closed pipe fails. The run was interrupted, whatever the write met,
// so it ends as interrupted (130), with the bare cause: the tool's
// summary has said it.
func afterSignal(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.EPIPE) && ctx.Err() == nil {
		// The kernel queued our SIGINT before the reader could exit;
		// give its delivery a moment before calling this a plain EPIPE.
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
			return errBrokenPipe
		}
	}
	var sig *SignalError
	if cause := context.Cause(ctx); errors.As(cause, &sig) && !errors.As(err, &sig) {
		if errors.Is(err, syscall.EPIPE) {
			return cause
		}
		return fmt.Errorf("%w: %w", cause, err)
	}
	return err
}

// signalContext is cancelled by the first SIGINT or SIGTERM, with a
// *SignalError naming it as the cause. SIGPIPE is caught too, so that a
// write to a closed pipe returns EPIPE to the tool (which tells a reader
// gone after Ctrl-C from one gone on its own) instead of ending the
// process.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	pipes := make(chan os.Signal, 1)
	signal.Notify(pipes, syscall.SIGPIPE)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			cancel(&SignalError{Signal: s.(syscall.Signal)})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		signal.Stop(pipes)
		close(done)
		cancel(nil)
	}
}

// Interrupted is the error a tool returns when ctx stopped it: the signal
// that did (or ctx's error), followed by note, what the interruption left
// (its output, its files). With no note it is the bare cause: the tool's
// summary has said it, and Main prints nothing more.
func Interrupted(ctx context.Context, note string) error {
	cause := context.Cause(ctx)
	if cause == nil {
		cause = ctx.Err()
	}
	if note == "" {
		return cause
	}
	return fmt.Errorf("%w: %s", cause, note)
}

// OpenInput opens path for reading, "-" being the tool's stdin; name is
// how messages call it.
func OpenInput(env *Env, path string) (r io.ReadCloser, name string, err error) {
	if path == "-" {
		return io.NopCloser(env.Stdin), "stdin", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, path, err
	}
	return f, path, nil
}

// shortFlagsFromVars gives a flag the short name its embedding chose with
// set='V=X', for a field tagged shortvar:"V": kong reads short names
// before variables are known, and the secret flags embedded by several
// tools have different ones (ctxrows -p, sxwarm -w, and the other as an
// alternative).
func shortFlagsFromVars(k *kong.Kong) error {
	taken := map[rune]bool{}
	for _, f := range k.Model.Flags {
		if f.Short != 0 {
			taken[f.Short] = true
		}
	}
	for _, f := range k.Model.Flags {
		s := f.Tag.Vars[f.Tag.Get("shortvar")]
		if f.Short != 0 || !f.Tag.Has("shortvar") || s == "" {
			continue
		}
		r := []rune(s)
		if len(r) != 1 || taken[r[0]] {
			return fmt.Errorf("--%s: short flag %q is not one free character", f.Name, s)
		}
		f.Short, taken[r[0]] = r[0], true
	}
	return nil
}

// Parse fills tool's flags from args as Main does, without running it: for
// tests of a command's checks of its flags.
func Parse(p Program, tool Tool, args []string, env *Env) error {
	parser, err := newParser(p, tool, env)
	if err != nil {
		return err
	}
	_, err = parser.Parse(args)
	return err
}

// FlagNames lists every flag tool takes as written on a command line
// ("--name", "-x"), without --help and --version, and with the short names
// of hidden flags (a second short form of one flag) but not their long
// ones: the flag vocabulary test holds every tool's against
// ARCHITECTURE.md's table.
func FlagNames(p Program, tool Tool) ([]string, error) {
	parser, err := newParser(p, tool, &Env{Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range parser.Model.Flags {
		if f.Name == "help" || f.Name == "version" {
			continue
		}
		if !f.Hidden {
			names = append(names, "--"+f.Name)
		}
		if f.Short != 0 {
			names = append(names, "-"+string(f.Short))
		}
	}
	return names, nil
}

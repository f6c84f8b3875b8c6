// Package cli holds what the four provpipe commands share at their edge:
// parsing flags with kong, the exit statuses and how errors map onto them,
// and the way diagnostics are written to stderr.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"

	"provpipe/internal/shared/safetext"
)

// Exit statuses, the same for every tool.
const (
	ExitOK          = 0   // everything was done
	ExitPartial     = 1   // some items failed, the rest were done
	ExitUsage       = 2   // bad usage, bad input or a fatal error: nothing (more) was done
	ExitInterrupted = 130 // stopped by SIGINT after a clean summary
)

// Version is set at link time (-ldflags "-X provpipe/internal/shared/cli.Version=...").
var Version = "dev"

// UsageError marks an error caused by bad flags or bad input; it maps to exit 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef builds a UsageError from a format.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// AsUsage wraps err so that it maps to exit status 2; nil stays nil.
func AsUsage(err error) error {
	if err == nil {
		return nil
	}
	return &UsageError{Err: err}
}

// PartialError reports that some items failed while the others were done; it
// maps to exit 1. Its message is a summary: the per-item errors were already
// reported as they happened.
type PartialError struct {
	Failed, Total int
	Why           string // what stopped the run early, if something did
}

func (e *PartialError) Error() string {
	msg := fmt.Sprintf("%d of %d failed", e.Failed, e.Total)
	if e.Why != "" {
		msg += "; " + e.Why
	}
	return msg
}

// ErrInterrupted is returned by a tool that stopped on SIGINT after cleaning up.
var ErrInterrupted = errors.New("interrupted")

// ExitCode maps an error returned by a tool's Run to its exit status.
func ExitCode(err error) int {
	var usage *UsageError
	var partial *PartialError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrInterrupted):
		return ExitInterrupted
	case errors.As(err, &usage):
		return ExitUsage
	case errors.As(err, &partial):
		return ExitPartial
	default:
		// Any other error stopped the tool: unreadable input, unwritable
		// output, a server that cannot be reached. Nothing, or nothing
		// more, was done; only PartialError means "the rest was done".
		return ExitUsage
	}
}

// Runner is a command's flag struct: kong fills it, then Run does the work.
type Runner interface {
	Run() error
}

// Main parses args into cmd with kong, runs it and returns the exit status.
// A parse error is reported on stderr with a hint and gives exit 2.
func Main(name, description string, cmd Runner, args []string, stderr io.Writer) int {
	return MainVars(name, description, cmd, nil, args, stderr)
}

// MainVars is Main with extra variables for the flags' ${...} defaults.
func MainVars(name, description string, cmd Runner, vars map[string]string, args []string, stderr io.Writer) int {
	kv := kong.Vars{"version": fmt.Sprintf("%s (provpipe) %s, built with %s for %s/%s", name, Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)}
	for k, v := range vars {
		kv[k] = v
	}
	parser, err := kong.New(cmd,
		kong.Name(name),
		kong.Description(description),
		kv,
		kong.Writers(os.Stdout, stderr),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, NoExpandSubcommands: true}),
	)
	if err != nil {
		fmt.Fprintf(stderr, "%s: internal error: %v\n", name, err)
		return ExitUsage
	}
	if len(args) == 1 && args[0] == ManFlag {
		writeMan(os.Stdout, parser.Model, description, cmd)
		return ExitOK
	}
	if _, err := parser.Parse(args); err != nil {
		fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for usage.\n", name, err, name)
		return ExitUsage
	}
	err = cmd.Run()
	code := ExitCode(err)
	if err != nil && !errors.Is(err, ErrInterrupted) {
		var partial *PartialError
		if !errors.As(err, &partial) || partial.Total > 0 {
			fmt.Fprintf(stderr, "%s: %s\n", name, printable(err.Error()))
		}
	}
	return code
}

// VersionFlag is embedded in every command's flags so --version works.
type VersionFlag struct {
	Version kong.VersionFlag `help:"Print the version and exit."`
}

// OnInterrupt runs cleanup and exits 130 when SIGINT or SIGTERM arrives. It is
// for tools that cannot stop between items (a blocked read of stdin): their
// cleanup must leave nothing behind. The returned func stops watching.
func OnInterrupt(cleanup func()) (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cleanup()
			os.Exit(ExitInterrupted)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}

// Warnf writes one whole diagnostic line to stderr, prefixed by the tool name.
func Warnf(w io.Writer, tool, format string, args ...any) {
	msg := fmt.Sprintf(tool+": "+format, args...)
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	io.WriteString(w, msg)
}

// ExpandGlobs expands each argument that is a glob pattern; a pattern that
// matches nothing is an error (a resume that skips nothing would redo all).
// Plain names and "-" are kept as they are.
func ExpandGlobs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if !strings.ContainsAny(a, "*?[") {
			out = append(out, a)
			continue
		}
		m, err := filepath.Glob(a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%s: no file matches", a)
		}
		out = append(out, m...)
	}
	return out, nil
}

// printable escapes an error's text line by line: it may carry what a
// server sent, which must not reach the terminal raw.
func printable(msg string) string {
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		lines[i] = safetext.Escape(l)
	}
	return strings.Join(lines, "\n")
}

// Count writes n and the noun, plural unless n is 1: "1 user", "2 users".
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

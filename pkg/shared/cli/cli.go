// Package cli holds what the four provpipe commands share at their edge:
// parsing flags with kong, the exit statuses and how errors map onto them,
// and the way diagnostics are written to stderr.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"

	"provpipe/pkg/shared/safetext"
)

// Exit statuses, the same for every tool.
const (
	ExitOK          = 0   // everything was done
	ExitPartial     = 1   // some items failed, the rest were done
	ExitUsage       = 2   // bad usage, bad input or a fatal error: nothing (more) was done
	ExitInterrupted = 130 // stopped by SIGINT after a clean summary
	ExitTerminated  = 143 // stopped by SIGTERM after a clean summary
	ExitBrokenPipe  = 141 // stdout's reader went away (as SIGPIPE would end it)
)

// Version is set at link time (-ldflags "-X provpipe/pkg/shared/cli.Version=...").
var Version = "dev"

// PartialError reports that some items failed while the others were done
// (or, with Failed 0, that a part of each was not done: Why says which); it
// maps to exit 1. Its message is a summary: the per-item errors were already
// reported as they happened.
type PartialError struct {
	Failed, Total int
	Why           string // what stopped the run early, if something did
}

func (e *PartialError) Error() string {
	if e.Failed == 0 && e.Why != "" {
		return e.Why // nothing failed as a whole; Why says what did not get done
	}
	msg := fmt.Sprintf("%d of %d failed", e.Failed, e.Total)
	if e.Why != "" {
		msg += "; " + e.Why
	}
	return msg
}

// SignalError is the cause of a tool's context when SIGINT or SIGTERM
// stopped it. A tool returns it (or wraps it) once it has cleaned up.
type SignalError struct{ Signal syscall.Signal }

func (e *SignalError) Error() string {
	return "interrupted by " + signalName(e.Signal)
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// ExitCode maps an error returned by a tool's Run to its exit status. It is
// the only place that does: tools return errors, never statuses.
func ExitCode(err error) int {
	var sig *SignalError
	var partial *PartialError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &sig):
		// 128 + the signal's number, as a shell reports a process the
		// signal ended: 130 for SIGINT, 143 for SIGTERM.
		return 128 + int(sig.Signal)
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &partial):
		return ExitPartial
	default:
		// Any other error stopped the tool: bad flags or input, unreadable
		// input, unwritable output, a server that cannot be reached.
		// Nothing, or nothing more, was done; only PartialError means
		// "the rest was done".
		return ExitUsage
	}
}

// VersionFlag is embedded in every command's flags so --version works.
type VersionFlag struct {
	Version kong.VersionFlag `help:"Print the version and exit."`
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

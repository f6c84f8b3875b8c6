package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
)

func TestExitCode(t *testing.T) {
	sigint := &SignalError{Signal: syscall.SIGINT}
	sigterm := &SignalError{Signal: syscall.SIGTERM}
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"partial", &PartialError{Failed: 1, Total: 3}, ExitPartial},
		{"wrapped partial", fmt.Errorf("x: %w", &PartialError{Failed: 1, Total: 3}), ExitPartial},
		{"any other error", errors.New("cannot reach server"), ExitUsage},
		{"SIGINT", sigint, ExitInterrupted},
		{"SIGTERM, wrapped", fmt.Errorf("%w: no shard written", sigterm), ExitTerminated},
		{"cancelled without a signal", context.Canceled, ExitInterrupted},
	}
	for _, c := range cases {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("%s: ExitCode(%v) = %d, want %d", c.name, c.err, got, c.want)
		}
	}
}

// fakeTool returns what it is told and records what it saw.
type fakeTool struct {
	Name   string `arg:"" optional:""`
	Secret string `short:"s"`
	err    error
	ran    bool
}

func (f *fakeTool) Run(ctx context.Context, env *Env) error {
	f.ran = true
	fmt.Fprintf(env.Stdout, "hello %s\n", f.Name)
	return f.err
}

func TestMainReportsAndMaps(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		err        error
		code       int
		ran        bool
		stdout     string
		stderrHas  string
		stderrNone bool
	}{
		{"success", []string{"x"}, nil, 0, true, "hello x\n", "", true},
		{"error named once", []string{"x"}, errors.New("boom"), 2, true, "hello x\n", "tool: boom\n", false},
		{"bad flag", []string{"--nope"}, nil, 2, false, "", "Run 'tool --help' for usage.", false},
		{"help ends without running", []string{"--help"}, nil, 0, false, "Usage: tool", "", true},
		{"summary already said it", []string{"x"}, &SignalError{Signal: syscall.SIGINT}, 130, true, "hello x\n", "", true},
		{"a server's text is escaped", []string{"x"}, errors.New("NO \x1b[31mred"), 2, true, "hello x\n", `NO \x1b[31mred`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			tool := &fakeTool{err: c.err}
			code := Main(Program{Name: "tool"}, tool, c.args, &Env{Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader("")})
			if code != c.code || tool.ran != c.ran {
				t.Errorf("exit %d, ran %v; want %d, %v (stderr %q)", code, tool.ran, c.code, c.ran, stderr.String())
			}
			if !strings.HasPrefix(stdout.String(), c.stdout) {
				t.Errorf("stdout %q, want it to start with %q", stdout.String(), c.stdout)
			}
			if c.stderrNone && stderr.Len() > 0 {
				t.Errorf("stderr %q, want nothing", stderr.String())
			}
			if !strings.Contains(stderr.String(), c.stderrHas) {
				t.Errorf("stderr %q, want %q", stderr.String(), c.stderrHas)
			}
		})
	}
}

// secretLike has a short flag given by the variables of its embedding.
type secretLike struct {
	Value string `name:"password" shortvar:"short"`
	Alt   string `name:"password-alt" hidden:"" shortvar:"alt"`
}

type embeds struct {
	Admin secretLike `kong:"embed,set='short=w',set='alt=p'"`
	Other secretLike `kong:"embed,prefix='other-'"`
}

func (e *embeds) Run(context.Context, *Env) error { return nil }

func TestShortFlagFromVars(t *testing.T) {
	tool := &embeds{}
	var stderr bytes.Buffer
	code := Main(Program{Name: "tool"}, tool, []string{"-w", "pw", "-p", "alt", "--other-password", "o"}, &Env{Stdout: &bytes.Buffer{}, Stderr: &stderr})
	if code != 0 || tool.Admin.Value != "pw" || tool.Admin.Alt != "alt" || tool.Other.Value != "o" {
		t.Errorf("exit %d, admin %q, alt %q, other %q: %s", code, tool.Admin.Value, tool.Admin.Alt, tool.Other.Value, stderr.String())
	}
}

// TestProgressRule: a redrawn progress line only where nothing else writes
// to the terminal unseen; whole lines while stdout goes down a pipe.
func TestProgressRule(t *testing.T) {
	cases := []struct {
		stdoutTerm, stderrTerm, stdoutPipe bool
		want                               Progress
	}{
		{true, true, false, ProgressInPlace},  // both on the terminal
		{false, true, false, ProgressInPlace}, // > file
		{false, true, true, ProgressLines},    // | tee, | cat
		{false, false, true, NoProgress},      // 2> log
		{true, false, false, NoProgress},      // GNU parallel, stderr a file
	}
	for _, c := range cases {
		e := &Env{StdoutTerminal: c.stdoutTerm, StderrTerminal: c.stderrTerm, StdoutPipe: c.stdoutPipe}
		if got := e.Progress(); got != c.want {
			t.Errorf("%+v: %v, want %v", c, got, c.want)
		}
	}
}

package cli

import (
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"golang.org/x/term"
)

// Env is what a tool gets from the process besides its flags: its three
// streams, the environment and which streams are terminals. Tools use it
// instead of os.Stdin, os.Getenv and isatty, so a test can run a tool
// in-process with buffers and say what is a terminal.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	LookupEnv func(name string) (string, bool)

	// Which streams are terminals: progress goes to a terminal stderr
	// only, text output is the default on a terminal stdout.
	StdinTerminal, StdoutTerminal, StderrTerminal bool

	// ReadPassword reads a line from the terminal without echoing it;
	// nil when stdin is not a terminal.
	ReadPassword func() ([]byte, error)
}

// OSEnv is the Env of the running process.
func OSEnv() *Env {
	e := &Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		LookupEnv:      os.LookupEnv,
		StdinTerminal:  isatty.IsTerminal(os.Stdin.Fd()),
		StdoutTerminal: isatty.IsTerminal(os.Stdout.Fd()),
		StderrTerminal: isatty.IsTerminal(os.Stderr.Fd()),
	}
	if e.StdinTerminal {
		e.ReadPassword = func() ([]byte, error) { return term.ReadPassword(int(os.Stdin.Fd())) }
	}
	return e
}

// Getenv returns the variable's value, "" when it is not set.
func (e *Env) Getenv(name string) string {
	if e.LookupEnv == nil {
		return ""
	}
	v, _ := e.LookupEnv(name)
	return v
}

// Warnf writes one whole diagnostic line to the tool's stderr.
func (e *Env) Warnf(tool, format string, args ...any) {
	Warnf(e.Stderr, tool, format, args...)
}

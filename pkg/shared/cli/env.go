package cli

import (
	"io"
	"os"
	"time"

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
	// StdoutPipe: stdout is a pipe or a socket, whose reader (tee, cat)
	// may write to the terminal stderr draws on.
	StdoutPipe bool

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
		StdoutPipe:     isPipe(os.Stdout),
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

func isPipe(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) != 0
}

// Progress says how a tool shows its progress on stderr.
type Progress int

const (
	// NoProgress: stderr is no terminal (a log, GNU parallel); a tool
	// prints progress lines there only when asked (--progress-every).
	NoProgress Progress = iota
	// ProgressInPlace: one status line, redrawn where it stands, erased
	// before each line of output reaches the same terminal.
	ProgressInPlace
	// ProgressLines: stderr is a terminal but stdout a pipe, whose reader
	// (| tee, | cat) may write to that terminal too, at moments the tool
	// does not know: a redrawn line would share screen lines with its
	// output, so progress comes as whole lines, now and then.
	ProgressLines
)

// Progress is the way to show progress for these streams.
func (e *Env) Progress() Progress {
	switch {
	case !e.StderrTerminal:
		return NoProgress
	case e.StdoutPipe:
		return ProgressLines
	}
	return ProgressInPlace
}

// ClearLine returns to the start of the terminal line and erases it: a
// progress line drawn in place is drawn after it, and erased with it.
const ClearLine = "\r\x1b[K"

// Every calls fn every d, from one goroutine, until stop is called; stop
// returns once no call of fn is running, so nothing fn writes can follow
// what the caller writes next (a summary after a progress line).
func Every(d time.Duration, fn func()) (stop func()) {
	t := time.NewTicker(d)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-t.C:
				fn()
			case <-done:
				return
			}
		}
	}()
	return func() { t.Stop(); close(done); <-finished }
}

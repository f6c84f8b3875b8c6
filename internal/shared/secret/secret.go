// Package secret finds a password from, in order, a flag, a file or an
// environment variable, and as a last resort a prompt on a terminal. The value
// is never formatted into an error or a log line.
package secret

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Source says where a password may come from.
type Source struct {
	What  string // what the password is for, e.g. "admin password"
	Value string // from a flag; empty if not given
	File  string // path of a file holding the password on its first line
	Env   string // environment variable name
	Flags string // how to give it, for the error message, e.g. "-p, --password-file"
}

// ErrMissing is returned when no source gave a password.
var ErrMissing = errors.New("no password given")

// Resolve returns the password from the first source that has one.
func (s Source) Resolve() (string, error) {
	if s.Value != "" {
		return s.Value, nil
	}
	if s.File != "" {
		return readFile(s.File)
	}
	if s.Env != "" {
		if v, ok := os.LookupEnv(s.Env); ok && v != "" {
			return v, nil
		}
	}
	return "", fmt.Errorf("%s: %w: use %s or the %s environment variable", s.What, ErrMissing, s.Flags, s.Env)
}

// readFile returns the first line of path without its line ending.
func readFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("password file %s: %w", path, err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("password file %s: first line is empty", path)
	}
	return line, nil
}

// Package secret finds a password from, in order, a flag, a file or an
// environment variable, and as a last resort a prompt on a terminal. The value
// is never formatted into an error or a log line.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package secret

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"provpipe/pkg/shared/cli"
)

// Flags is the flag pair every password has, embedded in a command's flags
// with a prefix and the variables its help uses:
//
//	Bind secret.Flags `kong:"embed,prefix='bind-',set='what=bind password',set='envvar=SXUSERS_BIND_PASSWORD'"`
//
// gives --bind-password and --bind-password-file. set='short=p' adds -p to
// the password flag and set='alt=w' a second short form, -w, for the same
// password (cli.Main applies both): the seeds' scripts took the password as
// -w (sxapiprep.py) and -p (Open-Xchange's), and both work wherever a tool
// takes one. The kong:"..." form holds the several set tags that separate
// tags could not (go vet allows a key once).
type Flags struct {
	Value string `name:"password" shortvar:"short" placeholder:"PW" help:"The ${what} (prefer the password file or $${${envvar}})."`
	// Alt is the same flag under the other short name; hidden, since
	// --help shows it once, under Value.
	Alt  string `name:"password-alt" hidden:"" shortvar:"alt" placeholder:"PW"`
	File string `name:"password-file" type:"existingfile" placeholder:"FILE" help:"File whose first line is the ${what}."`
}

// Want says what a password is for and where else it may come from.
type Want struct {
	Tool   string // the command, for its warnings
	What   string // what the password is for, e.g. "admin password"
	Env    string // environment variable name
	Flags  string // how to give it, for the error message, e.g. "-w, --password-file"
	Prompt string // if set, the prompt asking a terminal for it when nothing else gave it
}

// ErrMissing is returned when no source gave a password.
var ErrMissing = errors.New("no password given")

// Resolve returns the password from the first source that has one: the
// flag, the file, the environment, then the terminal, if w.Prompt is set
// and the tool does not read its data from that terminal (stdinIsData).
//
// A password given on the command line gets a one-line warning, as the
// mysql client gives one: every local user can read it in /proc/*/cmdline.
// So does a password file that its group or others may read, as ssh warns
// of a private key file.
func (f Flags) Resolve(w Want, env *cli.Env, stdinIsData bool) (string, error) {
	if f.Value != "" && f.Alt != "" && f.Value != f.Alt {
		return "", fmt.Errorf("%s: given twice, with two values", w.What)
	}
	if f.Value == "" {
		f.Value = f.Alt
	}
	if f.Value != "" {
		env.Warnf(w.Tool, "warning: the %s on the command line can be read by every local user (ps, /proc); use %s or $%s", w.What, fileFlag(w), w.Env)
		return f.Value, nil
	}
	if f.File != "" {
		warnOpenFile(w, env, f.File)
		return readFile(f.File)
	}
	if v := env.Getenv(w.Env); w.Env != "" && v != "" {
		return v, nil
	}
	if w.Prompt != "" && env.ReadPassword != nil && !stdinIsData {
		return prompt(w, env)
	}
	return "", fmt.Errorf("%s: %w: use %s or the %s environment variable", w.What, ErrMissing, w.Flags, w.Env)
}

func prompt(w Want, env *cli.Env) (string, error) {
	io.WriteString(env.Stderr, w.Prompt)
	b, err := env.ReadPassword()
	io.WriteString(env.Stderr, "\n")
	if err != nil {
		return "", fmt.Errorf("read %s from the terminal: %w", w.What, err)
	}
	if len(b) == 0 {
		return "", fmt.Errorf("%s: %w (empty line on the terminal)", w.What, ErrMissing)
	}
	return string(b), nil
}

// fileFlag is the file flag among w.Flags, for the warning.
func fileFlag(w Want) string {
	for _, fl := range strings.Split(w.Flags, ", ") {
		if strings.HasSuffix(fl, "-file") {
			return fl
		}
	}
	return w.Flags
}

// warnOpenFile warns when path's mode lets its group or others read it.
func warnOpenFile(w Want, env *cli.Env, path string) {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 || !fi.Mode().IsRegular() {
		return
	}
	env.Warnf(w.Tool, "warning: password file %s is readable by others (mode %04o); chmod 600 %s", path, fi.Mode().Perm(), path)
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

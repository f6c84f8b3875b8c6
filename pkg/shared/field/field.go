// Package field lets a library say which of its settings an error is
// about, without knowing how a command spells that setting: the library
// names its own field ("API"), the command that filled the field from a
// flag renames it ("--api") in one place, so a library never hard-codes a
// command line and an operator still reads the flag they typed.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package field

import (
	"errors"
	"fmt"
	"strings"
)

// Error is an error about the value of one named field.
type Error struct {
	Name string // the field, as the library calls it; a command renames it
	Err  error  // what is wrong; its text follows the name
}

// Errorf returns an *Error about field name; the text reads after the name,
// as in "API \"x\": want http(s)://HOST/api", or, when it starts with a
// colon, right after it: "CA: open ...".
func Errorf(name, format string, args ...any) error {
	return &Error{Name: name, Err: fmt.Errorf(format, args...)}
}

func (e *Error) Error() string { return named(e.Name, e.Err) }

// named is the text of an error about the field called name.
func named(name string, err error) string {
	text := err.Error()
	if strings.HasPrefix(text, ":") {
		return name + text
	}
	return name + " " + text
}

func (e *Error) Unwrap() error { return e.Err }

// Names maps a library's field names to what the operator typed.
type Names map[string]string

// Rename gives the first field error in err's chain the name names has for
// it, so the message names the flag, the text of any wrapper around it
// kept; err is returned as it was when no field error in it has a name
// there. The chain is kept for errors.Is.
func (names Names) Rename(err error) error {
	var fe *Error
	if !errors.As(err, &fe) {
		return err
	}
	flag, ok := names[fe.Name]
	if !ok {
		return err
	}
	// Rename it inside the text of any wrapper around it, and keep the
	// whole chain, so errors.Is still finds what a wrapper marked.
	return &renamed{flag: flag, fe: fe, whole: err}
}

type renamed struct {
	flag  string
	fe    *Error
	whole error
}

func (r *renamed) Error() string {
	msg, inner := r.whole.Error(), r.fe.Error()
	i := strings.Index(msg, inner)
	if i < 0 { // a wrapper that does not quote the field error
		return msg
	}
	return msg[:i] + named(r.flag, r.fe.Err) + msg[i+len(inner):]
}

func (r *renamed) Unwrap() error { return r.whole }

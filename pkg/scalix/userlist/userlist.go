// Package userlist reads the users sxwarm works on: one name per line, CSV
// with a header as `sxusers --format csv` writes it (column "login", and
// "password" for per-user logins), or JSON lines as `sxusers --format
// jsonl` writes them. Input of another shape (omsearch's listing, CSV
// without a login column, a binary file) is refused, with what it looks
// like, rather than read as one user name per line.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package userlist

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"provpipe/pkg/shared/csvstream"
	"provpipe/pkg/shared/safetext"
)

// Entry is one user.
type Entry struct {
	Login    string
	Password string
	Source   string // file:line, for messages
}

// Format of the input.
type Format string

const (
	Auto  Format = "auto"
	Lines Format = "lines"
	CSV   Format = "csv"
	JSONL Format = "jsonl"
)

// maxLine bounds one input line.
const maxLine = 1 << 20

// ErrEmpty is ReadFiles' error when every input was empty, not a byte: most
// likely the command before the pipe failed. Input of comments or blank
// lines only is a list empty on purpose, no error.
var ErrEmpty = errors.New("empty input")

// Read reads entries from r, named name in errors.
func Read(r io.Reader, name string, format Format) ([]Entry, error) {
	entries, _, err := read(r, name, format)
	return entries, err
}

// read is Read that also says whether r held nothing at all.
func read(r io.Reader, name string, format Format) (entries []Entry, empty bool, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if _, err := br.Peek(1); err == io.EOF {
		return nil, true, nil
	}
	head, _ := br.Peek(sniffBytes)
	if err := safetext.NotText(name, head); err != nil {
		return nil, false, err
	}
	entries, err = readFormat(br, name, format)
	return entries, false, err
}

// sniffBytes is how much of an input its shape is judged by.
const sniffBytes = 4096

func readFormat(br *bufio.Reader, name string, format Format) ([]Entry, error) {
	if format == Auto {
		var err error
		if format, err = sniff(br, name); err != nil {
			return nil, err
		}
	}
	switch format {
	case CSV:
		return readCSV(br, name)
	case JSONL:
		return readJSONL(br, name)
	}
	return readLines(br, name)
}

func readLines(br *bufio.Reader, name string) ([]Entry, error) {
	sc := newScanner(br)
	var out []Entry
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if n == 1 {
			line = strings.TrimPrefix(line, "\xef\xbb\xbf")
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("%s:%d: user name is not valid UTF-8", name, n)
		}
		login := strings.TrimSpace(line)
		if err := CheckLogin(login); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		out = append(out, Entry{Login: login, Source: fmt.Sprintf("%s:%d", name, n)})
	}
	if err := scanError(sc, name); err != nil {
		return nil, err
	}
	return out, nil
}

func readCSV(br *bufio.Reader, name string) ([]Entry, error) {
	cr := csvstream.NewReader(br, name)
	cr.MaxRecord = maxLine
	cr.ValidateUTF8 = true
	head, err := cr.Next()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cols := head.Fields()
	login, password := index(cols, "login"), index(cols, "password")
	if login < 0 {
		return nil, fmt.Errorf("%s:%d: CSV input has no \"login\" column (columns: %s)", name, head.Line, strings.Join(cols, ","))
	}
	var out []Entry
	for {
		rec, err := cr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if rec.NumFields() != len(cols) {
			return nil, fmt.Errorf("%s:%d: record has %d fields, the header has %d", name, rec.Line, rec.NumFields(), len(cols))
		}
		e := Entry{Login: strings.TrimSpace(rec.Field(login)), Source: fmt.Sprintf("%s:%d", name, rec.Line)}
		if e.Login == "" {
			return nil, fmt.Errorf("%s:%d: empty login", name, rec.Line)
		}
		if err := CheckLogin(e.Login); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, rec.Line, err)
		}
		if password >= 0 {
			e.Password = rec.Field(password)
		}
		out = append(out, e)
	}
}

func index(cols []string, want string) int {
	for i, c := range cols {
		if strings.TrimSpace(c) == want {
			return i
		}
	}
	return -1
}

// newScanner reads lines of up to maxLine bytes.
func newScanner(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	return sc
}

// scanError words sc's error, if any, for the input name.
func scanError(sc *bufio.Scanner, name string) error {
	err := sc.Err()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bufio.ErrTooLong):
		return fmt.Errorf("%s: a line is longer than %d bytes", name, maxLine)
	}
	return fmt.Errorf("%s: read: %w", name, err)
}

// CheckLogin refuses a user name no IMAP server should be sent and no
// report should print raw: control characters (NUL, ESC, ...).
func CheckLogin(login string) error {
	for _, r := range login {
		if unicode.IsControl(r) {
			return fmt.Errorf("user name %s holds control character %U", safetext.Quote(login), r)
		}
	}
	return nil
}

// Inline splits a -U list: comma-separated names.
func Inline(list string) ([]Entry, error) {
	var out []Entry
	for i, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			if err := CheckLogin(n); err != nil {
				return nil, fmt.Errorf("-U item %d: %w", i+1, err)
			}
			out = append(out, Entry{Login: n, Source: fmt.Sprintf("-U item %d", i+1)})
		}
	}
	return out, nil
}

// Dedupe keeps the first entry of each login and returns the later ones
// apart, so that nobody is warmed twice in one run.
func Dedupe(entries []Entry) (kept, dropped []Entry) {
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		if seen[e.Login] {
			dropped = append(dropped, e)
			continue
		}
		seen[e.Login] = true
		kept = append(kept, e)
	}
	return kept, dropped
}

// ReadFiles reads the named files in order; "-", or no name at all, is
// stdin. When every input is empty it returns ErrEmpty.
func ReadFiles(paths []string, stdin io.Reader, format Format) ([]Entry, error) {
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	var all []Entry
	allEmpty := true
	for _, p := range paths {
		es, empty, err := readPath(p, stdin, format)
		if err != nil {
			return nil, err
		}
		all = append(all, es...)
		allEmpty = allEmpty && empty
	}
	if allEmpty {
		return nil, ErrEmpty
	}
	return all, nil
}

func readPath(path string, stdin io.Reader, format Format) ([]Entry, bool, error) {
	if path == "-" {
		return read(stdin, "stdin", format)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("user list: %w", err)
	}
	defer f.Close()
	return read(f, path, format)
}

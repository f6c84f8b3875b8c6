package directory

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"provpipe/pkg/shared/safetext"
)

// What ParseOmsearch accepts, one entry per line (the seed makes these files
// with `omsearch -d SYSTEM -e 'ENTRY-TYPE=1' -m 'CN/IA-FORMAL' -s`):
//
//   - a plain CN:                      User0 Test0
//   - a CN, then the formal address:   User0 Test0/S=Test0/G=User0/OU1=node1
//   - the tagged form only:            S=Test0/G=User0/OU1=node1  or  CN=User0 Test0/OU1=node1
//
// The CN is the text before the first '/' (what Scalix admin scripts take),
// or the CN= value of a tagged-only line, or "Given Surname" built from its
// S= and G= when it has no CN=. Runs of blanks (spaces, tabs) inside the CN
// become one space and blanks around '/', '=' and at either end are dropped.
// Everything after the CN is kept as the raw formal address; S= and G= are
// taken from it when present. Tag names are case-insensitive.
//
// Skipped: blank lines, lines starting with '#', header-like lines (the
// attribute list "CN" or "CN/IA-FORMAL", rules of '-', '=' or '_').
// Refused with the line number: invalid UTF-8, control characters, an empty
// CN ("/S=x"), a tagged-only line with neither CN= nor S=, an empty tag name
// ("=x") in the tagged-only form.

// LineError is a line of omsearch output that could not be read.
type LineError struct {
	Name string // file name, or "omsearch"
	Line int
	Text string
	Msg  string
}

func (e *LineError) Error() string {
	if e.Text == "" {
		return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.Name, e.Line, e.Msg, safetext.Quote(e.Text))
}

// errPasswdLike refuses a line with a ':'. Its text is not echoed: a
// shadow file's line holds a password hash.
var errPasswdLike = errors.New("':' in a user name: this looks like a passwd or shadow entry, not a user listing (line not shown)")

// maxLine bounds one line of a listing.
const maxLine = 1 << 20

// ParseOmsearch reads a listing. Lines that cannot be read are returned as
// LineErrors next to the entries that could; a read error stops it.
func ParseOmsearch(r io.Reader, name string) ([]Entry, []*LineError, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(4096)
	if err := safetext.NotText(name, head); err != nil {
		return nil, nil, err
	}
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var entries []Entry
	var bad []*LineError
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if n == 1 {
			text = strings.TrimPrefix(text, "\xef\xbb\xbf")
		}
		e, ok, err := ParseLine(text)
		switch {
		case errors.Is(err, errPasswdLike):
			bad = append(bad, &LineError{Name: name, Line: n, Msg: err.Error()})
		case err != nil:
			bad = append(bad, &LineError{Name: name, Line: n, Text: text, Msg: err.Error()})
		case ok:
			e.Source = fmt.Sprintf("%s:%d", name, n)
			entries = append(entries, e)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, nil, fmt.Errorf("%s: a line is longer than %d bytes", name, maxLine)
		}
		return nil, nil, fmt.Errorf("%s: read: %w", name, err)
	}
	return entries, bad, nil
}

// ParseLine reads one line of a listing. ok is false for a line that is
// skipped on purpose (blank, comment, header).
func ParseLine(line string) (e Entry, ok bool, err error) {
	line = strings.TrimSuffix(line, "\r")
	if !utf8.ValidString(line) {
		return Entry{}, false, errors.New("not valid UTF-8")
	}
	if strings.IndexFunc(line, isControl) >= 0 {
		return Entry{}, false, errors.New("control character")
	}
	trimmed := strings.TrimSpace(line)
	if trimmed == "" || strings.HasPrefix(trimmed, "#") || isHeader(trimmed) {
		return Entry{}, false, nil
	}
	if strings.Contains(trimmed, ":") {
		// No Scalix name or address has one; a passwd or shadow file does,
		// and mboxadmin:ADMIN:USER logins would split a name at it.
		return Entry{}, false, errPasswdLike
	}
	first, rest, _ := strings.Cut(trimmed, "/")
	if _, _, tagged := cutTag(first); tagged {
		e, err = parseTagged(trimmed)
		return e, err == nil, err
	}
	cn := collapse(first)
	if cn == "" {
		return Entry{}, false, errors.New("empty name before '/'")
	}
	e = Entry{Login: cn, CN: cn, Formal: strings.TrimSpace(rest)}
	tags := tagValues(rest)
	e.Surname, e.Given = tags["S"], tags["G"]
	return e, true, nil
}

// parseTagged reads a line that is only a formal address.
func parseTagged(line string) (Entry, error) {
	tags := tagValues(line)
	if _, empty := tags[""]; empty {
		return Entry{}, errors.New("tag without a name")
	}
	e := Entry{CN: tags["CN"], Surname: tags["S"], Given: tags["G"], Formal: strings.TrimSpace(line)}
	if e.CN == "" {
		if e.Surname == "" {
			return Entry{}, errors.New("tagged address without CN= or S=")
		}
		e.CN = strings.TrimSpace(e.Given + " " + e.Surname)
	}
	e.Login = e.CN
	return e, nil
}

// tagValues reads the KEY=VALUE parts of a '/'-separated address; parts
// without '=' are ignored. Keys are upper-cased, blanks trimmed and collapsed.
func tagValues(s string) map[string]string {
	tags := map[string]string{}
	for _, part := range strings.Split(s, "/") {
		if key, value, ok := cutTag(part); ok {
			if _, dup := tags[key]; !dup {
				tags[key] = value
			}
		}
	}
	return tags
}

// cutTag splits "KEY=VALUE" when KEY looks like an X.400 attribute name
// (letters, digits, '-'; or empty, which callers refuse).
func cutTag(part string) (key, value string, ok bool) {
	k, v, found := strings.Cut(part, "=")
	if !found {
		return "", "", false
	}
	k = strings.TrimSpace(k)
	for _, r := range k {
		if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-')) {
			return "", "", false
		}
	}
	return strings.ToUpper(k), collapse(v), true
}

// isHeader recognises the attribute list and rules some listings start with.
func isHeader(line string) bool {
	switch strings.ToUpper(strings.Join(strings.Fields(line), "")) {
	case "CN", "CN/IA-FORMAL", "CN/IA-FORMAL/":
		return true
	}
	return strings.Trim(line, "-=_ \t") == ""
}

func isControl(r rune) bool { return r != '\t' && unicode.IsControl(r) }

// collapse trims s and turns each run of blanks into one space.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

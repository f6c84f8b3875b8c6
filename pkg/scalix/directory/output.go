package directory

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
)

// Filter drops excluded logins and, with a pattern, logins it does not match.
type Filter struct {
	Exclude map[string]bool
	Match   *regexp.Regexp
}

// Keep tells whether e passes the filter.
func (f Filter) Keep(e Entry) bool {
	if f.Exclude[e.Login] {
		return false
	}
	return f.Match == nil || f.Match.MatchString(e.Login)
}

// Apply keeps the entries that pass, in order.
func (f Filter) Apply(entries []Entry) []Entry {
	out := entries[:0:0]
	for _, e := range entries {
		if f.Keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// Output formats.
const (
	Lines = "lines"
	CSV   = "csv"
	JSONL = "jsonl"
)

// CSVHeader is the header of --format csv; sxwarm reads its login column.
var CSVHeader = []string{"login", "cn", "surname", "given", "mail", "formal"}

// Write writes entries to w in format. Output is buffered and written in
// whole lines.
func Write(w io.Writer, format string, entries []Entry) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var err error
	switch format {
	case Lines:
		for _, e := range entries {
			if _, err = fmt.Fprintln(bw, e.Login); err != nil {
				break
			}
		}
	case CSV:
		err = writeCSV(bw, entries)
	case JSONL:
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		for _, e := range entries {
			if err = enc.Encode(e); err != nil {
				break
			}
		}
	default:
		return fmt.Errorf("unknown format %q", format)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

func writeCSV(w io.Writer, entries []Entry) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, e := range entries {
		if err := cw.Write([]string{e.Login, e.CN, e.Surname, e.Given, e.Mail, e.Formal}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Package opencsv reads CSV the way Open-Xchange's command-line import reads
// it: opencsv 2.0's CSVReader built as `new CSVReader(reader, ',', '"')`,
// which leaves the escape character at its default, the backslash. It exists
// so that the createcontext stand-in refuses and mangles exactly what the
// real import would, and a test can fail for the reason a rollout would.
//
// The rules, from opencsv 2.0's documented parser behaviour:
//   - lines are read as java.io.BufferedReader.readLine reads them: a line
//     ends at "\n", "\r" or "\r\n", and the terminator is dropped;
//   - a quote toggles quoting; inside quotes a doubled quote is one quote;
//   - inside quotes, a backslash before a quote or a backslash yields that
//     character; a backslash before any other character (or outside quotes)
//     drops both characters; a backslash ending a line is dropped;
//   - a quote in the middle of an unquoted value is kept (its quoting still
//     toggles), unless it stands next to a separator or near the line start;
//   - a line ending inside quotes continues on the next line, joined by "\n";
//   - at the end of the input an open quoted value is lost, and the fields
//     read before it form the last record.
package opencsv

import (
	"bufio"
	"io"
	"strings"
	"unicode/utf8"
)

const (
	separator = ','
	quote     = '"'
	escape    = '\\'
)

// Reader reads records from CSV text already decoded to runes.
type Reader struct {
	in   *bufio.Reader
	line int // lines read so far
	// Decode turns a raw line into text; nil means UTF-8 (invalid bytes
	// become U+FFFD, as Java's decoder does).
	Decode func([]byte) string
}

// NewReader returns a reader of r.
func NewReader(r io.Reader) *Reader {
	return &Reader{in: bufio.NewReaderSize(r, 64<<10)}
}

// Line is the number of lines read so far (the last line of the last record).
func (r *Reader) Line() int { return r.line }

// readLine reads one line as BufferedReader.readLine does; ok is false at
// the end of the input.
func (r *Reader) readLine() (string, bool, error) {
	var raw []byte
	for {
		b, err := r.in.ReadByte()
		if err == io.EOF {
			if raw == nil {
				return "", false, nil
			}
			break
		}
		if err != nil {
			return "", false, err
		}
		if b == '\n' {
			break
		}
		if b == '\r' {
			if next, err := r.in.Peek(1); err == nil && next[0] == '\n' {
				r.in.ReadByte()
			}
			break
		}
		if raw == nil {
			raw = make([]byte, 0, 128)
		}
		raw = append(raw, b)
	}
	r.line++
	return r.decode(raw), true, nil
}

func (r *Reader) decode(raw []byte) string {
	if r.Decode != nil {
		return r.Decode(raw)
	}
	return DecodeUTF8(raw)
}

// DecodeUTF8 decodes as Java's UTF-8 decoder does with REPLACE: each
// maximal subpart of an ill-formed sequence (a lead byte and the valid
// continuation bytes after it, or one byte that cannot start a sequence)
// becomes one U+FFFD, where Go's strings.ToValidUTF8 would merge a run of
// them into one.
func DecodeUTF8(raw []byte) string {
	if utf8.Valid(raw) {
		return string(raw)
	}
	var b strings.Builder
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRune(raw[i:])
		if r != utf8.RuneError || size > 1 {
			b.WriteRune(r)
			i += size
			continue
		}
		b.WriteRune(utf8.RuneError)
		i += maximalSubpart(raw[i:])
	}
	return b.String()
}

// maximalSubpart is the length of the ill-formed sequence at the start of
// p: its lead byte and the continuation bytes Unicode's table allows after
// it, at least 1.
func maximalSubpart(p []byte) int {
	lo, hi, need := byte(0x80), byte(0xBF), 0
	switch c := p[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		lo, need = 0xA0, 2
	case c == 0xED:
		hi, need = 0x9F, 2
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		lo, need = 0x90, 3
	case c == 0xF4:
		hi, need = 0x8F, 3
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	}
	n := 1
	for ; n <= need && n < len(p); n++ {
		if p[n] < lo || p[n] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return n
}

// DecodeASCII decodes as Java does in a C/POSIX locale before Java 18: every
// byte above 0x7f becomes U+FFFD.
func DecodeASCII(raw []byte) string {
	var b strings.Builder
	for _, c := range raw {
		if c > 0x7f {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// ReadAll reads every record of r.
func ReadAll(r io.Reader) ([][]string, error) {
	cr := NewReader(r)
	var out [][]string
	for {
		rec, _, err := cr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
}

// Next returns the next record and the line it started on; io.EOF at the end.
func (r *Reader) Next() ([]string, int, error) {
	var record []string
	var pending *string
	start := r.line + 1
	for {
		line, ok, err := r.readLine()
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			if record == nil {
				return nil, 0, io.EOF
			}
			return record, start, nil // an open quoted value is lost
		}
		fields, rest := parseLine([]rune(line), pending)
		record = append(record, fields...)
		if rest == nil {
			if record == nil {
				record = []string{}
			}
			return record, start, nil
		}
		pending = rest
	}
}

// parseLine splits one physical line. pending is the open quoted value
// carried from the line before; the returned rest is non-nil when this line
// ends inside quotes.
func parseLine(line []rune, pending *string) (fields []string, rest *string) {
	var sb strings.Builder
	inQuotes := false
	if pending != nil {
		sb.WriteString(*pending)
		inQuotes = true
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == escape:
			if inQuotes && i+1 < len(line) && (line[i+1] == quote || line[i+1] == escape) {
				sb.WriteRune(line[i+1])
			}
			i++ // the escape and the character after it are consumed
		case c == quote:
			if inQuotes && i+1 < len(line) && line[i+1] == quote {
				sb.WriteRune(quote)
				i++
				continue
			}
			inQuotes = !inQuotes
			if i > 2 && line[i-1] != separator && i+1 < len(line) && line[i+1] != separator {
				sb.WriteRune(quote) // a quote in the middle of a value is kept
			}
		case c == separator && !inQuotes:
			fields = append(fields, sb.String())
			sb.Reset()
		default:
			sb.WriteRune(c)
		}
	}
	if inQuotes {
		sb.WriteByte('\n')
		s := sb.String()
		return fields, &s
	}
	return append(fields, sb.String()), nil
}

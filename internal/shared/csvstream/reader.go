// Package csvstream reads RFC 4180 CSV as a stream of records, keeping each
// record's exact bytes so that a record can be copied to another file without
// being re-encoded, and knowing the line each record starts on so that every
// error can name it. Memory is bounded by the longest record, not the input.
package csvstream

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// DefaultMaxRecord bounds a single record. A stray quote would otherwise make
// the reader swallow the rest of a multi-gigabyte input into one "record".
const DefaultMaxRecord = 64 << 20

const initialBuffer = 256 << 10

// ParseError names the input, the line and what is wrong there.
type ParseError struct {
	Name string // input name, e.g. "contexts.csv" or "stdin"
	Line int    // 1-based physical line
	Msg  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Msg)
}

// Record is one CSV record. Its byte slices are valid until the next call to
// Reader.Next.
type Record struct {
	Raw    []byte // the record exactly as read, with its line terminator if any
	Line   int    // line the record starts on
	bounds []int  // start,end offsets in Raw of each field's raw text
	quoted bool   // whether any field was quoted
}

// NumFields is the number of fields in the record.
func (r *Record) NumFields() int { return len(r.bounds) / 2 }

// Field returns field i, unquoted.
func (r *Record) Field(i int) string {
	return string(r.AppendField(nil, i))
}

// FieldEquals reports whether field i, unquoted, equals s, without allocating.
func (r *Record) FieldEquals(i int, s string) bool {
	raw := r.rawField(i)
	if len(raw) == 0 || raw[0] != '"' {
		return string(raw) == s
	}
	return string(unquote(nil, raw)) == s
}

// AppendField appends field i, unquoted, to dst.
func (r *Record) AppendField(dst []byte, i int) []byte {
	raw := r.rawField(i)
	if len(raw) > 0 && raw[0] == '"' {
		return unquote(dst, raw)
	}
	return append(dst, raw...)
}

// Fields returns every field, unquoted.
func (r *Record) Fields() []string {
	out := make([]string, r.NumFields())
	for i := range out {
		out[i] = r.Field(i)
	}
	return out
}

func (r *Record) rawField(i int) []byte {
	return r.Raw[r.bounds[2*i]:r.bounds[2*i+1]]
}

// unquote strips the surrounding quotes of a quoted field and undoubles "".
func unquote(dst, raw []byte) []byte {
	body := raw[1 : len(raw)-1]
	for {
		j := bytes.IndexByte(body, '"')
		if j < 0 {
			return append(dst, body...)
		}
		dst = append(dst, body[:j+1]...)
		body = body[j+2:]
	}
}

// Reader reads records one at a time.
type Reader struct {
	src  io.Reader
	name string

	// MaxRecord is the longest record accepted, in bytes.
	MaxRecord int
	// ValidateUTF8 rejects records that are not valid UTF-8.
	ValidateUTF8 bool

	buf        []byte
	start, end int // unread bytes are buf[start:end]
	eof        bool
	readErr    error
	line       int
	bomChecked bool
	rec        Record
}

// NewReader reads CSV from src; name is used in errors.
func NewReader(src io.Reader, name string) *Reader {
	return &Reader{src: src, name: name, MaxRecord: DefaultMaxRecord, line: 1}
}

// Name is the input name used in errors.
func (r *Reader) Name() string { return r.name }

// Line is the line the next record will start on.
func (r *Reader) Line() int { return r.line }

// Errorf builds a ParseError for the given line of this input.
func (r *Reader) Errorf(line int, format string, args ...any) error {
	return &ParseError{Name: r.name, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// Next returns the next record, or io.EOF after the last one. Blank lines
// between records are skipped, as encoding/csv does. A UTF-8 byte order mark
// at the very start is dropped.
func (r *Reader) Next() (*Record, error) {
	for {
		if err := r.dropBOM(); err != nil {
			return nil, err
		}
		n, err := r.scan()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, io.EOF
		}
		raw := r.buf[r.start : r.start+n]
		r.start += n
		if isBlankLine(raw) {
			r.line++
			continue
		}
		r.rec.Raw = raw
		r.rec.Line = r.line
		r.line += lineCount(raw, r.rec.quoted)
		if r.ValidateUTF8 && !utf8.Valid(raw) {
			return nil, r.Errorf(r.rec.Line, "invalid UTF-8 in record")
		}
		return &r.rec, nil
	}
}

func isBlankLine(raw []byte) bool {
	return len(raw) == 1 && raw[0] == '\n' || len(raw) == 2 && raw[0] == '\r' && raw[1] == '\n'
}

func lineCount(raw []byte, quoted bool) int {
	if quoted {
		return bytes.Count(raw, []byte{'\n'})
	}
	if len(raw) > 0 && raw[len(raw)-1] == '\n' {
		return 1
	}
	return 0
}

func (r *Reader) dropBOM() error {
	if r.bomChecked {
		return nil
	}
	for r.end-r.start < 3 && !r.eof {
		if err := r.fill(); err != nil {
			return err
		}
	}
	r.bomChecked = true
	if bytes.HasPrefix(r.buf[r.start:r.end], []byte("\xef\xbb\xbf")) {
		r.start += 3
	}
	return nil
}

// errNeedMore says the buffer ends inside the record being scanned.
var errNeedMore = errors.New("need more input")

// scan finds the record at buf[start:], filling the buffer as needed, and
// returns its length (0 at the end of input).
func (r *Reader) scan() (int, error) {
	for {
		if r.start == r.end && r.eof {
			return 0, r.readErr
		}
		n, err := r.parse()
		if err != errNeedMore {
			return n, err
		}
		if r.end-r.start >= r.MaxRecord {
			return 0, r.Errorf(r.line, "record longer than %d bytes (an unterminated quoted field?)", r.MaxRecord)
		}
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
}

// fill reads more input, compacting or growing the buffer first.
func (r *Reader) fill() error {
	if r.buf == nil {
		r.buf = make([]byte, initialBuffer)
	}
	if r.start > 0 {
		copy(r.buf, r.buf[r.start:r.end])
		r.end -= r.start
		r.start = 0
	}
	if r.end == len(r.buf) {
		grown := make([]byte, 2*len(r.buf))
		copy(grown, r.buf[:r.end])
		r.buf = grown
	}
	for {
		n, err := r.src.Read(r.buf[r.end:])
		r.end += n
		if err == io.EOF {
			r.eof = true
			return nil
		}
		if err != nil {
			r.eof = true
			r.readErr = fmt.Errorf("%s: read: %w", r.name, err)
			return r.readErr
		}
		if n > 0 {
			return nil
		}
	}
}

// parse scans one record at buf[start:end]. It returns errNeedMore when the
// record may continue past the bytes read so far.
func (r *Reader) parse() (int, error) {
	buf := r.buf[r.start:r.end]
	bounds := r.rec.bounds[:0]
	r.rec.quoted = false
	i := 0
	for {
		fieldStart := i
		if i < len(buf) && buf[i] == '"' {
			r.rec.quoted = true
			end, err := r.scanQuoted(buf, i)
			if err != nil {
				return 0, err
			}
			bounds = append(bounds, fieldStart, end)
			i = end
			if i == len(buf) { // the input ends right after the closing quote
				r.rec.bounds = bounds
				return i, nil
			}
			switch buf[i] {
			case ',':
				i++
				continue
			case '\n':
				r.rec.bounds = bounds
				return i + 1, nil
			case '\r':
				if i+1 == len(buf) && !r.eof {
					return 0, errNeedMore
				}
				if i+1 < len(buf) && buf[i+1] == '\n' {
					r.rec.bounds = bounds
					return i + 2, nil
				}
			}
			return 0, r.Errorf(r.line+bytes.Count(buf[:i], []byte{'\n'}),
				"unexpected %q after the closing quote of field %d", buf[i], len(bounds)/2)
		}
		for i < len(buf) && buf[i] != ',' && buf[i] != '\n' && buf[i] != '"' {
			i++
		}
		if i == len(buf) {
			if !r.eof {
				return 0, errNeedMore
			}
			r.rec.bounds = append(bounds, fieldStart, i)
			return i, nil
		}
		switch buf[i] {
		case ',':
			bounds = append(bounds, fieldStart, i)
			i++
		case '\n':
			end := i
			if end > fieldStart && buf[end-1] == '\r' {
				end--
			}
			r.rec.bounds = append(bounds, fieldStart, end)
			return i + 1, nil
		default: // '"'
			return 0, r.Errorf(r.line+bytes.Count(buf[:i], []byte{'\n'}),
				"bare quote in unquoted field %d (quote the field and double the quote)", len(bounds)/2+1)
		}
	}
}

// scanQuoted returns the offset just past the closing quote of the quoted
// field starting at buf[i].
func (r *Reader) scanQuoted(buf []byte, i int) (int, error) {
	i++
	for {
		j := bytes.IndexByte(buf[i:], '"')
		if j < 0 {
			if r.eof {
				return 0, r.Errorf(r.line, "unterminated quoted field (the quote opened on this line is never closed)")
			}
			return 0, errNeedMore
		}
		i += j + 1
		if i == len(buf) {
			if r.eof {
				return i, nil
			}
			return 0, errNeedMore
		}
		if buf[i] != '"' {
			return i, nil
		}
		i++ // a doubled quote stands for one quote
	}
}

// Package csvstream reads RFC 4180 CSV as a stream of records, keeping each
// record's exact bytes so that a record can be copied to another file without
// being re-encoded, and knowing the line each record starts on so that every
// error can name it. Memory is bounded by the longest record, not the input.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package csvstream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"unicode/utf8"

	"provpipe/pkg/shared/safetext"
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
	bounds []int  // start,end offsets in Raw of each field's raw text, unless quoted
	lines  int    // physical lines the record spans, its last line end included
	// quoted says the record is one line of fields each quoted from end
	// to end with no quote or comma inside, and bounds is not filled: a
	// split never asks for most fields, and the commas alone find one.
	quoted  bool
	nfields int
}

// NumFields is the number of fields in the record.
func (r *Record) NumFields() int {
	if r.quoted {
		return r.nfields
	}
	return len(r.bounds) / 2
}

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

// FieldValue returns field i, unquoted: a slice of Raw itself unless a
// doubled quote has to be undone, in scratch. (Of a line of quoted fields
// the shape check found none inside, so none is searched for.)
func (r *Record) FieldValue(scratch []byte, i int) []byte {
	raw := r.rawField(i)
	if r.quoted {
		return raw[1 : len(raw)-1]
	}
	return value(scratch, raw)
}

// value returns the value of a raw field, quotes and all: a slice of raw
// itself unless a doubled quote has to be undone, in scratch.
func value(scratch, raw []byte) []byte {
	if len(raw) == 0 || raw[0] != '"' {
		return raw
	}
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '"') < 0 {
		return body
	}
	return unquote(scratch[:0], raw)
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
	if r.quoted {
		start, end := r.quotedField(i)
		return r.Raw[start:end]
	}
	return r.Raw[r.bounds[2*i]:r.bounds[2*i+1]]
}

// FieldOffset is where field i's raw text starts in Raw.
func (r *Record) FieldOffset(i int) int {
	if r.quoted {
		start, _ := r.quotedField(i)
		return start
	}
	return r.bounds[2*i]
}

// SimpleQuoted reports whether the record is one line of fields each
// quoted from end to end with no quote or comma inside, as ctxrows writes
// them: every comma in it then separates two fields.
func (r *Record) SimpleQuoted() bool { return r.quoted }

// quotedField finds where field i of a quoted record starts and ends in
// Raw, between its commas, searching from the nearer end of the line.
func (r *Record) quotedField(i int) (start, end int) {
	if i < 0 || i >= r.nfields {
		panic(fmt.Sprintf("csvstream: field %d of a record of %d", i, r.nfields))
	}
	end = len(r.Raw) // up to its closing quote: without \n or \r\n
	for r.Raw[end-1] != '"' {
		end--
	}
	if i < r.nfields/2 {
		for ; i > 0; i-- {
			start += bytes.IndexByte(r.Raw[start:end], ',') + 1
		}
		if comma := bytes.IndexByte(r.Raw[start:end], ','); comma >= 0 {
			return start, start + comma
		}
		return start, end
	}
	for i = r.nfields - 1 - i; i > 0; i-- {
		end = bytes.LastIndexByte(r.Raw[:end], ',')
	}
	return bytes.LastIndexByte(r.Raw[:end], ',') + 1, end
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
	// Buffers, when set, lends the reader the buffers it reads into.
	Buffers Buffers

	// reference turns the line-at-a-time fast path off, leaving the
	// byte-by-byte parser alone: the tests compare the two on every input.
	reference bool
	// cutOnly finds where records end and nothing else (see Cutter).
	cutOnly bool
	// cutQuotes is the quotes of the record cut last, if one line (Cut).
	cutQuotes int
	// mapped is the input's first bytes, taken in windows instead of
	// read (Map); buf is then a window of it, starting at mapOff.
	mapped []byte
	mapOff int
	window int                // the least bytes a window holds
	fresh  func([]byte) error // each window's new bytes, before it is cut
}

// Buffers lets a reader's records outlive its next call to Next: instead
// of moving the unread bytes to the front of its buffer, which overwrites
// the records it returned, the reader takes a fresh buffer from Get and
// copies them there, and hands the old one to Retire. Records returned
// before that call still point into the retired buffer; the caller gives
// it back to Get's pool once done with them (another goroutine may be
// writing them out meanwhile). Get returns a buffer of at least min
// bytes, or a smaller one, which the reader then replaces with one it
// makes itself.
type Buffers struct {
	Get    func(min int) []byte
	Retire func([]byte)
}

// NewReader reads CSV from src; name is used in errors.
func NewReader(src io.Reader, name string) *Reader {
	return &Reader{src: src, name: name, MaxRecord: DefaultMaxRecord, line: 1}
}

// Map has r take the first len(data) bytes of its input from data, a
// mapping of it, instead of reading them: in windows of at least window
// bytes, which hold a record begun in the one before, as a buffer would,
// so that records and errors are those of reading (a record longer than
// MaxRecord is refused at the same length). No byte of data is written
// and no window is retired to Buffers: the caller keeps data mapped until
// it is done with the records. Then r reads what follows from its
// source, which the caller has placed just past data. fresh, if not nil,
// sees each window's new bytes before they are cut; its error stops the
// reading as a read error would. Map is called before the first Next.
func (r *Reader) Map(data []byte, window int, fresh func([]byte) error) {
	r.mapped, r.window, r.fresh = data, max(window, 1), fresh
}

// errMapped says the mapped bytes are all taken: fill reads on.
var errMapped = errors.New("mapped input taken")

// fillMapped moves buf to the next window of the mapped bytes, or, with
// all of them taken, copies what is unread of them to a buffer of r's own
// and returns errMapped.
func (r *Reader) fillMapped() error {
	at, unread := r.mapOff+r.start, r.end-r.start
	if at+unread == len(r.mapped) {
		rest := make([]byte, max(2*unread, initialBuffer))
		copy(rest, r.buf[r.start:r.end])
		r.mapped, r.buf, r.start, r.end = nil, rest, 0, unread
		return errMapped
	}
	end := min(at+max(2*unread, r.window), len(r.mapped))
	if r.fresh != nil {
		reached := r.mapOff + len(r.buf) // the end of the last window
		if err := r.fresh(r.mapped[reached:end]); err != nil {
			r.eof = true
			r.readErr = fmt.Errorf("%s: read: %w", r.name, err)
			return r.readErr
		}
	}
	r.buf, r.mapOff, r.start, r.end = r.mapped[at:end:end], at, 0, end-at
	return nil
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
		r.line += r.rec.lines
		if r.ValidateUTF8 && !r.cutOnly && !utf8.Valid(raw) {
			return nil, r.Errorf(r.rec.Line, "invalid UTF-8 in record")
		}
		return &r.rec, nil
	}
}

func isBlankLine(raw []byte) bool {
	return len(raw) == 1 && raw[0] == '\n' || len(raw) == 2 && raw[0] == '\r' && raw[1] == '\n'
}

func (r *Reader) dropBOM() error {
	if r.bomChecked {
		return nil
	}
	// The first line, up to textHead bytes (or all, if fewer): the check
	// for a binary file sees the same bytes however the reads or windows
	// cut the input, and waits for no more than the first line of a pipe.
	for !r.eof && r.end-r.start < textHead && bytes.IndexByte(r.buf[r.start:r.end], '\n') < 0 {
		if err := r.fill(); err != nil {
			return err
		}
	}
	r.bomChecked = true
	if err := r.notText(); err != nil {
		// Said before any parse error: a binary file's bytes make
		// nonsense of quotes and line ends.
		r.eof, r.readErr, r.start, r.end = true, err, 0, 0
		return err
	}
	if bytes.HasPrefix(r.buf[r.start:r.end], []byte("\xef\xbb\xbf")) {
		r.start += 3
	}
	return nil
}

// textHead bounds the first line checked for a NUL.
const textHead = 4096

// notText checks the input's first line (up to textHead bytes) for a NUL
// byte: a binary file has one there (an executable at offset 7, an
// archive or an image in its first bytes).
func (r *Reader) notText() error {
	return safetext.NotText(r.name, r.buf[r.start:min(r.end, r.start+textHead)])
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
			if err := r.errorBefore(); err != nil {
				return 0, err
			}
			return 0, r.Errorf(r.line, "record longer than %d bytes (an unterminated quoted field?)", r.MaxRecord)
		}
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
}

// errorBefore is, when only cutting, what a Reader would have found wrong
// in the bytes read so far. A Reader stops at the first malformed byte; a
// cut goes on to the next line end with even quotes, which may be too far
// away: the Reader's error is then the one to report.
func (r *Reader) errorBefore() error {
	if !r.cutOnly {
		return nil
	}
	if _, err := r.parseAny(); err != errNeedMore {
		return err
	}
	return nil
}

// fill reads more input, compacting or growing the buffer first.
func (r *Reader) fill() error {
	if r.mapped != nil {
		if err := r.fillMapped(); err != errMapped {
			return err
		}
	}
	if r.Buffers.Get != nil {
		r.switchBuffer()
	}
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

// switchBuffer moves the unread bytes into a buffer from r.Buffers, with
// room for as much again at least, and retires the current one: the
// records returned from it stay as they are. The lender chooses how large
// a buffer is beyond that.
func (r *Reader) switchBuffer() {
	unread := r.end - r.start
	want := max(2*unread, 4<<10)
	next := r.Buffers.Get(want)
	if len(next) < want {
		next = make([]byte, want)
	}
	copy(next, r.buf[r.start:r.end])
	if r.buf != nil {
		r.Buffers.Retire(r.buf)
	}
	r.buf, r.start, r.end = next, 0, unread
}

// parse scans one record at buf[start:end]. It returns errNeedMore when the
// record may continue past the bytes read so far.
func (r *Reader) parse() (int, error) {
	if r.cutOnly {
		return r.cutRecord()
	}
	if !r.reference {
		if n := r.parseLine(); n > 0 {
			return n, nil
		}
	}
	r.rec.quoted = false
	n, err := r.parseAny()
	if err == nil {
		r.rec.lines = bytes.Count(r.buf[r.start:r.start+n], []byte{'\n'})
	}
	return n, err
}

// parseLine is the fast path, for the record that is one whole line whose
// fields are each either unquoted without a quote in it, or quoted without
// a quote or comma inside: every record ctxrows and the documented script
// write. It looks at each line with a few vectorised searches (the line
// end, the number of quotes) and finds the commas eight bytes at a time,
// where parseAny visits every byte. It returns the record's length, or 0
// when the line is for parseAny to read: a quoted comma, newline or quote,
// an error to report, the last line without its newline. On the lines it
// takes, both parsers find the same fields.
func (r *Reader) parseLine() int {
	buf := r.buf[r.start:r.end]
	nl := bytes.IndexByte(buf, '\n')
	if nl < 0 {
		return 0
	}
	return r.takeLine(buf[:nl+1], bytes.Count(buf[:nl], []byte{'"'}))
}

// takeLine is parseLine's work on the line at buf[start:], line feed
// included, which holds quotes quotes.
func (r *Reader) takeLine(line []byte, quotes int) int {
	nl := len(line) - 1
	body := lineBody(line)
	r.rec.lines = 1
	if quotes > 0 {
		if fields, ok := quotedFields(body, quotes); ok {
			r.rec.quoted, r.rec.nfields = true, fields
			return nl + 1
		}
	}
	r.rec.quoted = false
	var delimiting int
	r.rec.bounds, delimiting = appendFields(r.rec.bounds[:0], body)
	if delimiting != quotes {
		return 0
	}
	return nl + 1
}

// lineBody is a line without its line end: the line feed, and a CR
// before it. (After a closing quote, or at the end of an unquoted last
// field, a CR before the line feed is the line end, not data.)
func lineBody(line []byte) []byte {
	body := line[:len(line)-1]
	if len(body) > 0 && body[len(body)-1] == '\r' {
		body = body[:len(body)-1]
	}
	return body
}

// quotedFields returns the number of fields of line, which holds quotes
// quotes, if it is "…","…",…,"…" with no quote or comma inside the quotes.
func quotedFields(line []byte, quotes int) (int, bool) {
	commas, ok := quotedShape(line)
	return commas + 1, ok && quotes == 2*commas+2
}

// quotedShape counts the commas of line, and reports whether it is
// "…","…",…,"…" with no quote or comma inside the quotes, given that it
// holds two quotes more than twice its commas. It checks that both ends
// are quotes and that every comma has a quote on either side, shared with
// no other comma nor with an end: those are then all the line's quotes,
// two to a field, so none is inside a field, and no comma is either.
//
// Eight bytes at a time and without a branch per byte or per comma
// (byteMask): the commas of the eight bytes at i, those whose neighbours
// at i-1 and i+1 are not both quotes, and those two bytes from another.
// On amd64, sixteen bytes at a time with SSE2 first (shape_amd64.s): it
// was a quarter of ctxsplit's time in eight-byte words.
func quotedShape(line []byte) (commas int, ok bool) {
	n := len(line)
	if !quotedEnds(line) {
		return 0, false
	}
	if vectorShape && n >= 19 {
		commas, bad := quotedShapeSSE2(line)
		return commas, !bad
	}
	var bad, last uint64
	i := 1
	for ; i+9 <= n; i += 8 {
		w := line[i-1 : i+9] // one bounds check for the three words
		c := byteMask(binary.LittleEndian.Uint64(w[1:9]), allCommas)
		flanks := (binary.LittleEndian.Uint64(w[0:8]) ^ allQuotes) | (binary.LittleEndian.Uint64(w[2:10]) ^ allQuotes)
		bad |= c&^byteMask(flanks, 0) | c&(c>>16) | c&(last>>48)
		commas += bits.OnesCount64(c)
		last = c
	}
	if bad != 0 {
		return 0, false
	}
	for ; i < n-1; i++ {
		if line[i] == ',' {
			// i is at least 2: line[1] is not a comma.
			if line[i-1] != '"' || line[i+1] != '"' || line[i-2] == ',' || line[i+2] == ',' {
				return 0, false
			}
			commas++
		}
	}
	return commas, true
}

// quotedEnds says line begins and ends with a quote, neither of them
// next to a comma: the ends of "…","…",…,"…".
func quotedEnds(line []byte) bool {
	n := len(line)
	return n >= 2 && line[0] == '"' && line[n-1] == '"' && line[1] != ',' && line[n-2] != ','
}

// byteMask has the high bit set in each byte of x equal to the byte
// repeated in pattern, and no other bit: a byte of x^pattern is zero
// exactly there, and adding 0x7f to each byte's low seven bits carries
// into its high bit unless the byte is zero.
func byteMask(x, pattern uint64) uint64 {
	x ^= pattern
	return ^((x&sevens + sevens) | x | sevens)
}

// appendFields appends the start and end of each comma-separated piece of
// line, and says how many quotes delimit them: two for a piece quoted from
// its first byte to its last. When that is every quote on the line, no
// piece has a quote inside, nor a comma (it would have been cut there), and
// the pieces are the fields parseAny finds. A piece that opens a quote it
// does not close counts more than the line has quotes, so no count matches.
//
// The line is read eight bytes at a time, commas marked without a branch
// per byte (byteMask).
func appendFields(bounds []int, line []byte) ([]int, int) {
	start, i, delimiting := 0, 0, 0
	for ; i+8 <= len(line); i += 8 {
		found := byteMask(binary.LittleEndian.Uint64(line[i:]), allCommas)
		for found != 0 {
			at := i + bits.TrailingZeros64(found)>>3
			bounds = append(bounds, start, at)
			delimiting += delimiters(line, start, at)
			start = at + 1
			found &= found - 1
		}
	}
	for ; i < len(line); i++ {
		if line[i] == ',' {
			bounds = append(bounds, start, i)
			delimiting += delimiters(line, start, i)
			start = i + 1
		}
	}
	delimiting += delimiters(line, start, len(line))
	return append(bounds, start, len(line)), delimiting
}

// delimiters is 0 for an unquoted piece line[s:e], 2 for one quoted from
// end to end, and, for one that opens a quote and does not close it at its
// end, more quotes than the whole line holds.
func delimiters(line []byte, s, e int) int {
	if s == e || line[s] != '"' {
		return 0
	}
	if e-s >= 2 && line[e-1] == '"' {
		return 2
	}
	return len(line) + 1
}

const (
	sevens    = 0x7f7f7f7f7f7f7f7f
	allCommas = ',' * 0x0101010101010101
	allQuotes = '"' * 0x0101010101010101
)

// parseAny reads any record, byte by byte, and says what is wrong with a
// malformed one.
func (r *Reader) parseAny() (int, error) {
	buf := r.buf[r.start:r.end]
	bounds := r.rec.bounds[:0]
	i := 0
	for {
		fieldStart := i
		if i < len(buf) && buf[i] == '"' {
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

package csvstream

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// Cutter cuts CSV into records without parsing their fields: a record
// ends at the first line end after which its quotes are even in number,
// since in valid CSV every quote opens or closes a quoted field or stands
// doubled inside one. Append finds the line ends of many records in one
// pass over what it has read, and their quotes with them. On input
// a Reader reads without error the records are the Reader's, byte for
// byte; a Checker finds, record by record, what a Reader would refuse, so
// the two together read as a Reader does, in two steps that can run on
// two goroutines. The Cutter is a Reader that only cuts, so buffering, the
// byte order mark and blank lines are handled as a Reader does.
type Cutter struct {
	r *Reader
	// ends, quotes and shapes are Append's line ends, their quotes and
	// their shapes (lineEnds).
	ends, quotes, shapes []int
}

// Cut returns a Cutter for the rest of r's input; r is not to be used
// after it. A header read by r, then the records cut, is how a split
// reads.
func (r *Reader) Cut() *Cutter {
	r.cutOnly = true
	return &Cutter{r: r}
}

// Cut is a record a Cutter cut, for a Checker.
type Cut struct {
	Raw  []byte
	Line int // the line it starts on
	// quotes is the number of quotes in a record of one line that ends
	// in a line feed, or -1: the cut counted them already.
	quotes int
	// quoted is the number of fields of a line of quoted fields with no
	// quote or comma inside (quotedFields), or 0: not known to be one.
	quoted int
}

// cut makes the Cut of raw, the record just cut.
func (r *Reader) cut(raw []byte, line int, shape bool) Cut {
	return newCut(raw, line, r.cutQuotes, shape)
}

// newCut makes the Cut of a record of one line with quotes quotes (or of
// several, -1), checking its shape if asked to.
func newCut(raw []byte, line, quotes int, shape bool) Cut {
	quoted := 0
	if shape && quotes > 0 {
		if fields, ok := quotedFields(lineBody(raw), quotes); ok {
			quoted = fields
		}
	}
	return Cut{Raw: raw, Line: line, quotes: quotes, quoted: quoted}
}

// Append appends the next records to dst, up to its capacity, and returns
// it: at least one, or io.EOF, or a Reader's error: a read error, a record
// too long (or what a Reader would have found wrong before that length).
// The records are valid until the following call (or, with lent buffers,
// until their buffer is given back). Input is read
// only before the first, so that with lent buffers every record appended
// is in one buffer, and a buffer retired during the call holds none of
// them. One call per many records is what makes cutting cheap.
//
// The shapes of one-line records (a line of quoted fields, whose fields
// the Checker then need not find) come with the line ends where those are
// searched thirty-two bytes at a time (lineEnds). For the others, with
// shapes, Append checks them line by line (the lines are in this core's
// cache now), which is then work the Checker does not do: a goroutine
// that cuts for another that checks can take on that work when the other
// falls behind.
func (c *Cutter) Append(dst []Cut, shapes bool) ([]Cut, error) {
	r := c.r
	rec, err := r.Next()
	if err != nil {
		return dst, err
	}
	dst = append(dst, r.cut(rec.Raw, rec.Line, shapes))
	return c.appendBuffered(dst, shapes), nil
}

// appendBuffered cuts the records that follow in the buffer, up to dst's
// capacity, from the line ends found there at once: a record is lines up
// to the first whose end leaves its quotes even. It stops before a record
// that goes on past the buffer, or past the line ends asked for.
func (c *Cutter) appendBuffered(dst []Cut, shapes bool) []Cut {
	r := c.r
	want := cap(dst) - len(dst)
	if want == 0 {
		return dst
	}
	if len(c.ends) < want {
		c.ends, c.quotes, c.shapes = make([]int, want), make([]int, want), make([]int, want)
	}
	buf, line := r.buf[r.start:r.end], r.line
	ends, quotes, lineShapes := c.ends[:want], c.quotes[:want], c.shapes[:want]
	found := lineEnds(buf, ends, quotes, lineShapes)
	start := 0 // of the next record in buf
	for k := 0; k < found; {
		last, q := k, quotes[k]
		if q%2 != 0 { // a quoted line end: the record goes on
			for q%2 != 0 && last+1 < found {
				last++
				q += quotes[last]
			}
			if q%2 != 0 {
				break
			}
		}
		raw := buf[start:ends[last]]
		start = ends[last]
		switch {
		case last > k:
			dst = append(dst, newCut(raw, line, -1, false))
			line += last - k + 1
		case isBlankLine(raw):
			line++
		case lineShapes[k] != unknownShape:
			dst = append(dst, Cut{Raw: raw, Line: line, quotes: q, quoted: lineFields(raw, q, lineShapes[k])})
			line++
		default:
			dst = append(dst, newCut(raw, line, q, shapes))
			line++
		}
		k = last + 1
	}
	r.start += start
	r.line = line
	return dst
}

// Lend has the Cutter read into buffers lent by b (see Buffers).
func (c *Cutter) Lend(b Buffers) { c.r.Buffers = b }

// Checker returns a Checker for the records c cuts, with the reader's
// name and UTF-8 rule.
func (c *Cutter) Checker() *Checker {
	k := &Checker{}
	k.p.name, k.p.ValidateUTF8, k.p.eof = c.r.name, c.r.ValidateUTF8, true
	return k
}

// Checker parses records a Cutter cut: what a Reader would have returned,
// or the error it would have stopped on, message and line included.
type Checker struct {
	p Reader // parses one cut record at a time, as its whole input
}

// Check parses a record Append cut and returns it as a Reader would,
// valid until the next Check. Checked in the order they were cut, records
// give the same first error as a Reader.
func (k *Checker) Check(c Cut) (*Record, error) {
	raw, line := c.Raw, c.Line
	p := &k.p
	p.buf, p.start, p.end, p.line = raw, 0, len(raw), line
	n := 0
	switch {
	case c.quoted > 0:
		p.rec.quoted, p.rec.nfields, p.rec.lines, n = true, c.quoted, 1, len(raw)
	case c.quotes >= 0:
		n = p.takeLine(raw, c.quotes)
	}
	if n == 0 {
		var err error
		if n, err = p.parse(); err != nil {
			return nil, err
		}
	}
	if n != len(raw) {
		// A record a Reader reads ends at the cut: before it, a line end
		// is inside quotes, an odd number of them.
		return nil, fmt.Errorf("%s:%d: csvstream: a record of %d bytes parsed as %d", p.name, line, len(raw), n)
	}
	if p.ValidateUTF8 && !utf8.Valid(raw) {
		return nil, p.Errorf(line, "invalid UTF-8 in record")
	}
	p.rec.Raw, p.rec.Line = raw, line
	return &p.rec, nil
}

// Errorf builds a ParseError for the given line of the checked input.
func (k *Checker) Errorf(line int, format string, args ...any) error {
	return k.p.Errorf(line, format, args...)
}

// cutRecord finds where the record at buf[start:end] ends, by line ends
// and quote parity alone; the record's fields are not found.
func (r *Reader) cutRecord() (int, error) {
	buf := r.buf[r.start:r.end]
	quotes, i, lines := 0, 0, 0
	for {
		nl := bytes.IndexByte(buf[i:], '\n')
		if nl < 0 {
			if !r.eof {
				return 0, errNeedMore
			}
			r.rec.lines = lines
			r.cutQuotes = -1
			return len(buf), nil
		}
		quotes += bytes.Count(buf[i:i+nl], []byte{'"'})
		i += nl + 1
		lines++
		if quotes%2 == 0 {
			r.rec.lines = lines
			r.cutQuotes = -1
			if lines == 1 {
				r.cutQuotes = quotes
			}
			return i, nil
		}
	}
}

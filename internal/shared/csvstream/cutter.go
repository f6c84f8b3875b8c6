package csvstream

import (
	"bytes"
	"fmt"
	"io"
)

// Cutter cuts CSV that a Reader has already read without error into the
// same records, byte for byte, without parsing their fields: a record
// ends at the first line end after which its quotes are even in number,
// since in valid CSV every quote opens or closes a quoted field or stands
// doubled inside one. It is for a second pass over an input, at the cost
// of two vectorised searches a line. On input a Reader would refuse, its
// records are unspecified.
type Cutter struct {
	src        io.Reader
	name       string
	buf        []byte
	start, end int
	eof        bool
	err        error
	bomChecked bool
}

// NewCutter cuts the CSV read from src; name is used in errors.
func NewCutter(src io.Reader, name string) *Cutter {
	return &Cutter{src: src, name: name}
}

// Next returns the next record, valid until the following call, or io.EOF.
// Like a Reader it drops a byte order mark at the start and skips blank
// lines.
func (c *Cutter) Next() ([]byte, error) {
	if !c.bomChecked {
		if err := c.dropBOM(); err != nil {
			return nil, err
		}
	}
	for {
		rec, err := c.cut()
		if err != nil {
			return nil, err
		}
		if !isBlankLine(rec) {
			return rec, nil
		}
	}
}

func (c *Cutter) cut() ([]byte, error) {
	quotes, i := 0, c.start
	for {
		nl := bytes.IndexByte(c.buf[i:c.end], '\n')
		if nl >= 0 {
			quotes += bytes.Count(c.buf[i:i+nl], []byte{'"'})
			i += nl + 1
			if quotes%2 == 0 {
				rec := c.buf[c.start:i]
				c.start = i
				return rec, nil
			}
			continue
		}
		if c.eof {
			if c.start == c.end {
				if c.err != nil {
					return nil, c.err
				}
				return nil, io.EOF
			}
			rec := c.buf[c.start:c.end]
			c.start = c.end
			return rec, nil
		}
		scanned := i - c.start
		if err := c.fill(); err != nil {
			return nil, err
		}
		// The bytes before i were searched already; only their quotes count.
		i = c.start + scanned
	}
}

// fill moves the unread bytes to the front and reads more, growing the
// buffer when a record fills it.
func (c *Cutter) fill() error {
	if c.buf == nil {
		c.buf = make([]byte, initialBuffer)
	}
	copy(c.buf, c.buf[c.start:c.end])
	c.end -= c.start
	c.start = 0
	if c.end == len(c.buf) {
		c.buf = append(c.buf, make([]byte, len(c.buf))...)
	}
	n, err := io.ReadAtLeast(c.src, c.buf[c.end:], 1)
	c.end += n
	if err != nil {
		c.eof = true
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			c.err = fmt.Errorf("%s: read: %w", c.name, err)
		}
	}
	return nil
}

// dropBOM reads the first three bytes, as a Reader does, and drops them if
// they are a byte order mark.
func (c *Cutter) dropBOM() error {
	for c.end < 3 && !c.eof {
		if err := c.fill(); err != nil {
			return err
		}
	}
	c.bomChecked = true
	if bytes.HasPrefix(c.buf[:c.end], []byte("\xef\xbb\xbf")) {
		c.start = 3
	}
	return nil
}

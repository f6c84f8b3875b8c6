package csvstream

import (
	"bytes"
	"io"
)

// Cutter cuts CSV that a Reader has already read without error into the
// same records, byte for byte, without parsing their fields: a record
// ends at the first line end after which its quotes are even in number,
// since in valid CSV every quote opens or closes a quoted field or stands
// doubled inside one. It is for a second pass over an input, at the cost
// of two vectorised searches a line. On input a Reader would refuse, its
// records are unspecified. It is a Reader that only cuts, so buffering,
// the byte order mark and blank lines are handled as a Reader does.
type Cutter struct {
	r *Reader
}

// NewCutter cuts the CSV read from src; name is used in errors.
func NewCutter(src io.Reader, name string) *Cutter {
	r := NewReader(src, name)
	r.cutOnly = true
	return &Cutter{r: r}
}

// Next returns the next record, valid until the following call, or io.EOF.
func (c *Cutter) Next() ([]byte, error) {
	rec, err := c.r.Next()
	if err != nil {
		return nil, err
	}
	return rec.Raw, nil
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
			return len(buf), nil
		}
		quotes += bytes.Count(buf[i:i+nl], []byte{'"'})
		i += nl + 1
		lines++
		if quotes%2 == 0 {
			r.rec.lines = lines
			return i, nil
		}
	}
}

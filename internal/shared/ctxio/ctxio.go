// Package ctxio makes reads stop when a context ends: a tool stopped by a
// signal returns from a read blocked on a pipe or a terminal, and checks
// between reads of a file.
package ctxio

import (
	"context"
	"io"
	"os"
)

// Reader returns a reader whose Read returns once ctx is done, with
// ctx's cause, even while a read of r is blocked: a pipe whose writer has
// not written yet, a terminal. A regular file never blocks, so it is only
// checked between reads; anything else is read by a goroutine into two
// alternating buffers, one read ahead.
func Reader(ctx context.Context, r io.Reader) io.Reader {
	switch r.(type) {
	case *checkedReader, *pumpedReader:
		return r
	}
	if ctx.Done() == nil {
		return r
	}
	if !Blocks(r) {
		return &checkedReader{ctx: ctx, r: r}
	}
	if f, ok := r.(*os.File); ok {
		widenPipe(f)
	}
	return &pumpedReader{ctx: ctx, r: r}
}

type checkedReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *checkedReader) Read(p []byte) (int, error) {
	if c.ctx.Err() != nil {
		return 0, cause(c.ctx)
	}
	return c.r.Read(p)
}

// pumpBuffer is the size of each read of a pumped reader: as large as the
// pipe widenPipe asks for, so one read can empty it.
const pumpBuffer = 1 << 20

type chunk struct {
	buf []byte
	n   int
	err error
}

type pumpedReader struct {
	ctx     context.Context
	r       io.Reader
	results chan chunk  // filled by the pump
	free    chan []byte // buffers the reader is done with
	cur     chunk       // the chunk being handed out
	off     int         // how much of cur was handed out
	err     error       // sticky: the pump's error, or the interruption
}

func (p *pumpedReader) Read(b []byte) (int, error) {
	if p.cur.buf == nil && (p.err != nil || !p.next()) {
		return 0, p.err
	}
	n := copy(b, p.cur.buf[p.off:p.cur.n])
	p.off += n
	if p.off == p.cur.n {
		p.free <- p.cur.buf
		p.cur = chunk{}
	}
	return n, nil
}

// next waits for the pump's next chunk, or for ctx. It reports whether a
// chunk with data is ready.
func (p *pumpedReader) next() bool {
	if p.results == nil {
		p.start()
	}
	for {
		select {
		case <-p.ctx.Done():
			p.err = cause(p.ctx)
			return false
		case c := <-p.results:
			if c.err != nil {
				p.err = c.err
			}
			if c.n > 0 {
				p.cur, p.off = c, 0
				return true
			}
			p.free <- c.buf
			if p.err != nil {
				return false
			}
		}
	}
}

func (p *pumpedReader) start() {
	p.results = make(chan chunk, 2)
	p.free = make(chan []byte, 2)
	p.free <- make([]byte, pumpBuffer)
	p.free <- make([]byte, pumpBuffer)
	go p.pump()
}

// pump reads r until an error, ahead of the reader by at most one buffer.
// Blocked in a read when ctx ends, it stays so until the process exits.
func (p *pumpedReader) pump() {
	for {
		var buf []byte
		select {
		case buf = <-p.free:
		case <-p.ctx.Done():
			return
		}
		n, err := p.r.Read(buf)
		p.results <- chunk{buf: buf, n: n, err: err}
		if err != nil {
			return
		}
	}
}

// Blocks reports whether a read of r can wait for ever (a pipe, a
// terminal, a socket), as a regular file's cannot.
func Blocks(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return true
	}
	fi, err := f.Stat()
	return err != nil || !fi.Mode().IsRegular()
}

func cause(ctx context.Context) error {
	if c := context.Cause(ctx); c != nil {
		return c
	}
	return ctx.Err()
}

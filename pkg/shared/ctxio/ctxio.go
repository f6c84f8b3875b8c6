// Package ctxio makes reads stop when a context ends: a tool stopped by a
// signal returns from a read blocked on a pipe or a terminal, and checks
// between reads of a file.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package ctxio

import (
	"context"
	"io"
	"os"
)

// Reader returns a reader whose Read returns once ctx is done, with
// ctx's cause, even while a read of r is blocked: a pipe whose writer has
// not written yet, a terminal. A regular file never blocks, so it is only
// checked between reads; anything else is read by a goroutine, the pump,
// into the caller's buffer when it is large (see pumpedReader).
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

// directRead is the smallest read a pumped reader has the pump make into
// the caller's own buffer; a smaller one is made into the pump's buffer
// of pumpBuffer bytes and copied from there. (A large reader, as
// csvstream's, then costs no copy; small ones, as bufio's, no round trip
// to the pump for every few kilobytes.)
const (
	directRead = 64 << 10
	pumpBuffer = 1 << 20 // as large as the pipe widenPipe asks for, so one read can empty it
)

// pumpedReader reads r on a goroutine of its own, the pump, one read at a
// time as asked: a read blocked when ctx ends is left to the pump, and
// Read returns. The pump then stays in that read until the process exits,
// and may still write into the buffer it was given: after the
// interruption, which every later Read returns too, the caller reads no
// more and leaves that buffer alone.
type pumpedReader struct {
	ctx     context.Context
	r       io.Reader
	reqs    chan []byte // a buffer for the pump to read into
	results chan pumped
	own     []byte // the pump's buffer, for small reads
	left    []byte // what a read into own left over
	err     error  // sticky: the read error, or the interruption
}

type pumped struct {
	n   int
	err error
}

func (p *pumpedReader) Read(b []byte) (int, error) {
	if len(p.left) > 0 {
		n := copy(b, p.left)
		p.left = p.left[n:]
		return n, nil
	}
	if p.err != nil {
		return 0, p.err
	}
	if len(b) >= directRead {
		return p.pump(b)
	}
	if p.own == nil {
		p.own = make([]byte, pumpBuffer)
	}
	n, err := p.pump(p.own)
	m := copy(b, p.own[:n])
	if p.left = p.own[m:n]; len(p.left) > 0 {
		return m, nil // the error, if any, after the rest
	}
	return m, err
}

// pump has the pump read into buf, and waits for the read or for ctx.
func (p *pumpedReader) pump(buf []byte) (int, error) {
	if p.reqs == nil {
		p.reqs, p.results = make(chan []byte, 1), make(chan pumped, 1)
		go p.serve()
	}
	p.reqs <- buf // never waits: the pump took the last one, and answered
	select {
	case res := <-p.results:
		p.err = res.err
		return res.n, res.err
	case <-p.ctx.Done():
		p.err = cause(p.ctx)
		return 0, p.err
	}
}

// serve is the pump: each buffer asked for is read into, until an error.
func (p *pumpedReader) serve() {
	for {
		select {
		case buf := <-p.reqs:
			n, err := p.r.Read(buf)
			p.results <- pumped{n, err}
			if err != nil {
				return
			}
		case <-p.ctx.Done():
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

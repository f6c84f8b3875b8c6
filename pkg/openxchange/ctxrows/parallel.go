package ctxrows

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
)

// rowsPerBlock is how many rows one worker renders at a time: large enough
// that a block is one big write, small enough to keep memory flat however
// many users a context has.
const rowsPerBlock = 4096

// block is a range of rows, numbered from 0 over every context in the
// range, created ones included (their rows are left out when rendered).
type block struct {
	from, to int64 // rows, to excluded
	out      chan []byte
}

// rowsParallel renders blocks of contexts on every core and writes them in
// order. Rendering is cheap, but on a large run it is half the time beside
// the write syscalls, and the two overlap here.
// A done ctx stops it between two blocks, so the output ends with a whole row.
func (g *Generator) rowsParallel(ctx context.Context, w io.Writer) error {
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan block, workers)
	order := make(chan chan []byte, 2*workers)
	stop := make(chan struct{})
	pool := sync.Pool{New: func() any { return new([]byte) }}

	go g.plan(jobs, order, stop)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				// The buffer goes to the writer, which returns it to the pool
				// once written.
				buf := pool.Get().(*[]byte)
				b.out <- g.appendBlock((*buf)[:0], b.from, b.to)
			}
		}()
	}
	var err error
	for ch := range order {
		buf := <-ch
		if err == nil && ctx.Err() != nil {
			err = context.Cause(ctx)
			close(stop)
		}
		if err == nil {
			if _, werr := w.Write(buf); werr != nil {
				err = fmt.Errorf("write rows: %w", werr)
				close(stop)
			}
		}
		pool.Put(&buf)
	}
	wg.Wait()
	return err
}

// plan hands out blocks in row order, and their result channels in the
// same order to the writer.
func (g *Generator) plan(jobs chan<- block, order chan<- chan []byte, stop <-chan struct{}) {
	defer close(order)
	defer close(jobs)
	rows := (g.end - g.start + 1) * g.perCtx
	for from := int64(0); from < rows; from += rowsPerBlock {
		b := block{from: from, to: min(from+rowsPerBlock, rows), out: make(chan []byte, 1)}
		select {
		case order <- b.out:
		case <-stop:
			return
		}
		jobs <- b
	}
}

// appendBlock renders rows from..to-1. A row's context, user and schema row
// follow from its number alone, so blocks render independently.
func (g *Generator) appendBlock(buf []byte, from, to int64) []byte {
	if stampRows && g.perCtx == 1 && g.row.stampable() {
		return g.stampBlock(buf, from, to)
	}
	var vars [numVars]int64
	offset := from / g.perCtx // the context's distance from the start
	vars[VarContext] = g.start + offset
	vars[VarUser] = from%g.perCtx + 1
	cycle := len(g.row.tails) // the schema rows, or 1 without a table
	k := int(offset % int64(cycle))
	for r := from; r < to; r++ {
		if !g.skip.Has(vars[VarContext]) { // a created context keeps its place in the schema cycle
			buf = g.row.appendRow(buf, &vars, k)
		}
		if vars[VarUser]++; vars[VarUser] > g.perCtx {
			vars[VarUser] = 1
			vars[VarContext]++
			if k++; k == cycle {
				k = 0
			}
		}
	}
	return buf
}

// stampRows lets appendBlock stamp rows; a test turns it off to compare
// with rows rendered field by field.
var stampRows = true

// stampBlock is appendBlock for rows of one per context whose only
// variable is the id (the context rows): each row is stamped while ids
// have up to maxStampWidth digits, and rendered field by field past them.
func (g *Generator) stampBlock(buf []byte, from, to int64) []byte {
	const tooWide = 1e8 // the first id of more than maxStampWidth digits
	cycle := len(g.row.tails)
	k := int(from % int64(cycle))
	var id digitCounter
	if first := g.start + from; first < tooWide {
		id.set(first)
	}
	var st *stamp
	var vars [numVars]int64
	// Room for the whole block at once: growing as it fills copies it
	// over and over.
	buf = slices.Grow(buf, int(to-from)*g.row.maxLen(id.width))
	for ctx := g.start + from; ctx < g.start+to; ctx++ {
		switch {
		case g.skip.Has(ctx): // a created context keeps its place in the schema cycle
		case ctx < tooWide:
			if st == nil || st.width != id.width {
				st = g.row.stampFor(id.width)
			}
			buf = st.appendRow(buf, id.word(), g.row.tails[k])
		default:
			vars[VarContext] = ctx
			buf = g.row.appendRow(buf, &vars, k)
		}
		if ctx < tooWide {
			id.inc()
		}
		if k++; k == cycle {
			k = 0
		}
	}
	return buf
}

package ctxrows

import (
	"fmt"
	"io"
	"runtime"
	"sync"
)

// contextsPerBlock is how many contexts one worker renders at a time: large
// enough that a block is one big write, small enough to keep memory flat.
const contextsPerBlock = 4096

type block struct {
	from, to int64
	out      chan []byte
}

// rowsParallel renders blocks of contexts on every core and writes them in
// order. Rendering is cheap, but on a large run it is half the time beside
// the write syscalls, and the two overlap here.
func (g *Generator) rowsParallel(w io.Writer) error {
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

// plan hands out blocks in id order, and their result channels in the same
// order to the writer.
func (g *Generator) plan(jobs chan<- block, order chan<- chan []byte, stop <-chan struct{}) {
	defer close(order)
	defer close(jobs)
	for from := g.start; from <= g.end; from += contextsPerBlock {
		b := block{from: from, to: min(from+contextsPerBlock-1, g.end), out: make(chan []byte, 1)}
		select {
		case order <- b.out:
		case <-stop:
			return
		}
		jobs <- b
	}
}

// appendBlock renders contexts from..to; the schema row of a context depends
// only on its distance from the start, so blocks render independently.
func (g *Generator) appendBlock(buf []byte, from, to int64) []byte {
	var vars [numVars]int64
	k := 0
	if len(g.extras) > 0 {
		k = int((from - g.start) % int64(len(g.extras)))
	}
	for id := from; id <= to; id++ {
		vars[VarContext] = id
		if !g.skip.Has(id) { // a created context keeps its place in the schema cycle
			for n := int64(1); n <= g.perCtx; n++ {
				vars[VarUser] = n
				buf = g.appendRow(buf, &vars, k)
			}
		}
		if len(g.extras) > 0 {
			if k++; k == len(g.extras) {
				k = 0
			}
		}
	}
	return buf
}

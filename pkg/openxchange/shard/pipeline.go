package shard

import (
	"io"
	"sync/atomic"

	"provpipe/pkg/shared/csvstream"
	"provpipe/pkg/shared/outfiles"
)

// A pass over the input runs as two stages on two cores: the reading
// goroutine reads the input and cuts it into records (csvstream.Cutter:
// line ends and quote parity only), handing them over a few thousand at
// a time; a second goroutine parses and checks each record
// (csvstream.Checker, which finds what a Reader would refuse, in the same
// order) and does the rest with it: picks its shard (in turn, or by its
// key), copies it into the shard's batch and counts its schema. Records
// are not copied between the stages: the reader's buffers are lent
// (csvstream.Buffers), and each goes back to the pool once the second
// stage is done with the records in it.
var (
	readBlock  = 512 << 10 // one buffer of input
	readBlocks = 4         // buffers in the pool: bounds memory, and how far reading runs ahead
)

// cutsBatch is the most records cut and handed over at once.
const cutsBatch = 2048

// slowSecondStage, set by a test, runs before each handover the second
// stage takes: a second stage that lags behind is when a buffer given back too
// early would be overwritten under it.
var slowSecondStage func()

// handover is what the reading goroutine hands over: records cut from one
// buffer, after the buffers it retired before cutting them, which the
// second stage may give back (every record in them came before).
type handover struct {
	release [][]byte
	cuts    []csvstream.Cut
}

// secondStage is what the second goroutine does with each record, once
// checked; an error stops the pass.
type secondStage func(rec *csvstream.Record) error

// stages connects the reading goroutine to the second stage.
type stages struct {
	pool      chan []byte
	handovers chan handover
	spent     chan []csvstream.Cut // cut lists the second stage is done with, for reuse
	retired   [][]byte             // buffers retired since the last handover
	failed    atomic.Bool          // the second stage stopped on an error
	err       error                // that error, read after done
	done      chan struct{}
	mapped    *mapping // the input, if mapped: the second stage runs under its guard
}

func newStages(c *csvstream.Cutter, h *header, m *mapping, work secondStage) *stages {
	st := &stages{
		mapped:    m,
		pool:      make(chan []byte, readBlocks+2),
		handovers: make(chan handover, 2),
		spent:     make(chan []csvstream.Cut, 4),
		done:      make(chan struct{}),
	}
	for range readBlocks {
		st.pool <- make([]byte, readBlock)
	}
	c.Lend(csvstream.Buffers{Get: st.get, Retire: st.retire})
	go st.second(c.Checker(), h, work)
	return st
}

// get gives the reader a buffer, first handing over the buffers it
// retired: the second stage may be waiting to give them back.
func (st *stages) get(min int) []byte {
	if len(st.retired) > 0 {
		st.send(nil)
	}
	buf := <-st.pool
	if len(buf) < min {
		// A record longer than a block: it gets a buffer of its own, and
		// the block goes back, so the pool keeps its number.
		st.give(buf)
		return make([]byte, min)
	}
	return buf
}

// give puts a buffer back in the pool, unless the pool is full (a buffer
// from before the pool).
func (st *stages) give(buf []byte) {
	select {
	case st.pool <- buf:
	default:
	}
}

func (st *stages) retire(buf []byte) {
	st.retired = append(st.retired, buf)
}

// send hands cuts over, with the buffers retired before them.
func (st *stages) send(cuts []csvstream.Cut) {
	st.handovers <- handover{release: st.retired, cuts: cuts}
	st.retired = nil
}

// cuts returns an empty cut list, one the second stage is done with if any.
func (st *stages) cuts() []csvstream.Cut {
	select {
	case c := <-st.spent:
		return c
	default:
		return make([]csvstream.Cut, 0, cutsBatch)
	}
}

// finish waits for the second stage and returns the first error in the
// input's order: the second stage's, on a record cut before whatever
// stopped the reading stage (readErr), or readErr.
func (st *stages) finish(readErr error) error {
	close(st.handovers)
	<-st.done
	if st.err != nil {
		return st.err
	}
	return readErr
}

// second checks each record and runs work on it. After an error it only
// gives buffers back, so the reader never waits for one forever; the
// reader sees failed and stops.
func (st *stages) second(check *csvstream.Checker, h *header, work secondStage) {
	defer close(st.done)
	for b := range st.handovers {
		if slowSecondStage != nil {
			slowSecondStage()
		}
		for _, buf := range b.release {
			st.give(buf)
		}
		if st.err == nil {
			st.err = st.mapped.guard(func() error {
				for _, c := range b.cuts {
					if err := checkAndWork(check, h, c, work); err != nil {
						return err
					}
				}
				return nil
			})
			if st.err != nil {
				st.failed.Store(true)
			}
		}
		if b.cuts != nil {
			clear(b.cuts) // drop the references into the buffers
			select {
			case st.spent <- b.cuts[:0]:
			default:
			}
		}
	}
}

func checkAndWork(check *csvstream.Checker, h *header, c csvstream.Cut, work secondStage) error {
	rec, err := check.Check(c)
	if err != nil {
		return err
	}
	if err := checkWidth(check, rec, h); err != nil {
		return err
	}
	return work(rec)
}

// readAll is the reading stage: every record cut, to the second stage.
// While the second stage has records waiting, the cut also checks the
// shapes of lines, taking that work off the second stage; while it has
// none, the second stage does it: the two cores share the work, whatever
// the rest of the second stage (picking shards, counting, copying) costs.
// (Where the line ends are searched with AVX2 the search gives most
// lines' shapes itself; what is shared then is the rest: the first line
// of each call, the lines at a buffer's end.)
func readAll(c *csvstream.Cutter, st *stages) error {
	for !st.failed.Load() {
		cuts, err := c.Append(st.cuts(), len(st.handovers) > 0)
		if len(cuts) > 0 {
			st.send(cuts)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// distribute writes each record left in c to the shard of files pick
// chooses for it, after the header, counting records per shard, and
// schemas in stats (unless its column is -1); the shards are committed
// by the caller. m is the input's mapping, or nil.
func distribute(c *csvstream.Cutter, h *header, files []*outfiles.File, stats *schemaStats, m *mapping, pick func(*csvstream.Record) (int, error)) (*Result, error) {
	out, err := startBatches(files, h)
	if err != nil {
		return nil, err
	}
	defer out.close()
	counts := make([]int, len(files))
	st := newStages(c, h, m, func(rec *csvstream.Record) error {
		shard, err := pick(rec)
		if err != nil {
			return err
		}
		if err := out.add(shard, rec.Raw); err != nil {
			return err
		}
		if stats.column >= 0 {
			stats.add(rec, shard)
		}
		counts[shard]++
		return nil
	})
	if err := st.finish(m.guard(func() error { return readAll(c, st) })); err != nil {
		return nil, err
	}
	if err := out.close(); err != nil {
		return nil, err
	}
	return stats.result(files, counts), nil
}

// startBatches starts the batcher for files, with the header at the start
// of each shard's first batch: every write is then a whole batch, which
// the file's buffer hands on without copying it.
func startBatches(files []*outfiles.File, h *header) (*batcher, error) {
	out := newBatcher(files)
	for s := range files {
		if err := out.add(s, h.raw); err != nil {
			out.close()
			return nil, err
		}
	}
	return out, nil
}

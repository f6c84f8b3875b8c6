package shard

import (
	"io"
	"sync/atomic"

	"provpipe/internal/shared/csvstream"
	"provpipe/internal/shared/outfiles"
)

// A pass over the input runs as two stages on two cores: the reading
// goroutine reads the input and cuts it into records (csvstream.Cutter:
// line ends and quote parity only), and, splitting round-robin, picks
// each record's shard; a second goroutine parses and checks each record
// (csvstream.Checker, which finds what a Reader would refuse, in the same
// order) and does the rest with it: copies it into its shard's batch and
// counts its schema (round-robin), or numbers its key (key mode's first
// pass). Records are not copied between the stages: the reader's buffers
// are lent (csvstream.Buffers), and each goes back to the pool once the
// second stage is done with the records in it.
var (
	readBlock  = 512 << 10 // one buffer of input
	readBlocks = 4         // buffers in the pool: bounds memory, and how far reading runs ahead
)

const itemsBatch = 2048 // records handed over at once

// slowSecondStage, set by a test, runs before each batch of the second
// stage: a second stage that lags behind is when a buffer given back too
// early would be overwritten under it.
var slowSecondStage func()

// item is one record for the second stage, or a buffer it may give back.
type item struct {
	raw     []byte // the whole record, in a lent buffer
	line    int    // the line it starts on
	shard   int
	release []byte // a retired buffer: every record in it came before
}

// secondStage is what the second goroutine does with each record, once
// checked; an error stops the pass.
type secondStage func(rec *csvstream.Record, shard int) error

// stages connects the reading goroutine to the second stage.
type stages struct {
	pool    chan []byte
	batches chan []item
	spent   chan []item // batches the second stage is done with, for reuse
	pending []item
	failed  atomic.Bool // the second stage stopped on an error
	err     error       // that error, read after done
	done    chan struct{}
}

func newStages(c *csvstream.Cutter, h *header, work secondStage) *stages {
	st := &stages{
		pool:    make(chan []byte, readBlocks+2),
		batches: make(chan []item, 2),
		spent:   make(chan []item, 4),
		done:    make(chan struct{}),
	}
	for range readBlocks {
		st.pool <- make([]byte, readBlock)
	}
	c.Lend(csvstream.Buffers{Get: st.get, Retire: st.retire})
	go st.second(c.Checker(), h, work)
	return st
}

// get gives the reader a buffer, first handing over what is pending: the
// second stage must see those records to give buffers back.
func (st *stages) get(min int) []byte {
	st.flush()
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
	st.push(item{release: buf})
}

func (st *stages) push(it item) {
	st.pending = append(st.pending, it)
	if len(st.pending) == itemsBatch {
		st.flush()
	}
}

func (st *stages) flush() {
	if len(st.pending) == 0 {
		return
	}
	st.batches <- st.pending
	select {
	case st.pending = <-st.spent:
	default:
		st.pending = make([]item, 0, itemsBatch)
	}
}

// finish hands over the rest, waits for the second stage, and returns
// the first error in the input's order: the second stage's, on a record
// cut before whatever stopped the reading stage (readErr), or readErr.
func (st *stages) finish(readErr error) error {
	st.flush()
	close(st.batches)
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
	for batch := range st.batches {
		if slowSecondStage != nil {
			slowSecondStage()
		}
		for i := range batch {
			it := &batch[i]
			if it.release != nil {
				st.give(it.release)
				continue
			}
			if st.err != nil {
				continue
			}
			if err := checkAndWork(check, h, it, work); err != nil {
				st.err = err
				st.failed.Store(true)
			}
		}
		clear(batch) // drop the references into the buffers
		select {
		case st.spent <- batch[:0]:
		default:
		}
	}
}

func checkAndWork(check *csvstream.Checker, h *header, it *item, work secondStage) error {
	rec, err := check.Check(it.raw, it.line)
	if err != nil {
		return err
	}
	if err := checkWidth(check, rec, h); err != nil {
		return err
	}
	return work(rec, it.shard)
}

// distribute writes each record left in c to the shard pick chooses for
// it, counting records and schemas per shard; the shards are committed by
// the caller, through set.
func distribute(c *csvstream.Cutter, h *header, opt Options, set *outfiles.Set, pick func() int) (*Result, error) {
	files, out, err := openOutput(opt, h, set)
	if err != nil {
		return nil, err
	}
	defer out.close()
	stats := newSchemaStats(h, opt.Shards)
	counts := make([]int, opt.Shards)
	st := newStages(c, h, func(rec *csvstream.Record, shard int) error {
		if err := out.add(shard, rec.Raw); err != nil {
			return err
		}
		if stats.column >= 0 {
			// Only a name with a doubled quote is copied to be undone.
			stats.add(csvstream.Value(nil, rec.RawField(stats.column)), shard)
		}
		counts[shard]++
		return nil
	})
	if err := st.finish(readAll(c, st, pick)); err != nil {
		return nil, err
	}
	if err := out.close(); err != nil {
		return nil, err
	}
	return stats.result(files, counts), nil
}

// openOutput creates the shard files and their batcher, with the header
// at the start of each shard's first batch: every write is then a whole
// batch, which the file's buffer hands on without copying it.
func openOutput(opt Options, h *header, set *outfiles.Set) ([]*outfiles.File, *batcher, error) {
	files, err := openShards(opt, set)
	if err != nil {
		return nil, nil, err
	}
	out := newBatcher(files)
	for s := range files {
		if err := out.add(s, h.raw); err != nil {
			out.close()
			return nil, nil, err
		}
	}
	return files, out, nil
}

// readAll is the reading stage: every record cut, with the shard pick
// gives it (nil: none), to the second stage.
func readAll(c *csvstream.Cutter, st *stages, pick func() int) error {
	for !st.failed.Load() {
		raw, line, err := c.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		it := item{raw: raw, line: line}
		if pick != nil {
			it.shard = pick()
		}
		st.push(it)
	}
	return nil
}

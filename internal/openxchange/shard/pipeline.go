package shard

import (
	"io"
	"sync/atomic"

	"provpipe/internal/shared/csvstream"
	"provpipe/internal/shared/outfiles"
)

// A pass over the input runs as two stages on two cores: the reading
// goroutine reads and scans the input (and, splitting round-robin, picks
// each record's shard); a second goroutine does the rest with each record:
// copies it into its shard's batch and counts its schema (round-robin), or
// numbers its key (key mode's first pass). Records are not copied between
// the stages: the reader's buffers are lent (csvstream.Buffers), and each
// goes back to the pool once the second stage is done with the records in it.
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
	raw     []byte    // the whole record, in a lent buffer
	fields  [2][]byte // raw fields the second stage needs, in the same buffer
	shard   int
	release []byte // a retired buffer: every record in it came before
}

// secondStage is what the second goroutine does with each record; an
// error stops the pass.
type secondStage func(it *item) error

// stages connects the reading goroutine to the second stage.
type stages struct {
	pool    chan []byte
	batches chan []item
	spent   chan []item // batches the second stage is done with, for reuse
	pending []item
	failed  atomic.Bool // the second stage stopped on a write error
	err     error       // that error, read after done
	done    chan struct{}
}

func newStages(r *csvstream.Reader, work secondStage) *stages {
	st := &stages{
		pool:    make(chan []byte, readBlocks+2),
		batches: make(chan []item, 2),
		spent:   make(chan []item, 4),
		done:    make(chan struct{}),
	}
	for range readBlocks {
		st.pool <- make([]byte, readBlock)
	}
	r.Buffers = csvstream.Buffers{Get: st.get, Retire: st.retire}
	go st.second(work)
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

// finish hands over the rest and waits for the second stage.
func (st *stages) finish() error {
	st.flush()
	close(st.batches)
	<-st.done
	return st.err
}

// second runs work on each record. After an error it only gives buffers
// back, so the reader never waits for one forever; the reader sees failed
// and stops.
func (st *stages) second(work secondStage) {
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
			if err := work(it); err != nil {
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

// distribute writes each record left in r to the shard pick chooses for
// it, counting records and schemas per shard; the shards are committed by
// the caller, through set.
func distribute(r *csvstream.Reader, h *header, opt Options, set *outfiles.Set, pick func(*csvstream.Record) (int, error)) (*Result, error) {
	files, out, err := openOutput(opt, h, set)
	if err != nil {
		return nil, err
	}
	defer out.close()
	stats := newSchemaStats(h, opt.Shards)
	counts := make([]int, opt.Shards)
	st := newStages(r, func(it *item) error {
		if err := out.add(it.shard, it.raw); err != nil {
			return err
		}
		if stats.column >= 0 {
			// Only a name with a doubled quote is copied to be undone.
			stats.add(csvstream.Value(nil, it.fields[0]), it.shard)
		}
		counts[it.shard]++
		return nil
	})
	err = readAll(r, st, func(rec *csvstream.Record) (item, error) {
		s, err := pick(rec)
		if err != nil {
			return item{}, err
		}
		it := item{shard: s}
		if stats.column >= 0 {
			it.fields[0] = rec.RawField(stats.column)
		}
		return it, nil
	})
	if werr := st.finish(); err == nil {
		err = werr
	}
	if err != nil {
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

// readAll is the reading stage: every record, with what take takes from
// it, to the second stage. (take returns the item rather than filling one
// in: a pointer passed to it would put every item on the heap.)
func readAll(r *csvstream.Reader, st *stages, take func(*csvstream.Record) (item, error)) error {
	for !st.failed.Load() {
		rec, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		it, err := take(rec)
		if err != nil {
			return err
		}
		it.raw = rec.Raw
		st.push(it)
	}
	return nil
}

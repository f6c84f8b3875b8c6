package shard

import (
	"io"
	"sync/atomic"

	"provpipe/internal/shared/csvstream"
	"provpipe/internal/shared/outfiles"
)

// The split runs as two stages on two cores: the reading goroutine reads
// and scans the input and picks each record's shard; a second one copies
// the records into their shards' batches, counts schemas and hands full
// batches to the writer. Records are not copied between the stages: the
// reader's buffers are lent (csvstream.Buffers), and each goes back to the
// pool once the second stage has copied the records in it.
var (
	readBlock  = 1 << 20 // one buffer of input
	readBlocks = 4       // buffers in the pool: bounds memory, and how far reading runs ahead
)

const itemsBatch = 2048 // records handed over at once

// slowSecondStage, set by a test, runs before each batch of the second
// stage: a second stage that lags behind is when a buffer given back too
// early would be overwritten under it.
var slowSecondStage func()

// item is one record for the second stage, or a buffer it may give back.
type item struct {
	raw     []byte // the whole record, in a lent buffer
	schema  []byte // its raw schema field, in the same buffer
	shard   int
	release []byte // a retired buffer: every record in it came before
}

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

func newStages(r *csvstream.Reader, stats *schemaStats, counts []int, out *batcher) *stages {
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
	go st.second(stats, counts, out)
	return st
}

// get gives the reader a buffer, first handing over what is pending: the
// second stage must see those records to give buffers back.
func (st *stages) get(min int) []byte {
	st.flush()
	buf := <-st.pool
	if len(buf) < min {
		return make([]byte, min) // a record longer than a block; the pool keeps its size
	}
	return buf
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

// second copies each record into its shard's batch and counts it. After a
// write error it only gives buffers back, so the reader never waits for
// one forever; the reader sees failed and stops.
func (st *stages) second(stats *schemaStats, counts []int, out *batcher) {
	defer close(st.done)
	for batch := range st.batches {
		if slowSecondStage != nil {
			slowSecondStage()
		}
		for _, it := range batch {
			if it.release != nil {
				select {
				case st.pool <- it.release:
				default: // a buffer from before the pool; let it go
				}
				continue
			}
			if st.err != nil {
				continue
			}
			if err := out.add(it.shard, it.raw); err != nil {
				st.err = err
				st.failed.Store(true)
				continue
			}
			if stats.column >= 0 {
				// Only a name with a doubled quote is copied to be undone.
				stats.add(csvstream.Value(nil, it.schema), it.shard)
			}
			counts[it.shard]++
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
	files, err := openShards(opt, set)
	if err != nil {
		return nil, err
	}
	stats := newSchemaStats(h, opt.Shards)
	counts := make([]int, opt.Shards)
	out := newBatcher(files)
	defer out.close()
	// The header starts each shard's first batch: every write is then a
	// whole batch, which the file's buffer hands on without copying it.
	for s := range files {
		if err := out.add(s, h.raw); err != nil {
			return nil, err
		}
	}
	st := newStages(r, stats, counts, out)
	err = readAll(r, st, stats.column, pick)
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

// readAll is the reading stage: every record with its shard, to the second.
func readAll(r *csvstream.Reader, st *stages, column int, pick func(*csvstream.Record) (int, error)) error {
	for !st.failed.Load() {
		rec, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		s, err := pick(rec)
		if err != nil {
			return err
		}
		it := item{raw: rec.Raw, shard: s}
		if column >= 0 {
			it.schema = rec.RawField(column)
		}
		st.push(it)
	}
	return nil
}

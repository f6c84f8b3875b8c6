package shard

import (
	"fmt"
	"sync"

	"provpipe/pkg/shared/outfiles"
)

// A shard collects maxBatch bytes before they are written, or less when
// there are many shards: all shards' batches together stay near
// batchBudget, so -n 10000 does not hold gigabytes.
const (
	maxBatch    = 256 << 10
	minBatch    = 16 << 10
	batchBudget = 4 << 20
)

// writeAlign is what every write but a shard's last ends on, in bytes from
// the start of the file: the page cache takes a write that starts and ends
// on 64 KiB in large folios, and on this project's machine 155 MB cost 15 %
// less system time so written than in writes that end where a record does
// (BENCHMARKS.md, "What each optimisation bought"). A batch's bytes past
// the boundary open the next batch.
const writeAlign = 64 << 10

func batchSize(shards int) int {
	return max(minBatch, min(maxBatch, batchBudget/max(shards, 1)))
}

// batcher collects records per shard and writes full batches from a second
// goroutine, so parsing the input and the write system calls overlap.
type batcher struct {
	files   []*outfiles.File
	size    int // bytes a batch collects
	pending [][]byte
	// limit is the size of each shard's batch: size, but a share of it
	// for the first, staggered: round-robin fills every shard's batch at
	// the same pace, and batches all full at once would queue up behind
	// each other's write while the copying waits; staggered, they come
	// one at a time.
	limit []int
	// queued is the bytes of each shard queued for writing, a multiple of
	// writeAlign until the last batch.
	queued []int
	queue  chan batch
	free   chan []byte
	done   chan struct{}
	mu     sync.Mutex
	err    error
	closed bool
}

type batch struct {
	shard int
	data  []byte
}

func newBatcher(files []*outfiles.File) *batcher {
	b := &batcher{
		files:   files,
		size:    batchSize(len(files)),
		pending: make([][]byte, len(files)),
		limit:   make([]int, len(files)),
		queued:  make([]int, len(files)),
		queue:   make(chan batch, 4),
		free:    make(chan []byte, 8),
		done:    make(chan struct{}),
	}
	for i := range b.limit {
		b.limit[i] = b.size * (i + 1) / len(files)
	}
	go b.writeLoop()
	return b
}

func (b *batcher) writeLoop() {
	defer close(b.done)
	for x := range b.queue {
		if b.failed() == nil {
			if _, err := b.files[x.shard].Write(x.data); err != nil {
				b.setErr(fmt.Errorf("write %s: %w", b.files[x.shard].Path, err))
			}
		}
		select {
		case b.free <- x.data[:0]:
		default:
		}
	}
}

func (b *batcher) setErr(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = err
	}
}

func (b *batcher) failed() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// add queues one record for a shard.
func (b *batcher) add(shard int, raw []byte) error {
	p := b.pending[shard]
	if p == nil {
		p = b.buffer()
	}
	p = append(p, raw...)
	if len(p) >= b.limit[shard] {
		if whole := b.aligned(shard, len(p)); whole > 0 {
			b.limit[shard] = b.size
			rest := append(b.buffer(), p[whole:]...)
			b.queue <- batch{shard, p[:whole]}
			b.queued[shard] += whole
			p = rest
			if err := b.failed(); err != nil {
				return err
			}
		}
	}
	b.pending[shard] = p
	return nil
}

// aligned is how much of a shard's pending n bytes ends on writeAlign.
func (b *batcher) aligned(shard, n int) int {
	end := b.queued[shard] + n
	return end - end%writeAlign - b.queued[shard]
}

func (b *batcher) buffer() []byte {
	select {
	case buf := <-b.free:
		return buf
	default:
		return make([]byte, 0, b.size+4096)
	}
}

// close writes what is pending and waits for the writer; it may be called
// again (by a deferred call after an early return).
func (b *batcher) close() error {
	if b.closed {
		return b.failed()
	}
	b.closed = true
	for shard, p := range b.pending {
		if len(p) > 0 {
			b.queue <- batch{shard, p}
		}
	}
	close(b.queue)
	<-b.done
	return b.failed()
}

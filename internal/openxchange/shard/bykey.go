package shard

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"provpipe/internal/shared/csvstream"
	"provpipe/internal/shared/ctxio"
	"provpipe/internal/shared/outfiles"
)

// splitByKey reads the input twice. The first pass cuts and checks every
// record as round-robin does and counts the records of each key, noting
// for each record where it is (its length, and the bytes skipped before
// it: the header, blank lines) and its key (and schema) as numbers in an
// index, three or four bytes a record. Keys are then assigned to shards.
// The second pass reads the input again without looking at it: the index
// says where each record is and where it goes. A checksum of all the
// input, taken in both passes, tells that the input did not change in
// between: if it did, the shards written are not committed. A
// non-seekable input is copied to a spool file during the first pass.
func splitByKey(ctx context.Context, in io.Reader, name string, opt Options, set *outfiles.Set) (*Result, error) {
	src, cleanup, err := rereadable(in, opt)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	first := newSummed(ctxio.Reader(ctx, src.first))
	idx, h, err := indexKeys(first, name, opt)
	if err != nil {
		return nil, err
	}
	idx.sum = first.sum
	shardOf := balance(idx.counts, opt.Shards)
	second, err := src.rewind()
	if err != nil {
		return nil, err
	}
	res, err := writeIndexed(ctx, second, name, opt, h, idx, shardOf, set)
	if err != nil {
		return nil, err
	}
	res.Keys = len(idx.counts)
	for _, shard := range shardOf {
		res.Shards[shard].Keys++
	}
	return res, nil
}

// keyColumn finds the --by column in the header or explains what exists.
func keyColumn(h *header, opt Options, name string) (int, error) {
	i := h.index(opt.By)
	if i < 0 {
		return 0, fmt.Errorf("%s: no column %q to group by; the header has: %s", name, opt.By, strings.Join(h.columns, ","))
	}
	return i, nil
}

// keyIndex is what the first pass learns: keys numbered in the order first
// seen, with their record counts, and for each record, as uvarints: its
// length times two, plus one when bytes are skipped before it, that many
// bytes then, its key number, and its schema's number (plus one; 0 when
// not tracked) when the schema column is another than the key's.
type keyIndex struct {
	keys    numbering
	counts  []int // key number -> records
	schemas numbering
	// ownSchema: the schema column is not the key column, so each
	// record's schema number is in the index too.
	ownSchema bool
	records   []byte
	n         int    // records indexed
	end       int64  // input offset after the last record indexed
	sum       uint32 // checksum of the whole input
}

// indexKeys is the first pass, over in, which a signal stops.
func indexKeys(in io.Reader, name string, opt Options) (*keyIndex, *header, error) {
	r := newCheckedReader(in, name, opt)
	h, err := readHeader(r)
	if err != nil {
		return nil, nil, err
	}
	col, err := keyColumn(h, opt, name)
	if err != nil {
		return nil, nil, err
	}
	schemaCol, _ := schemaColumn(h)
	idx := &keyIndex{
		keys:      numbering{limit: math.MaxInt}, // every key is needed
		schemas:   numbering{limit: maxTrackedSchemas},
		ownSchema: schemaCol >= 0 && schemaCol != col,
	}
	// Cutting on this goroutine, checking and numbering on another.
	c := r.Cut()
	st := newStages(c, h, func(rec *csvstream.Record) error {
		var schema []byte
		if idx.ownSchema {
			schema = rec.RawField(schemaCol)
		}
		idx.add(rec, rec.RawField(col), schema)
		return nil
	})
	if err := st.finish(readAll(c, st)); err != nil {
		return nil, nil, err
	}
	return idx, h, nil
}

// add indexes a record, where it is and its raw key and schema fields.
func (idx *keyIndex) add(rec *csvstream.Record, keyField, schemaField []byte) {
	key, _ := idx.keys.number(csvstream.Value(nil, keyField))
	if key == len(idx.counts) {
		idx.counts = append(idx.counts, 0)
	}
	idx.counts[key]++
	length, skipped := uint64(len(rec.Raw)), rec.Offset-idx.end
	if skipped == 0 {
		idx.records = binary.AppendUvarint(idx.records, length<<1)
	} else {
		idx.records = binary.AppendUvarint(idx.records, length<<1|1)
		idx.records = binary.AppendUvarint(idx.records, uint64(skipped))
	}
	idx.end = rec.Offset + int64(len(rec.Raw))
	idx.records = binary.AppendUvarint(idx.records, uint64(key))
	if idx.ownSchema {
		schema := 0 // not tracked: past maxTrackedSchemas
		if id, ok := idx.schemas.number(csvstream.Value(nil, schemaField)); ok {
			schema = id + 1
		}
		idx.records = binary.AppendUvarint(idx.records, uint64(schema))
	}
	idx.n++
}

// balance assigns keys to shards, largest key first to the least loaded shard
// (the LPT rule), so shard sizes end up close whatever the key counts.
// Ties go to the key seen first and the lowest shard, so the result is stable.
// counts[k] is the records of key number k; the result is its shard.
func balance(counts []int, shards int) []int {
	keys := make([]int, len(counts))
	for k := range keys {
		keys[k] = k
	}
	sort.SliceStable(keys, func(a, b int) bool { return counts[keys[a]] > counts[keys[b]] })
	load := make([]int, shards)
	assign := make([]int, len(counts))
	for _, k := range keys {
		best := 0
		for s := 1; s < shards; s++ {
			if load[s] < load[best] {
				best = s
			}
		}
		assign[k] = best
		load[best] += counts[k]
	}
	return assign
}

// writeIndexed is the second pass: each record, where the index says it
// is, goes to the shard of the key the index names for it.
func writeIndexed(ctx context.Context, in io.Reader, name string, opt Options, h *header, idx *keyIndex, shardOf []int, set *outfiles.Set) (*Result, error) {
	files, out, err := openOutput(opt, h, set)
	if err != nil {
		return nil, err
	}
	defer out.close()
	stats := newSchemaStats(h, opt.Shards)
	if stats.column >= 0 {
		if idx.ownSchema {
			stats.numbered(idx.schemas)
		} else {
			stats.numbered(idx.keys)
		}
	}
	counts := make([]int, opt.Shards)
	summed := newSummed(ctxio.Reader(ctx, in))
	rd := &placedReader{r: bufio.NewReaderSize(summed, secondPassBuffer)}
	index := idx.records
	for range idx.n {
		v, used := binary.Uvarint(index)
		index = index[used:]
		if v&1 != 0 {
			skip, used := binary.Uvarint(index)
			index = index[used:]
			if err := rd.skip(int(skip)); err != nil {
				return nil, changed(name, err)
			}
		}
		raw, err := rd.next(int(v >> 1))
		if err != nil {
			return nil, changed(name, err)
		}
		key, used := binary.Uvarint(index)
		index = index[used:]
		shard := shardOf[key]
		if err := out.add(shard, raw); err != nil {
			return nil, err
		}
		counts[shard]++
		schema := int(key)
		if idx.ownSchema {
			s, used := binary.Uvarint(index)
			index = index[used:]
			schema = int(s) - 1
		}
		if stats.column >= 0 && schema >= 0 {
			stats.addNumber(schema, shard)
		}
	}
	// What follows the last record is in the checksum too.
	if _, err := io.Copy(io.Discard, rd.r); err != nil {
		return nil, err
	}
	if summed.sum != idx.sum {
		return nil, changed(name, nil)
	}
	if err := out.close(); err != nil {
		return nil, err
	}
	return stats.result(files, counts), nil
}

// secondPassBuffer is what the second pass reads at once; a longer record
// is read into a buffer of its own.
const secondPassBuffer = 1 << 20

// placedReader gives the records of the second pass, by their lengths.
type placedReader struct {
	r       *bufio.Reader
	pending int    // bytes of the record given last, still to be discarded
	long    []byte // a record longer than the buffer
}

func (p *placedReader) skip(n int) error {
	_, err := p.r.Discard(p.take() + n)
	return err
}

// next returns the next n bytes, valid until the following call.
func (p *placedReader) next(n int) ([]byte, error) {
	if _, err := p.r.Discard(p.take()); err != nil {
		return nil, err
	}
	if n <= p.r.Size() {
		b, err := p.r.Peek(n)
		p.pending = len(b)
		return b, err
	}
	if cap(p.long) < n {
		p.long = make([]byte, n)
	}
	_, err := io.ReadFull(p.r, p.long[:n])
	return p.long[:n], err
}

func (p *placedReader) take() int {
	n := p.pending
	p.pending = 0
	return n
}

// summed reads from r, keeping a checksum of all it read.
type summed struct {
	r   io.Reader
	sum uint32
}

func newSummed(r io.Reader) *summed { return &summed{r: r} }

func (s *summed) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.sum = crc32.Update(s.sum, crc32.IEEETable, p[:n])
	return n, err
}

// changed says the second pass met other input than the first: the
// input was changed while it was split.
func changed(name string, err error) error {
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return err
	}
	return fmt.Errorf("%s: input changed between the two passes", name)
}

// twoPass gives the input for a first and a second read.
type twoPass struct {
	first  io.Reader
	rewind func() (io.Reader, error)
}

// rereadable returns the input ready to be read twice: a regular file is
// seeked back, anything else is copied to a spool file while first read.
func rereadable(in io.Reader, opt Options) (*twoPass, func(), error) {
	if f, ok := in.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			start, err := f.Seek(0, io.SeekCurrent)
			if err == nil {
				rewind := func() (io.Reader, error) {
					_, err := f.Seek(start, io.SeekStart)
					return f, err
				}
				return &twoPass{first: f, rewind: rewind}, func() {}, nil
			}
		}
	}
	dir := opt.Spool
	if dir == "" {
		dir = spoolDir(opt.Prefix)
	}
	spool, err := os.CreateTemp(dir, ".ctxsplit-spool-*.csv")
	if err != nil {
		return nil, nil, fmt.Errorf("create spool file: %w", err)
	}
	// The spool holds the whole input, context admin passwords included: its
	// name goes at once, so that no signal, crash or kill can leave it on
	// disk; the open descriptor keeps the data until it is closed.
	if err := os.Remove(spool.Name()); err != nil {
		spool.Close()
		return nil, nil, fmt.Errorf("unlink spool file: %w", err)
	}
	cleanup := func() { spool.Close() }
	rewind := func() (io.Reader, error) {
		if _, err := spool.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("rewind spool file: %w", err)
		}
		return spool, nil
	}
	return &twoPass{first: io.TeeReader(in, spoolWriter{spool}), rewind: rewind}, cleanup, nil
}

// spoolWriter reports spool write failures clearly.
type spoolWriter struct{ f *os.File }

func (w spoolWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		return n, fmt.Errorf("write spool file %s: %w", w.f.Name(), err)
	}
	return n, nil
}

func spoolDir(prefix string) string {
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		if i == 0 {
			return "/"
		}
		return prefix[:i]
	}
	return "."
}

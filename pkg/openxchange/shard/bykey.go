package shard

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strings"

	"provpipe/pkg/shared/csvstream"
	"provpipe/pkg/shared/ctxio"
	"provpipe/pkg/shared/outfiles"
)

// splitByKey splits in one pass as round-robin does, but sends each
// record to its key's shard: a key, when it first appears, goes to the
// shard with the fewest records so far. Keys that appear all along, as
// ctxrows writes them, end up as even as they can be. When keys come one
// after another instead and that leaves the largest shard more than
// fairSlack above what assigning the largest keys first gives (balance),
// the shards are written again in a second pass, largest keys first. A
// non-seekable input is copied to a spool file during the first pass, in
// case a second is needed.
func splitByKey(ctx context.Context, in io.Reader, name string, opt Options, set *outfiles.Set) (*Result, error) {
	src, cleanup, err := rereadable(in, opt)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	m := mapInput(src.first, name)
	defer m.close()
	res, kp, err := firstPass(ctx, src.first, name, opt, set, m)
	if err != nil {
		return nil, err
	}
	if lpt, fair := kp.keys.fair(); !fair {
		if err := kp.sumMapped(m, name); err != nil {
			return nil, err
		}
		if beforeSecondPass != nil {
			beforeSecondPass()
		}
		if res, err = secondPass(ctx, src, name, kp, lpt, m); err != nil {
			return nil, err
		}
	}
	res.Keys = len(kp.keys.counts)
	for _, shard := range kp.keys.shard {
		res.Shards[shard].Keys++
	}
	return res, nil
}

// keyPass is what a second pass needs from the first.
type keyPass struct {
	opt   Options
	h     *header
	col   int // the key column
	files []*outfiles.File
	keys  *keyShards
	sum   uint32 // checksum of all the input
	// readPast says the first pass read bytes past the mapped input: the
	// file grew while it was split.
	readPast bool
}

// beforeSecondPass, set by a test, changes the input between the passes.
var beforeSecondPass func()

// sumMapped gives kp the checksum of a mapped input, which the first pass
// does not take as it goes (a sixteenth of a --by split's time, for the
// rare second pass): summed now, once the second pass is known to be
// needed, it tells a change between the end of the first pass and the
// end of the second. A change during the first pass shows in both passes'
// sums alike; the second pass then splits the input as it is, with keys
// placed by the first pass's counts (a key it did not see is refused). A
// file that grew during the first pass has changed.
func (kp *keyPass) sumMapped(m *mapping, name string) error {
	if m == nil {
		return nil
	}
	if kp.readPast {
		return changed(name, nil)
	}
	return m.guard(func() error {
		kp.sum = crc32.ChecksumIEEE(m.data)
		return nil
	})
}

// firstPass splits in, which it reads to the end, by keys as they come.
func firstPass(ctx context.Context, in io.Reader, name string, opt Options, set *outfiles.Set, m *mapping) (*Result, *keyPass, error) {
	summed := newSummed(ctxio.Reader(ctx, in))
	r := newCheckedReader(summed, name, opt)
	if err := m.attach(ctx, r, nil); err != nil { // summed afterwards if needed: sumMapped
		return nil, nil, err
	}
	h, err := guardedHeader(m, r)
	if err != nil {
		return nil, nil, err
	}
	col, err := keyColumn(h, opt, name)
	if err != nil {
		return nil, nil, err
	}
	files, err := openShards(opt, set)
	if err != nil {
		return nil, nil, err
	}
	keys := newKeyShards(opt.Shards, col)
	kp := &keyPass{opt: opt, h: h, col: col, files: files, keys: keys}
	res, err := distribute(r.Cut(), h, files, kp.stats(), m, func(rec *csvstream.Record) (int, error) {
		return keys.online(rec), nil
	})
	if err != nil {
		return nil, nil, err
	}
	kp.sum, kp.readPast = summed.sum, m != nil && summed.n > 0
	kp.keySchemas(res, keys.shard)
	return res, kp, nil
}

// stats returns the schema statistics for a pass: none when the schemas
// are the keys, whose shards say it all (keySchemas).
func (kp *keyPass) stats() *schemaStats {
	stats := newSchemaStats(kp.h, kp.opt.Shards)
	if stats.column == kp.col {
		stats.column = -1
	}
	return stats
}

// keySchemas fills in the schema statistics when the schemas are the
// keys, given the keys' shards: each schema is in one shard.
func (kp *keyPass) keySchemas(res *Result, shardOf []int) {
	stats := newSchemaStats(kp.h, kp.opt.Shards)
	if stats.column != kp.col {
		return
	}
	stats.numbered(kp.keys.keys)
	for key, shard := range shardOf {
		stats.addNumber(key, shard)
	}
	counted := stats.result(kp.files, make([]int, len(kp.files)))
	res.SchemasCount, res.SchemaColumn = counted.SchemasCount, counted.SchemaColumn
	for s := range res.Shards {
		res.Shards[s].Schemas = counted.Shards[s].Schemas
	}
}

// secondPass writes the shards again from the start of the input, with
// the keys' shards in lpt. The input must be what the first pass read:
// the same keys, the same checksum.
func secondPass(ctx context.Context, src *twoPass, name string, kp *keyPass, lpt []int, m *mapping) (*Result, error) {
	for _, f := range kp.files {
		if err := f.Restart(); err != nil {
			return nil, err
		}
	}
	in, err := src.rewind()
	if err != nil {
		return nil, err
	}
	summed := newSummed(ctxio.Reader(ctx, in))
	r := newCheckedReader(summed, name, kp.opt)
	if err := m.attach(ctx, r, summed.add); err != nil {
		return nil, err
	}
	if _, err := guardedHeader(m, r); err != nil {
		return nil, changed(name, err)
	}
	res, err := distribute(r.Cut(), kp.h, kp.files, kp.stats(), m, func(rec *csvstream.Record) (int, error) {
		key, _ := kp.keys.values.number(rec)
		if key >= len(lpt) {
			return 0, changed(name, nil)
		}
		return lpt[key], nil
	})
	if err != nil {
		return nil, changed(name, err)
	}
	if summed.sum != kp.sum {
		return nil, changed(name, nil)
	}
	copy(kp.keys.shard, lpt)
	kp.keySchemas(res, lpt)
	return res, nil
}

// fairSlack is how much larger than largest-first assignment's the
// largest shard may be in one pass: a key's worth of rounding, not more.
const fairSlack = 0.01

// keyShards numbers keys and gives each a shard when it first appears:
// the shard with the fewest records so far (the first of them).
type keyShards struct {
	keys   numbering
	values *columnValues // the key column's, numbered in keys
	counts []int         // key number -> records
	shard  []int         // key number -> shard
	load   []int         // shard -> records
}

func newKeyShards(shards, col int) *keyShards {
	k := &keyShards{keys: numbering{limit: math.MaxInt}, load: make([]int, shards)} // every key is needed
	k.values = newColumnValues(col, &k.keys)
	return k
}

// online counts a record by its key and returns its shard.
func (k *keyShards) online(rec *csvstream.Record) int {
	key, _ := k.values.number(rec)
	if key == len(k.counts) {
		k.counts = append(k.counts, 0)
		k.shard = append(k.shard, leastLoaded(k.load))
	}
	k.counts[key]++
	s := k.shard[key]
	k.load[s]++
	return s
}

// fair says whether the shards as assigned are within fairSlack of what
// balance gives for the same counts, and returns balance's assignment.
func (k *keyShards) fair() ([]int, bool) {
	lpt := balance(k.counts, len(k.load))
	lptLoad := make([]int, len(k.load))
	for key, s := range lpt {
		lptLoad[s] += k.counts[key]
	}
	return lpt, float64(slices.Max(k.load)) <= float64(slices.Max(lptLoad))*(1+fairSlack)
}

// leastLoaded is the first shard with the fewest records.
func leastLoaded(load []int) int {
	best := 0
	for s := 1; s < len(load); s++ {
		if load[s] < load[best] {
			best = s
		}
	}
	return best
}

// keyColumn finds the --by column in the header or explains what exists.
func keyColumn(h *header, opt Options, name string) (int, error) {
	i := h.index(opt.By)
	if i < 0 {
		return 0, fmt.Errorf("%s: no column %q to group by; the header has: %s", name, opt.By, strings.Join(h.columns, ","))
	}
	return i, nil
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
		best := leastLoaded(load)
		assign[k] = best
		load[best] += counts[k]
	}
	return assign
}

// summed reads from r, keeping a checksum of all it read.
type summed struct {
	r   io.Reader
	sum uint32
	n   int64 // bytes read
}

func newSummed(r io.Reader) *summed { return &summed{r: r} }

func (s *summed) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.add(p[:n])
	s.n += int64(n)
	return n, err
}

// add counts p into the checksum: bytes taken from a mapping of the input
// instead of read.
func (s *summed) add(p []byte) { s.sum = crc32.Update(s.sum, crc32.IEEETable, p) }

// changed says the second pass met other input than the first: the
// input was changed while it was split. A malformed record is one way to
// notice it (the first pass read them all); other errors (a signal, a
// read error) are what they are.
func changed(name string, err error) error {
	var parse *csvstream.ParseError
	switch {
	case err == nil:
		return fmt.Errorf("%s: input changed between the two passes", name)
	case errors.As(err, &parse):
		return fmt.Errorf("%s: input changed between the two passes (now %w)", name, err)
	}
	return err
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

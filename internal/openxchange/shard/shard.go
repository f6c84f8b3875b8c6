// Package shard splits a CSV stream into N files, each starting with the
// input's header, without ever cutting a record in two. Round-robin mode
// places record i in shard i mod N, as GNU `split -n r/N` places lines, and
// streams in constant memory; key mode keeps all records with the same value
// of one column in the same shard.
package shard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"provpipe/internal/shared/csvstream"
	"provpipe/internal/shared/ctxio"
	"provpipe/internal/shared/outfiles"
)

// SchemaColumns are the names of the createcontext column whose values must
// not be spread over several parallel streams: schema, as createcontext
// reads it, or schema-name, as the pre-provisioning article wrote it.
var SchemaColumns = []string{"schema", "schema-name"}

// MaxShards bounds -n: every shard is an open file and an import stream.
const MaxShards = 10000

// balanceLimit is how far the largest shard may exceed the mean before the
// split says so.
const balanceLimit = 1.25

// maxTrackedSchemas bounds the memory spent on the schema statistics.
const maxTrackedSchemas = 1 << 20

const shardBuffer = 256 << 10

// Options configures a split.
type Options struct {
	Shards int    // number of output files, at least 1
	Prefix string // path prefix, e.g. "out/contexts-"
	By     string // group by this column; "" means round-robin by record
	// ByGiven is true when --by was given at all, so that an empty column
	// name is refused rather than read as round-robin.
	ByGiven bool
	Force   bool // overwrite existing shard files
	Strict  bool // reject invalid UTF-8
	// Spool is the directory for the temporary copy of a non-seekable input
	// that key mode reads twice; "" means the directory of Prefix.
	Spool string
}

// Stat describes one written shard.
type Stat struct {
	Path    string
	Records int
	Schemas int // distinct schema values; -1 when the input has no schema column
	Keys    int // distinct --by values (key mode only)
}

// Result is what a split wrote.
type Result struct {
	Shards []Stat
	// SplitSchemas lists schema names found in more than one shard
	// (round-robin mode only; at most a few examples are kept).
	SplitSchemas      []string
	SplitSchemasCount int
	SchemasCount      int
	Records           int
	// SchemaColumn is the name of the input's schema column, or "".
	SchemaColumn string
	// Keys is the number of distinct --by values (key mode only).
	Keys int
}

// Written returns the shards worth handing to an import: in key mode a
// shard that got no key holds only the header and is left out.
func (r *Result) Written(keyMode bool) []Stat {
	var out []Stat
	for _, s := range r.Shards {
		if !keyMode || s.Records > 0 {
			out = append(out, s)
		}
	}
	return out
}

// Imbalance is the largest shard's record count over the mean.
func (r *Result) Imbalance() float64 {
	if r.Records == 0 || len(r.Shards) == 0 {
		return 1
	}
	largest := 0
	for _, s := range r.Shards {
		largest = max(largest, s.Records)
	}
	return float64(largest) * float64(len(r.Shards)) / float64(r.Records)
}

// schemaColumn finds the schema column of a header, or -1.
func schemaColumn(h *header) (int, string) {
	for _, c := range SchemaColumns {
		if i := h.index(c); i >= 0 {
			return i, c
		}
	}
	return -1, ""
}

// Paths returns the names of the shard files, in order.
func Paths(prefix string, n int) []string {
	width := suffixWidth(n)
	out := make([]string, n)
	for i := range out {
		out[i] = shardPath(prefix, i+1, width)
	}
	return out
}

// suffixWidth is the number of digits split gives n shards: at least two.
func suffixWidth(n int) int { return max(2, len(strconv.Itoa(n))) }

func shardPath(prefix string, k, width int) string {
	return fmt.Sprintf("%s%0*d.csv", prefix, width, k)
}

// Validate checks options that do not depend on the input.
func (o *Options) Validate() error {
	if o.Shards < 1 || o.Shards > MaxShards {
		return fmt.Errorf("number of shards must be between 1 and %d, not %d", MaxShards, o.Shards)
	}
	if o.ByGiven && o.By == "" {
		return errors.New("the column to group by has no name")
	}
	if o.Prefix == "" {
		return errors.New("output prefix is empty")
	}
	return nil
}

// Split reads CSV from in (named name in errors) and writes the shards
// through set. On any error nothing is committed; the caller aborts the set.
func Split(ctx context.Context, in io.Reader, name string, opt Options, set *outfiles.Set) (*Result, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if err := outfiles.CheckFree(Paths(opt.Prefix, opt.Shards), opt.Force); err != nil {
		return nil, err
	}
	if opt.By == "" {
		return splitRoundRobin(ctx, in, name, opt, set)
	}
	return splitByKey(ctx, in, name, opt, set)
}

// header is the input's first record, kept for every shard.
type header struct {
	raw     []byte
	columns []string
}

func (h *header) index(column string) int {
	for i, c := range h.columns {
		if c == column {
			return i
		}
	}
	return -1
}

func readHeader(r *csvstream.Reader) (*header, error) {
	rec, err := r.Next()
	if err == io.EOF {
		return nil, r.Errorf(1, "empty input: no header line")
	}
	if err != nil {
		return nil, err
	}
	if i := bytes.IndexByte(rec.Raw, '\r'); i >= 0 && i+1 < len(rec.Raw) && rec.Raw[i+1] != '\n' {
		return nil, r.Errorf(rec.Line, "carriage return inside the header line: the input has CR-only line ends (convert them with tr '\\r' '\\n')")
	}
	h := &header{raw: append([]byte(nil), rec.Raw...), columns: rec.Fields()}
	if n := len(h.raw); n == 0 || h.raw[n-1] != '\n' {
		h.raw = append(h.raw, '\n')
	}
	seen := map[string]int{}
	for i, c := range h.columns {
		if j, dup := seen[c]; dup {
			return nil, r.Errorf(rec.Line, "header names column %q twice (fields %d and %d)", c, j+1, i+1)
		}
		seen[c] = i
	}
	return h, nil
}

// openShards creates the shard files.
func openShards(opt Options, set *outfiles.Set) ([]*outfiles.File, error) {
	paths := Paths(opt.Prefix, opt.Shards)
	files := make([]*outfiles.File, len(paths))
	for i, p := range paths {
		f, err := set.Create(p, shardBuffer)
		if err != nil {
			return nil, err
		}
		files[i] = f
	}
	return files, nil
}

func newReader(ctx context.Context, in io.Reader, name string, opt Options) *csvstream.Reader {
	r := csvstream.NewReader(ctxio.Reader(ctx, in), name)
	r.ValidateUTF8 = opt.Strict
	return r
}

// checkWidth rejects a record whose field count differs from the header's.
func checkWidth(r *csvstream.Reader, rec *csvstream.Record, h *header) error {
	if rec.NumFields() != len(h.columns) {
		return r.Errorf(rec.Line, "record has %d fields, the header has %d", rec.NumFields(), len(h.columns))
	}
	return nil
}

func splitRoundRobin(ctx context.Context, in io.Reader, name string, opt Options, set *outfiles.Set) (*Result, error) {
	r := newReader(ctx, in, name, opt)
	h, err := readHeader(r)
	if err != nil {
		return nil, err
	}
	next := 0
	return distribute(r, h, opt, set, func(rec *csvstream.Record) (int, error) {
		if err := checkWidth(r, rec, h); err != nil {
			return 0, err
		}
		s := next
		if next++; next == opt.Shards {
			next = 0
		}
		return s, nil
	})
}

// schemaStats counts distinct schemas per shard and the schemas that land in
// more than one shard, up to maxTrackedSchemas names. It runs once per
// record: a schema already seen costs one map look-up, no copy and no
// allocation.
type schemaStats struct {
	column   int
	name     string
	schemas  map[string]*schemaSeen
	perShard []int // distinct schemas per shard
	split    int
	examples []string
}

// schemaSeen is where one schema went: the first 64 shards as bits, any
// beyond in a set made when first needed.
type schemaSeen struct {
	low   uint64
	high  map[int]struct{}
	count int // shards it is in
}

// add records shard and reports whether it is new for this schema.
func (s *schemaSeen) add(shard int) bool {
	if shard < 64 {
		bit := uint64(1) << shard
		if s.low&bit != 0 {
			return false
		}
		s.low |= bit
	} else {
		if s.high == nil {
			s.high = map[int]struct{}{}
		}
		if _, seen := s.high[shard]; seen {
			return false
		}
		s.high[shard] = struct{}{}
	}
	s.count++
	return true
}

func newSchemaStats(h *header, shards int) *schemaStats {
	column, name := schemaColumn(h)
	s := &schemaStats{column: column, name: name}
	if column < 0 {
		return s
	}
	s.schemas = map[string]*schemaSeen{}
	s.perShard = make([]int, shards)
	return s
}

// add counts a record of schema name in shard.
func (s *schemaStats) add(name []byte, shard int) {
	seen, known := s.schemas[string(name)]
	if !known {
		if len(s.schemas) >= maxTrackedSchemas {
			return
		}
		seen = &schemaSeen{}
		s.schemas[string(name)] = seen
	}
	if !seen.add(shard) {
		return
	}
	s.perShard[shard]++
	if seen.count == 2 {
		s.split++
		if len(s.examples) < 3 {
			s.examples = append(s.examples, string(name))
		}
	}
}

func (s *schemaStats) result(files []*outfiles.File, counts []int) *Result {
	res := &Result{SplitSchemas: s.examples, SplitSchemasCount: s.split, SchemasCount: len(s.schemas), SchemaColumn: s.name}
	for i, f := range files {
		st := Stat{Path: f.Path, Records: counts[i], Schemas: -1}
		if s.column >= 0 {
			st.Schemas = s.perShard[i]
		}
		res.Shards = append(res.Shards, st)
		res.Records += counts[i]
	}
	return res
}

// splitByKey reads the input twice: once to count the records of each key,
// then, after assigning keys to shards, to write them. A non-seekable input
// is copied to a spool file during the first pass.
func splitByKey(ctx context.Context, in io.Reader, name string, opt Options, set *outfiles.Set) (*Result, error) {
	src, cleanup, err := rereadable(in, opt)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	counts, order, h, err := countKeys(ctx, src.first, name, opt)
	if err != nil {
		return nil, err
	}
	assign := balance(counts, order, opt.Shards)
	second, err := src.rewind()
	if err != nil {
		return nil, err
	}
	res, err := writeByKey(ctx, second, name, opt, h, assign, set)
	if err != nil {
		return nil, err
	}
	res.Keys = len(order)
	for _, shard := range assign {
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

func countKeys(ctx context.Context, in io.Reader, name string, opt Options) (map[string]int, []string, *header, error) {
	r := newReader(ctx, in, name, opt)
	h, err := readHeader(r)
	if err != nil {
		return nil, nil, nil, err
	}
	col, err := keyColumn(h, opt, name)
	if err != nil {
		return nil, nil, nil, err
	}
	counts := map[string]int{}
	var order []string
	var scratch []byte
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return counts, order, h, nil
		}
		if err != nil {
			return nil, nil, nil, err
		}
		if err := checkWidth(r, rec, h); err != nil {
			return nil, nil, nil, err
		}
		scratch = rec.AppendField(scratch[:0], col)
		if _, seen := counts[string(scratch)]; !seen {
			order = append(order, string(scratch))
		}
		counts[string(scratch)]++
	}
}

// balance assigns keys to shards, largest key first to the least loaded shard
// (the LPT rule), so shard sizes end up close whatever the key counts.
// Ties go to the key seen first and the lowest shard, so the result is stable.
func balance(counts map[string]int, order []string, shards int) map[string]int {
	keys := append([]string(nil), order...)
	sort.SliceStable(keys, func(a, b int) bool { return counts[keys[a]] > counts[keys[b]] })
	load := make([]int, shards)
	assign := make(map[string]int, len(keys))
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

func writeByKey(ctx context.Context, in io.Reader, name string, opt Options, h *header, assign map[string]int, set *outfiles.Set) (*Result, error) {
	r := newReader(ctx, in, name, opt)
	if _, err := r.Next(); err != nil { // the header, already checked
		return nil, err
	}
	col, err := keyColumn(h, opt, name)
	if err != nil {
		return nil, err
	}
	var scratch []byte
	return distribute(r, h, opt, set, func(rec *csvstream.Record) (int, error) {
		scratch = rec.AppendField(scratch[:0], col)
		s, ok := assign[string(scratch)]
		if !ok {
			return 0, fmt.Errorf("%s:%d: input changed between the two passes", name, rec.Line)
		}
		return s, nil
	})
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

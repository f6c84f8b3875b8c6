// Package shard splits a CSV stream into N files, each starting with the
// input's header, without ever cutting a record in two. Round-robin mode
// places record i in shard i mod N, as GNU `split -n r/N` places lines, and
// streams in constant memory; key mode keeps all records with the same value
// of one column in the same shard.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package shard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"provpipe/pkg/shared/csvstream"
	"provpipe/pkg/shared/ctxio"
	"provpipe/pkg/shared/outfiles"
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

// shardBuffer is each shard file's own buffer: small, since the batches
// written into it are larger and pass through it uncopied.
const shardBuffer = 4 << 10

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

// guardedHeader reads the header under m's guard.
func guardedHeader(m *mapping, r *csvstream.Reader) (h *header, err error) {
	err = m.guard(func() error {
		h, err = readHeader(r)
		return err
	})
	return h, err
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

// newReader reads in, which a signal (ctx) stops, as CSV.
func newReader(ctx context.Context, in io.Reader, name string, opt Options) *csvstream.Reader {
	return newCheckedReader(ctxio.Reader(ctx, in), name, opt)
}

// newCheckedReader reads in, already made to stop on a signal, as CSV.
func newCheckedReader(in io.Reader, name string, opt Options) *csvstream.Reader {
	r := csvstream.NewReader(in, name)
	r.ValidateUTF8 = opt.Strict
	return r
}

// checkWidth rejects a record whose field count differs from the header's.
func checkWidth(check *csvstream.Checker, rec *csvstream.Record, h *header) error {
	if rec.NumFields() != len(h.columns) {
		return check.Errorf(rec.Line, "record has %d fields, the header has %d", rec.NumFields(), len(h.columns))
	}
	return nil
}

func splitRoundRobin(ctx context.Context, in io.Reader, name string, opt Options, set *outfiles.Set) (*Result, error) {
	m := mapInput(in, name)
	defer m.close()
	r := newReader(ctx, in, name, opt)
	if err := m.attach(ctx, r, nil); err != nil {
		return nil, err
	}
	h, err := guardedHeader(m, r)
	if err != nil {
		return nil, err
	}
	files, err := openShards(opt, set)
	if err != nil {
		return nil, err
	}
	next := 0
	return distribute(r.Cut(), h, files, newSchemaStats(h, opt.Shards), m, func(*csvstream.Record) (int, error) {
		s := next
		if next++; next == opt.Shards {
			next = 0
		}
		return s, nil
	})
}

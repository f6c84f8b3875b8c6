package shard

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"provpipe/internal/shared/csvstream"
	"provpipe/internal/shared/outfiles"
)

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

package shard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"provpipe/pkg/shared/csvstream"
	"provpipe/pkg/shared/outfiles"
)

func TestBalance(t *testing.T) {
	cases := []struct {
		name   string
		counts []int // records of each key, in the order first seen
		shards int
		want   []int // each key's shard
	}{
		{"equal keys spread", []int{5, 5, 5}, 3, []int{0, 1, 2}},
		{"largest first", []int{1, 4, 9, 3}, 2, []int{1, 1, 0, 1}},
		{"more shards than keys", []int{1}, 4, []int{0}},
		{"ties go to the key seen first", []int{2, 2, 2, 2}, 2, []int{0, 1, 0, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := balance(c.counts, c.shards); !reflect.DeepEqual(got, c.want) {
				t.Errorf("balance = %v, want %v", got, c.want)
			}
		})
	}
}

func TestPaths(t *testing.T) {
	cases := []struct {
		n    int
		last string
	}{{1, "p01.csv"}, {9, "p09.csv"}, {99, "p99.csv"}, {100, "p100.csv"}, {1000, "p1000.csv"}}
	for _, c := range cases {
		paths := Paths("p", c.n)
		if len(paths) != c.n || paths[c.n-1] != c.last {
			t.Errorf("Paths(p,%d) ends %q", c.n, paths[len(paths)-1])
		}
	}
}

func TestStaleShards(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"c-01.csv", "c-03.csv", "c-04.csv", "c-006.csv", "c-100.csv", "c-x.csv", "c-1.csv"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	got := StaleShards(dir+"/c-", 2)
	want := []string{dir + "/c-006.csv", dir + "/c-03.csv", dir + "/c-04.csv", dir + "/c-100.csv"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stale %v, want %v", got, want)
	}
}

// TestSplitAbortLeavesNothing checks that an error mid-stream leaves the
// directory as it was once the set is aborted.
func TestSplitAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	set := outfiles.New(false)
	in := "a,b\n" + strings.Repeat("1,2\n", 100000) + "3\n"
	_, err := Split(context.Background(), strings.NewReader(in), "in", Options{Shards: 4, Prefix: dir + "/x-"}, set)
	if err == nil || !strings.Contains(err.Error(), "in:100002: record has 1 fields") {
		t.Fatalf("error %v", err)
	}
	set.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v", entries)
	}
}

// TestSplitFirstErrorWins: records are checked on another goroutine than
// the one that reads, which may meet a read error (or a record too long)
// first; the error reported is still the first in the input, as a reader
// going record by record would report it.
func TestSplitFirstErrorWins(t *testing.T) {
	in := "a,b\n" + strings.Repeat("\"1\",\"2\"\n", 1000) + "\"3\"\n" + strings.Repeat("4,5\n", 10)
	for _, c := range []struct {
		name string
		opt  Options
	}{{"round-robin", Options{Shards: 3}}, {"by key", Options{Shards: 3, By: "a"}}} {
		t.Run(c.name, func(t *testing.T) {
			src := io.MultiReader(strings.NewReader(in), iotest.ErrReader(errors.New("disk on fire")))
			c.opt.Prefix = t.TempDir() + "/x-"
			c.opt.Spool = t.TempDir()
			_, err := Split(context.Background(), src, "in", c.opt, outfiles.New(false))
			if err == nil || err.Error() != "in:1002: record has 1 fields, the header has 2" {
				t.Errorf("error %v, want the short record's", err)
			}
		})
	}
}

// BenchmarkSplitRoundRobin measures the CSV-aware split on ctxrows-like rows.
func BenchmarkSplitRoundRobin(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("contextid,username,password,displayname,schema-name\n")
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&sb, "\"%d\",\"oxadmin\",\"secret\",\"Admin Context %d\",\"schema_%d\"\n", i, i, i%9)
	}
	in := sb.String()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		dir := b.TempDir()
		set := outfiles.New(true)
		if _, err := Split(context.Background(), strings.NewReader(in), "in", Options{Shards: 8, Prefix: dir + "/c-"}, set); err != nil {
			b.Fatal(err)
		}
		if err := set.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestWarnings(t *testing.T) {
	stats := func(records ...int) *Result {
		r := &Result{Keys: 9}
		for i, n := range records {
			r.Shards = append(r.Shards, Stat{Path: fmt.Sprintf("s%02d.csv", i+1), Records: n})
			r.Records += n
		}
		return r
	}
	cases := []struct {
		name string
		res  *Result
		opt  Options
		want []string // substrings, one per warning
	}{
		{"even", stats(300, 300, 300), Options{By: "schema"}, nil},
		{"uneven", stats(3000, 2000, 2000, 2000), Options{By: "schema"}, []string{"largest holds 1.33x the mean; 9 keys of schema divide evenly into -n 1, -n 3, -n 9 shards"}},
		{"a shard without key", stats(500, 500, 0), Options{By: "schema"}, []string{"s03.csv got none", "largest holds 1.50x"}},
		{"round-robin says nothing of keys", stats(3000, 0), Options{}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Warnings(c.res, c.opt)
			if len(got) != len(c.want) {
				t.Fatalf("warnings %q, want %d", got, len(c.want))
			}
			for i, w := range c.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %q lacks %q", got[i], w)
				}
			}
		})
	}
	if got := len(stats(1, 0, 1).Written(true)); got != 2 {
		t.Errorf("key mode hands %d shards to the import, want the 2 with records", got)
	}
}

// TestSchemaStats splits rows whose schema cycles with a period other than
// the shard count, so schemas spread, with quoted and doubled-quote names
// and shard counts on both sides of 64 (shards past the 64th are kept in
// a set, not bits).
func TestSchemaStats(t *testing.T) {
	cases := []struct {
		shards, schemas, rows int
	}{
		{3, 3, 30},   // each schema in one shard
		{8, 9, 900},  // every schema in every shard
		{4, 2, 40},   // schema k only in shards k, k+2
		{70, 7, 700}, // shards beyond 64
		{100, 3, 1000},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("n%d-s%d", c.shards, c.schemas), func(t *testing.T) {
			var in strings.Builder
			in.WriteString("contextid,schema\n")
			want := make([]map[string]bool, c.shards)
			for i := range want {
				want[i] = map[string]bool{}
			}
			homes := map[string]map[int]bool{}
			for i := 0; i < c.rows; i++ {
				name := fmt.Sprintf(`s"%d`, i%c.schemas)
				fmt.Fprintf(&in, "%d,\"s\"\"%d\"\n", i, i%c.schemas)
				want[i%c.shards][name] = true
				if homes[name] == nil {
					homes[name] = map[int]bool{}
				}
				homes[name][i%c.shards] = true
			}
			set := outfiles.New(false)
			defer set.Abort()
			res, err := Split(context.Background(), strings.NewReader(in.String()), "in", Options{Shards: c.shards, Prefix: t.TempDir() + "/x-"}, set)
			if err != nil {
				t.Fatal(err)
			}
			for i, st := range res.Shards {
				if st.Schemas != len(want[i]) {
					t.Errorf("shard %d: %d schemas, want %d", i+1, st.Schemas, len(want[i]))
				}
			}
			split := 0
			for _, shards := range homes {
				if len(shards) > 1 {
					split++
				}
			}
			if res.SchemasCount != c.schemas || res.SplitSchemasCount != split {
				t.Errorf("%d schemas, %d split; want %d, %d", res.SchemasCount, res.SplitSchemasCount, c.schemas, split)
			}
			for _, name := range res.SplitSchemas {
				if len(homes[name]) < 2 {
					t.Errorf("example %q is not split", name)
				}
			}
		})
	}
}

// TestSplitAcrossLentBuffers splits an input many times the reader's pool
// of buffers, with records crossing every buffer boundary, multi-line
// quoted records and one record longer than a buffer, and checks that
// each shard holds exactly records i ≡ k mod n, byte for byte, in order:
// a buffer given back too early would show as a record overwritten.
func TestSplitAcrossLentBuffers(t *testing.T) {
	for _, pool := range []struct{ block, blocks int }{{readBlock, readBlocks}, {4096, 1}} {
		t.Run(fmt.Sprintf("%dx%d", pool.blocks, pool.block), func(t *testing.T) {
			defer func(block, blocks int) { readBlock, readBlocks, slowSecondStage = block, blocks, nil }(readBlock, readBlocks)
			readBlock, readBlocks = pool.block, pool.blocks
			if pool.blocks == 1 {
				slowSecondStage = func() { time.Sleep(50 * time.Microsecond) }
			}
			splitAcrossLentBuffers(t)
		})
	}
}

func splitAcrossLentBuffers(t *testing.T) {
	const shards = 3
	var in strings.Builder
	in.WriteString("id,v,schema\n")
	want := make([]strings.Builder, shards)
	for s := range want {
		want[s].WriteString("id,v,schema\n")
	}
	rows := max(3*readBlocks*readBlock/40, 100000)
	for i := 0; i < rows; i++ {
		var rec string
		switch {
		case i == rows/2:
			rec = fmt.Sprintf("%d,\"%s\",s%d\n", i, strings.Repeat("x", 2*readBlock), i%5)
		case i%97 == 0:
			rec = fmt.Sprintf("%d,\"two\nlines, \"\"quoted\"\"\",\"s\"\"%d\"\n", i, i%5)
		default:
			rec = fmt.Sprintf("\"%d\",\"%s\",\"s%d\"\n", i, strings.Repeat("v", i%31), i%5)
		}
		in.WriteString(rec)
		want[i%shards].WriteString(rec)
	}
	dir := t.TempDir()
	set := outfiles.New(false)
	res, err := Split(context.Background(), strings.NewReader(in.String()), "in", Options{Shards: shards, Prefix: dir + "/x-"}, set)
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Commit(); err != nil {
		t.Fatal(err)
	}
	if res.Records != rows {
		t.Errorf("%d records, want %d", res.Records, rows)
	}
	for s, path := range Paths(dir+"/x-", shards) {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want[s].String() {
			t.Errorf("%s differs from records ≡ %d mod %d (%d bytes, want %d)", path, s, shards, len(got), want[s].Len())
		}
	}
}

// TestSplitByKey: every record of a key lands in the shard balance gives
// it, in input order, byte for byte, whether the input is a file (read
// twice) or a stream (spooled); multi-line records and keys with doubled
// quotes included, schema statistics taken from the index when the schema
// column is not the key.
func TestSplitByKey(t *testing.T) {
	var in strings.Builder
	in.WriteString("\xef\xbb\xbfid,db,schema\n")
	type rec struct{ key, raw string }
	var recs []rec
	keys := []string{"3", `"6"`, `"x""y"`, "12"}
	for i := 0; i < 5000; i++ {
		key := keys[min(i%7, 3)] // uneven counts
		raw := fmt.Sprintf("%d,%s,\"s%d\"\n", i, key, i%7)
		if i%101 == 0 {
			raw = fmt.Sprintf("\"%d\nmore\",%s,\"s%d\"\r\n", i, key, i%7)
		}
		if i%500 == 0 {
			in.WriteString("\n") // blank lines are skipped in both passes
		}
		in.WriteString(raw)
		recs = append(recs, rec{key, raw})
	}
	// What balance must give: counts in the order keys are first seen.
	var order []string
	count := map[string]int{}
	for _, r := range recs {
		if count[r.key] == 0 {
			order = append(order, r.key)
		}
		count[r.key]++
	}
	counts := make([]int, len(order))
	for i, k := range order {
		counts[i] = count[k]
	}
	shardOf := map[string]int{}
	for i, s := range balance(counts, 3) {
		shardOf[order[i]] = s
	}
	want := make([]string, 3)
	for s := range want {
		want[s] = "id,db,schema\n"
	}
	for _, r := range recs {
		want[shardOf[r.key]] += r.raw
	}
	for _, source := range []string{"file", "stream"} {
		t.Run(source, func(t *testing.T) {
			dir := t.TempDir()
			var src io.Reader = strings.NewReader(in.String())
			if source == "file" {
				path := filepath.Join(dir, "in.csv")
				if err := os.WriteFile(path, []byte(in.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				src = f
			}
			set := outfiles.New(false)
			res, err := Split(context.Background(), src, "in", Options{Shards: 3, Prefix: dir + "/k-", By: "db", ByGiven: true}, set)
			if err != nil {
				t.Fatal(err)
			}
			if err := set.Commit(); err != nil {
				t.Fatal(err)
			}
			for s, path := range Paths(dir+"/k-", 3) {
				got, _ := os.ReadFile(path)
				if string(got) != want[s] {
					t.Errorf("%s: %d bytes, want %d", path, len(got), len(want[s]))
				}
			}
			if res.Keys != len(keys) || res.SchemasCount != 7 || res.Records != len(recs) {
				t.Errorf("%d keys, %d schemas, %d records; want %d, 7, %d", res.Keys, res.SchemasCount, res.Records, len(keys), len(recs))
			}
		})
	}
}

// TestSecondPassNoticesChange: a second pass of --by reads the input
// again; one that changed in between, even by a byte, is refused (the
// caller then commits nothing), and the same input is not.
func TestSecondPassNoticesChange(t *testing.T) {
	// Keys one after another, the largest last: a first pass alone leaves
	// 900 records in one shard and 300 in the other.
	var sb strings.Builder
	sb.WriteString("id,key\n")
	for i := range 1200 {
		fmt.Fprintf(&sb, "\"%d\",\"%s\"\n", i, []string{"a", "b", "c", "c"}[i/300])
	}
	in := sb.String()
	for _, c := range []struct {
		name, second string
		changed      bool
	}{
		{"unchanged", in, false},
		{"one byte", strings.Replace(in, `"17"`, `"18"`, 1), true},
		{"a record moved", strings.Replace(in, "\"7\",", "\"77\",", 1)[:len(in)], true},
		{"shorter", in[:len(in)-10], true},
		{"longer", in + "\"x\",\"a\"\n", true},
		{"a new key", in + "\"x\",\"d\"\n", true},
		{"a blank line more", strings.Replace(in, "\n", "\n\n", 1), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			opt := Options{Shards: 2, By: "key", Prefix: t.TempDir() + "/x-"}
			set := outfiles.New(false)
			defer set.Abort()
			_, kp, err := firstPass(context.Background(), strings.NewReader(in), "in", opt, set, nil)
			if err != nil {
				t.Fatal(err)
			}
			lpt, fair := kp.keys.fair()
			if fair {
				t.Fatal("the first pass was fair: no second pass to test")
			}
			again := &twoPass{rewind: func() (io.Reader, error) { return strings.NewReader(c.second), nil }}
			res, err := secondPass(context.Background(), again, "in", kp, lpt, nil)
			if got := err != nil && strings.Contains(err.Error(), "in: input changed between the two passes"); got != c.changed {
				t.Fatalf("error %v; want a change noticed: %v", err, c.changed)
			}
			if !c.changed && (res.Shards[0].Records != 600 || res.Shards[1].Records != 600) {
				t.Errorf("second pass shards %d and %d records, want 600 each", res.Shards[0].Records, res.Shards[1].Records)
			}
		})
	}
}

// TestKeyShards: a key goes, when first seen, to the shard with the fewest
// records (the first such); the split is fair when its largest shard is
// within fairSlack of largest-first assignment's.
func TestKeyShards(t *testing.T) {
	for _, c := range []struct {
		name   string
		keys   string // one record per letter, in input order
		shards int
		want   string // shard of each key, in first-seen order
		fair   bool
	}{
		{"interleaved", strings.Repeat("abcdefghi", 100), 8, "012345670", true},
		{"interleaved, unequal by one", strings.Repeat("abc", 100) + "a", 2, "010", true},
		{"one after another, largest last", strings.Repeat("a", 3) + strings.Repeat("b", 3) + strings.Repeat("c", 6), 2, "010", false},
		{"one after another, largest first", strings.Repeat("c", 6) + strings.Repeat("a", 3) + strings.Repeat("b", 3), 2, "011", true},
		{"fewer keys than shards", "aabbbb", 4, "01", true},
		{"a late small key", strings.Repeat("ab", 50) + "c", 2, "010", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := newKeyShards(c.shards, 0)
			var lines strings.Builder
			for _, key := range c.keys {
				fmt.Fprintf(&lines, "%c\n", key)
			}
			eachRecord(t, lines.String(), func(rec *csvstream.Record) { k.online(rec) })
			var got strings.Builder
			for _, s := range k.shard {
				got.WriteString(strconv.Itoa(s))
			}
			if _, fair := k.fair(); got.String() != c.want || fair != c.fair {
				t.Errorf("shards %s, fair %v; want %s, %v", got.String(), fair, c.want, c.fair)
			}
		})
	}
}

// TestNumbering: values are numbered in the order first seen, however
// they share the cache's slots (many more values than slots, names that
// differ only early or only in length), and none past the limit.
func TestNumbering(t *testing.T) {
	var values []string
	for i := range 3 * cacheSlots {
		values = append(values, fmt.Sprintf("schema_%d", i), fmt.Sprintf("%d_same_tail", i), strings.Repeat("x", i%40))
	}
	nb := numbering{limit: math.MaxInt}
	want := map[string]int{}
	for round := range 3 {
		for i := range values {
			v := values[(i*7+round*13)%len(values)]
			id, ok := nb.number([]byte(v))
			w, seen := want[v]
			if !seen {
				w = len(want)
				want[v] = w
			}
			if !ok || id != w || nb.names[id] != v {
				t.Fatalf("%q numbered %d (ok %v), want %d", v, id, ok, w)
			}
		}
	}
	limited := numbering{limit: 2}
	for i, v := range []string{"a", "b", "c", "a", "c"} {
		id, ok := limited.number([]byte(v))
		if wantOK := v != "c"; ok != wantOK || ok && id != int(v[0]-'a') {
			t.Errorf("value %d %q: %d, %v", i, v, id, ok)
		}
	}
}

// TestColumnValues: a column's values numbered through the cache of record
// ends are numbered as their values alone would be, for every column of
// records that end alike and differ before (field values of one or two
// letters of two, quoted and not, CRLF and LF line ends).
func TestColumnValues(t *testing.T) {
	var in strings.Builder
	values := []string{"a", "b", "ab", "ba", "aa"}
	for i := range 2000 {
		for f := range 3 {
			v := values[(i*(f+3)+i/7)%len(values)]
			if f > 0 {
				in.WriteByte(',')
			}
			if i%5 == 0 {
				in.WriteString(v) // unquoted: not a simple quoted line
			} else {
				in.WriteString(`"` + v + `"`)
			}
		}
		in.WriteString([]string{"\n", "\r\n"}[i%3/2])
	}
	for col := range 3 {
		cached := numbering{limit: math.MaxInt}
		cv := newColumnValues(col, &cached)
		plain := numbering{limit: math.MaxInt}
		eachRecord(t, in.String(), func(rec *csvstream.Record) {
			got, _ := cv.number(rec)
			want, _ := plain.number(rec.FieldValue(nil, col))
			if got != want {
				t.Fatalf("column %d, line %d %q: number %d, want %d", col, rec.Line, rec.Raw, got, want)
			}
		})
	}
}

// eachRecord reads in as CSV and calls f with every record.
func eachRecord(t *testing.T, in string, f func(*csvstream.Record)) {
	t.Helper()
	r := csvstream.NewReader(strings.NewReader(in), "in")
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		f(rec)
	}
}

// TestBatcherWritesAligned: records of every length from 1 to 700 bytes,
// round-robin over three shards, arrive in order and whole, and every
// shard's bytes queued before the last batch end on writeAlign.
func TestBatcherWritesAligned(t *testing.T) {
	dir := t.TempDir()
	set := outfiles.New(false)
	files := make([]*outfiles.File, 3)
	for i := range files {
		f, err := set.Create(filepath.Join(dir, fmt.Sprintf("s%d.csv", i)), shardBuffer)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = f
	}
	b := newBatcher(files)
	want := make([][]byte, len(files))
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 6000; i++ {
		rec := bytes.Repeat([]byte{byte('a' + i%26)}, 1+rnd.IntN(700))
		shard := i % len(files)
		want[shard] = append(want[shard], rec...)
		if err := b.add(shard, rec); err != nil {
			t.Fatal(err)
		}
		if q := b.queued[shard]; q%writeAlign != 0 {
			t.Fatalf("shard %d: %d bytes queued, not a multiple of %d", shard, q, writeAlign)
		}
	}
	for shard, q := range b.queued {
		if q == 0 {
			t.Fatalf("shard %d: nothing queued before the end (%d bytes added)", shard, len(want[shard]))
		}
	}
	if err := b.close(); err != nil {
		t.Fatal(err)
	}
	if err := set.Commit(); err != nil {
		t.Fatal(err)
	}
	for i := range files {
		got, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("s%d.csv", i)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want[i]) {
			t.Errorf("shard %d: %d bytes written, want %d (or in another order)", i, len(got), len(want[i]))
		}
	}
}

func TestAligned(t *testing.T) {
	b := &batcher{queued: []int{0, writeAlign, 3 * writeAlign}}
	for _, c := range []struct{ shard, n, want int }{
		{0, writeAlign - 1, 0},
		{0, writeAlign, writeAlign},
		{0, 5*writeAlign + 17, 5 * writeAlign},
		{1, 1000, 0},
		{1, 4*writeAlign + 3, 4 * writeAlign},
		{2, writeAlign, writeAlign},
	} {
		if got := b.aligned(c.shard, c.n); got != c.want {
			t.Errorf("aligned(%d, %d) with %d queued = %d, want %d", c.shard, c.n, b.queued[c.shard], got, c.want)
		}
	}
}

//go:build unix

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"provpipe/internal/testserver/testenv"
)

// body generates n one-line records of varied length; the last one without
// its newline when noFinalNewline is set.
func body(n int, noFinalNewline bool) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%d,name%s,%d\n", i, strings.Repeat("x", i%13), i*i)
	}
	s := b.String()
	if noFinalNewline && n > 0 {
		s = strings.TrimSuffix(s, "\n")
	}
	return s
}

const plainHeader = "id,name,square\n"

// TestCtxsplitMatchesGNUSplit compares shard names and bodies with
// `split -n r/N --numeric-suffixes=1 --additional-suffix=.csv`.
func TestCtxsplitMatchesGNUSplit(t *testing.T) {
	split := testenv.RequireProgram(t, "split", "coreutils")
	cases := []struct {
		records, shards int
		noFinalNewline  bool
	}{
		{10, 1, false}, {10, 2, false}, {10, 3, false}, {100, 7, false},
		{3, 8, false}, {0, 3, false}, {1000, 7, true}, {250, 120, false}, {5, 2, true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d-records-%d-shards-finalnl-%v", c.records, c.shards, !c.noFinalNewline), func(t *testing.T) {
			in := body(c.records, c.noFinalNewline)
			ours, theirs := t.TempDir(), t.TempDir()
			res := run(t, plainHeader+in, "ctxsplit", "-n", fmt.Sprint(c.shards), "-o", ours+"/c-")
			if res.code != 0 {
				t.Fatalf("ctxsplit exit %d: %s", res.code, res.stderr)
			}
			gnu := runIn(t, theirs, in, split, "-n", fmt.Sprintf("r/%d", c.shards),
				"--numeric-suffixes=1", "--additional-suffix=.csv", "-", "c-")
			if gnu.code != 0 {
				t.Fatalf("split: %s", gnu.stderr)
			}
			names := listDir(t, theirs)
			if got := listDir(t, ours); !reflect.DeepEqual(got, names) {
				t.Fatalf("file names differ:\nours  %v\nsplit %v", got, names)
			}
			var printed []string
			for _, n := range names {
				printed = append(printed, filepath.Join(ours, n))
				shard := readFile(t, filepath.Join(ours, n))
				if !strings.HasPrefix(shard, plainHeader) {
					t.Fatalf("%s does not start with the header: %q", n, shard)
				}
				if want := readFile(t, filepath.Join(theirs, n)); shard[len(plainHeader):] != want {
					t.Errorf("%s body differs from GNU split's:\nours  %q\nsplit %q", n, shard[len(plainHeader):], want)
				}
			}
			if got := strings.Fields(res.stdout); !reflect.DeepEqual(got, printed) {
				t.Errorf("stdout lists %v, want %v", got, printed)
			}
		})
	}
}

// tricky holds values the seed's echo would break: commas, quotes, newlines,
// CRLF inside a value, non-ASCII, empty values.
var tricky = [][]string{
	{"1", "plain", "a"},
	{"2", "with, comma", "b"},
	{"3", `with "quotes"`, "c"},
	{"4", "two\nlines", "d"},
	{"5", "Zoë Ångström 日本", "e"},
	{"6", "", ""},
	{"7", "crlf\r\ninside", "g"},
	{"8", "\"\n,\"", "h"},
}

func encodeCSV(rows [][]string) string {
	var b strings.Builder
	for _, row := range rows {
		for i, v := range row {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + strings.ReplaceAll(v, `"`, `""`) + `"`)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestCtxsplitRoundTrip checks that every record is in exactly one shard, in
// input order within it, with its value unchanged.
func TestCtxsplitRoundTrip(t *testing.T) {
	var rows [][]string
	for k := 0; k < 7; k++ {
		for _, r := range tricky {
			rows = append(rows, []string{fmt.Sprintf("%d-%s", k, r[0]), r[1], r[2]})
		}
	}
	header := []string{"id", "value", "other"}
	for _, shards := range []int{1, 2, 3, 5, 100} {
		t.Run(fmt.Sprint(shards), func(t *testing.T) {
			dir := t.TempDir()
			res := run(t, encodeCSV(append([][]string{header}, rows...)), "ctxsplit", "-n", fmt.Sprint(shards), "-o", dir+"/s-")
			if res.code != 0 {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			seen := map[string]int{}
			for k, path := range strings.Fields(res.stdout) {
				recs := parseCSVKeepCR(t, readFile(t, path))
				if !reflect.DeepEqual(recs[0], header) {
					t.Fatalf("%s header %v", path, recs[0])
				}
				for j, rec := range recs[1:] {
					want := rows[k+j*shards] // round-robin: record i in shard i mod N
					if !reflect.DeepEqual(rec, want) {
						t.Fatalf("%s record %d = %q, want %q", path, j, rec, want)
					}
					seen[rec[0]]++
				}
			}
			for _, r := range rows {
				if seen[r[0]] != 1 {
					t.Errorf("record %s appears %d times", r[0], seen[r[0]])
				}
			}
		})
	}
}

// parseCSVKeepCR parses CSV without encoding/csv's CR folding, which would
// hide a changed "\r\n" inside a value.
func parseCSVKeepCR(t *testing.T, text string) [][]string {
	t.Helper()
	var out [][]string
	var row []string
	var field strings.Builder
	inQuotes, quoted := false, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case inQuotes && c == '"' && i+1 < len(text) && text[i+1] == '"':
			field.WriteByte('"')
			i++
		case inQuotes && c == '"':
			inQuotes = false
		case inQuotes:
			field.WriteByte(c)
		case c == '"':
			inQuotes, quoted = true, true
		case c == ',':
			row = append(row, field.String())
			field.Reset()
		case c == '\n':
			row = append(row, field.String())
			out = append(out, row)
			row, quoted = nil, false
			field.Reset()
		default:
			field.WriteByte(c)
		}
	}
	if inQuotes {
		t.Fatalf("unterminated quote in %q", text)
	}
	if field.Len() > 0 || row != nil || quoted {
		out = append(out, append(row, field.String()))
	}
	return out
}

// schemaShards maps each schema to the shards it appears in.
func schemaShards(t *testing.T, paths []string) map[string]map[int]bool {
	t.Helper()
	out := map[string]map[int]bool{}
	for k, p := range paths {
		recs := parseCSV(t, readFile(t, p))
		col := -1
		for i, c := range recs[0] {
			if c == "schema" {
				col = i
			}
		}
		if col < 0 {
			t.Fatalf("%s: no schema column in %v", p, recs[0])
		}
		for _, r := range recs[1:] {
			if out[r[col]] == nil {
				out[r[col]] = map[int]bool{}
			}
			out[r[col]][k] = true
		}
	}
	return out
}

// TestCtxsplitBySchema checks key grouping on ctxrows output where plain
// round-robin spreads schemas (10 schemas over 3 shards): no schema in two
// shards, shards balanced within one schema's worth of rows.
func TestCtxsplitBySchema(t *testing.T) {
	dir := t.TempDir()
	var schemas strings.Builder
	schemas.WriteString("destination-database-id,schema,destination-store-id\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&schemas, "%d,schema_%d,2\n", 3+i%3*3, i)
	}
	os.WriteFile(filepath.Join(dir, "schemas.csv"), []byte(schemas.String()), 0o644)

	rr := shell(t, dir, "CTXROWS_PASSWORD=secret ctxrows -e 1000 -d schemas.csv | ctxsplit -n 3 -o rr-")
	if rr.code != 0 {
		t.Fatalf("round-robin: %s", rr.stderr)
	}
	if !strings.Contains(rr.stderr, "land in more than one shard") || !strings.Contains(rr.stderr, "--by schema") {
		t.Errorf("round-robin did not warn about split schemas: %s", rr.stderr)
	}
	spread := 0
	for _, shards := range schemaShards(t, prefixed(dir, strings.Fields(rr.stdout))) {
		if len(shards) > 1 {
			spread++
		}
	}
	if spread == 0 {
		t.Fatalf("test premise broken: round-robin spread no schema")
	}

	by := shell(t, dir, "CTXROWS_PASSWORD=secret ctxrows -e 1000 -d schemas.csv | ctxsplit -n 3 -o by- --by schema")
	if by.code != 0 {
		t.Fatalf("--by: %s", by.stderr)
	}
	if strings.Contains(by.stderr, "warning") {
		t.Errorf("--by warned: %s", by.stderr)
	}
	paths := prefixed(dir, strings.Fields(by.stdout))
	for schema, shards := range schemaShards(t, paths) {
		if len(shards) != 1 {
			t.Errorf("schema %s is in shards %v", schema, shards)
		}
	}
	var sizes []int
	total := 0
	for _, p := range paths {
		n := len(parseCSV(t, readFile(t, p))) - 1
		sizes = append(sizes, n)
		total += n
	}
	if total != 1000 {
		t.Errorf("shards hold %d records, want 1000", total)
	}
	lo, hi := sizes[0], sizes[0]
	for _, s := range sizes {
		lo, hi = min(lo, s), max(hi, s)
	}
	if hi-lo > 100 { // one schema holds 100 rows: LPT is within one key of even
		t.Errorf("unbalanced shards %v", sizes)
	}
}

func prefixed(dir string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Join(dir, p)
	}
	return out
}

// TestCtxsplitByKeyFromFileAndPipe checks that a seekable file and a pipe
// (spooled) give the same shards.
func TestCtxsplitByKeyFromFileAndPipe(t *testing.T) {
	dir := t.TempDir()
	in := "k,v\n" + "a,1\nb,2\na,3\nc,4\n\"multi\nline\",5\nb,6\n"
	os.WriteFile(filepath.Join(dir, "in.csv"), []byte(in), 0o644)
	file := run(t, "", "ctxsplit", "-n", "2", "--by", "k", "-o", dir+"/f-", filepath.Join(dir, "in.csv"))
	pipe := run(t, in, "ctxsplit", "-n", "2", "--by", "k", "-o", dir+"/p-")
	if file.code != 0 || pipe.code != 0 {
		t.Fatalf("exit %d/%d: %s %s", file.code, pipe.code, file.stderr, pipe.stderr)
	}
	for _, n := range []string{"01", "02"} {
		f, p := readFile(t, dir+"/f-"+n+".csv"), readFile(t, dir+"/p-"+n+".csv")
		if f != p {
			t.Errorf("shard %s differs: file %q pipe %q", n, f, p)
		}
	}
	if got := readFile(t, dir+"/f-01.csv") + readFile(t, dir+"/f-02.csv"); strings.Count(got, "k,v\n") != 2 {
		t.Errorf("header missing: %q", got)
	}
	for _, name := range listDir(t, dir) {
		if strings.HasPrefix(name, ".") {
			t.Errorf("left behind %s", name)
		}
	}
}

//go:build unix

package shard

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"provpipe/pkg/shared/outfiles"
)

// mappedInput writes in to a file and opens it at offset at.
func mappedInput(t *testing.T, in string, at int64) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(path, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.Seek(at, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	return f
}

// shardsOf splits src and returns the shards' contents, or the error.
func shardsOf(t *testing.T, src io.Reader, opt Options) ([]string, error) {
	t.Helper()
	opt.Prefix = t.TempDir() + "/s-"
	set := outfiles.New(false)
	if _, err := Split(context.Background(), src, "in.csv", opt, set); err != nil {
		set.Abort()
		return nil, err
	}
	if err := set.Commit(); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range Paths(opt.Prefix, opt.Shards) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out, nil
}

func contexts(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "\"%d\",\"schema_%d\",\"x\"\n", i, i%7)
	}
	return b.String()
}

// TestMappedAsRead: a file, mapped, splits into the shards reading it
// gives, from its start or from an offset (stdin after `head -1` read
// from it), by round-robin and by key, and a key split that takes a second
// pass over the mapping too.
func TestMappedAsRead(t *testing.T) {
	header := "contextid,schema,name\n"
	skipped := "this line was read by another process before the split\n"
	// Many small keys, then one large: the one pass leaves it on top of
	// a third of the rest, and the second puts it alone.
	uneven := header + contexts(2, 20000) + strings.Repeat("\"1\",\"big\",\"x\"\n", 30000)
	for _, c := range []struct {
		name string
		in   string
		at   int
		opt  Options
	}{
		{"round-robin", header + contexts(0, 100000), 0, Options{Shards: 5}},
		{"from an offset", skipped + header + contexts(0, 100000), len(skipped), Options{Shards: 3}},
		{"by key", header + contexts(0, 100000), 0, Options{Shards: 4, By: "schema"}},
		{"by key, two passes", uneven, 0, Options{Shards: 3, By: "contextid"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			want, err := shardsOf(t, strings.NewReader(c.in[c.at:]), c.opt)
			if err != nil {
				t.Fatal(err)
			}
			maps := 0
			afterMapping = func(*os.File) { maps++ }
			defer func() { afterMapping = nil }()
			got, err := shardsOf(t, mappedInput(t, c.in, int64(c.at)), c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if maps != 1 {
				t.Fatalf("the file was mapped %d times, not once", maps)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("shard %d: %d bytes mapped, %d read", i+1, len(got[i]), len(want[i]))
				}
			}
		})
	}
}

// TestMappedFileChanges: a file that grows once mapped is split whole,
// what follows the mapped end read; one cut short is an error naming the
// file, not a crash (the pages it lost fault when touched).
func TestMappedFileChanges(t *testing.T) {
	defer func() { afterMapping = nil }()
	header := "contextid,schema,name\n"
	for _, opt := range []Options{{Shards: 3}, {Shards: 3, By: "schema"}} {
		afterMapping = func(f *os.File) {
			w, err := os.OpenFile(f.Name(), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			w.WriteString(contexts(50000, 50010))
			w.Close()
		}
		got, err := shardsOf(t, mappedInput(t, header+contexts(0, 50000), 0), opt)
		if err != nil {
			t.Fatalf("%+v, grown: %v", opt, err)
		}
		if all := strings.Join(got, ""); !strings.Contains(all, "\"50009\",") || strings.Count(all, "\n") != 50010+3 {
			t.Errorf("%+v, grown: %d lines in the shards, want 50013", opt, strings.Count(all, "\n"))
		}
		afterMapping = func(f *os.File) {
			if err := os.Truncate(f.Name(), 100); err != nil {
				t.Fatal(err)
			}
		}
		_, err = shardsOf(t, mappedInput(t, header+contexts(0, 50000), 0), opt)
		if err == nil || !strings.Contains(err.Error(), "in.csv: the file got shorter while it was split") {
			t.Errorf("%+v, cut short: %v", opt, err)
		}
	}
}

// TestMappedChangeBetweenPasses: a key split that needs a second pass
// over a mapped file refuses an input changed between the passes (a byte
// outside the keys, the same length), or grown during the first.
func TestMappedChangeBetweenPasses(t *testing.T) {
	defer func() { afterMapping, beforeSecondPass = nil, nil }()
	header := "contextid,schema,name\n"
	uneven := header + contexts(2, 20000) + strings.Repeat("\"1\",\"big\",\"x\"\n", 30000)
	opt := Options{Shards: 3, By: "contextid"}
	f := mappedInput(t, uneven, 0)
	beforeSecondPass = func() {
		w, err := os.OpenFile(f.Name(), os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.WriteAt([]byte("y"), int64(len(uneven)-3)) // the last "x"
		w.Close()
	}
	if _, err := shardsOf(t, f, opt); err == nil || !strings.Contains(err.Error(), "in.csv: input changed between the two passes") {
		t.Errorf("changed between the passes: %v", err)
	}
	beforeSecondPass = nil
	afterMapping = func(f *os.File) {
		w, err := os.OpenFile(f.Name(), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.WriteString(strings.Repeat("\"1\",\"big\",\"x\"\n", 10))
		w.Close()
	}
	if _, err := shardsOf(t, mappedInput(t, uneven, 0), opt); err == nil || !strings.Contains(err.Error(), "in.csv: input changed between the two passes") {
		t.Errorf("grown during the first pass: %v", err)
	}
}

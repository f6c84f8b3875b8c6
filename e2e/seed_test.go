//go:build unix

package e2e

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"provpipe/internal/testserver/testenv"
)

// TestMatchesSeedScript runs the documented Open-Xchange script (rebuilt in
// testdata/seed) and `ctxrows | ctxsplit` on the same parameters for the
// three schema modes, and compares the shards field by field.
func TestMatchesSeedScript(t *testing.T) {
	testenv.RequireProgram(t, "split", "coreutils")
	testenv.RequireProgram(t, "bash", "bash")
	script := testenv.Testdata("seed", "ox-preprovision.sh")
	cases := []struct {
		mode, schemas  string
		flags          string // the seed's header is whatever its schemas.csv says
		start, end, n  int
		wantSchemaCols []string
	}{
		{"schema-name", "schemas-name.csv", "--schema-column schema-name", 1, 1000, 4, []string{"destination-database-id", "schema-name", "destination-store-id"}},
		{"in-memory", "schemas-inmemory.csv", "", 17, 523, 3, []string{"schema-strategy", "destination-database-id", "destination-store-id"}},
		{"automatic", "schemas-automatic.csv", "", 5, 104, 7, []string{"destination-database-id", "destination-store-id"}},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			schemas := testenv.Testdata("seed", c.schemas)
			seedDir, ourDir := t.TempDir(), t.TempDir()
			seed := runIn(t, seedDir, "", "bash", script, "-d", schemas, "-p", "s3cret",
				"-s", fmt.Sprint(c.start), "-e", fmt.Sprint(c.end), "-n", fmt.Sprint(c.n))
			if seed.code != 0 {
				t.Fatalf("seed script: exit %d: %s", seed.code, seed.stderr)
			}
			seedOut := filepath.Join(seedDir, strings.TrimSpace(seed.stdout))

			ours := shell(t, ourDir, fmt.Sprintf("ctxrows -p s3cret -s %d -e %d -d %s %s | ctxsplit -q -n %d",
				c.start, c.end, schemas, c.flags, c.n))
			if ours.code != 0 {
				t.Fatalf("ours: exit %d: %s", ours.code, ours.stderr)
			}
			paths := strings.Fields(ours.stdout)
			if len(paths) != c.n {
				t.Fatalf("wrote %d shards, want %d", len(paths), c.n)
			}
			total := 0
			for _, p := range paths {
				want := parseCSV(t, readFile(t, filepath.Join(seedOut, p)))
				got := parseCSV(t, readFile(t, filepath.Join(ourDir, p)))
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s differs from the seed script's:\nours %v\nseed %v", p, head(got), head(want))
				}
				if tail := got[0][len(got[0])-len(c.wantSchemaCols):]; !reflect.DeepEqual(tail, c.wantSchemaCols) {
					t.Errorf("%s header ends %v, want %v", p, tail, c.wantSchemaCols)
				}
				total += len(got) - 1
			}
			if total != c.end-c.start+1 {
				t.Errorf("%d rows in all, want %d", total, c.end-c.start+1)
			}
		})
	}
}

func head(recs [][]string) [][]string {
	return recs[:min(len(recs), 3)]
}

//go:build unix

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"provpipe/internal/testserver/oxsim"
	"provpipe/internal/testserver/testenv"
)

// oxPlatform is a throwaway "Open-Xchange platform": the createcontext
// stand-in on PATH and its state directory.
type oxPlatform struct {
	dir, state string
}

func newPlatform(t *testing.T) *oxPlatform {
	t.Helper()
	testenv.RequireProgram(t, "parallel", "parallel")
	dir := t.TempDir()
	p := &oxPlatform{dir: dir, state: filepath.Join(dir, "oxstate")}
	if err := os.Mkdir(p.state, 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

// script returns a bash prelude putting the tools and the stand-in first on
// PATH and pointing the stand-in at this platform; extra env is appended.
func (p *oxPlatform) script(t *testing.T, env, body string) string {
	t.Helper()
	bin := filepath.Dir(testenv.Binary(t, "ctxrows"))
	return fmt.Sprintf("export PATH=%s:%s:$PATH OXSIM_STATE=%s LANG=C.UTF-8 HOME=%s %s\n%s",
		bin, testenv.StandIns(t), p.state, p.dir, env, body)
}

// created reads what the platform created, by context id; a context
// created twice fails the test.
func (p *oxPlatform) created(t *testing.T) map[int]oxsim.Context {
	t.Helper()
	list, err := oxsim.Created(p.state)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]oxsim.Context{}
	for _, c := range list {
		if _, dup := out[c.ID]; dup {
			t.Errorf("context %d created twice", c.ID)
		}
		out[c.ID] = c
	}
	return out
}

// schemaRows returns the schemas file's rows as maps by column.
func schemaRows(t *testing.T, path string) []map[string]string {
	t.Helper()
	recs := parseCSV(t, readFile(t, path))
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, c := range recs[0] {
			m[c] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

// TestProvisioningThroughStandIn: ctxrows' rows, split and imported in
// parallel by the createcontext stand-in, which reads them as Open-Xchange
// does. Every context is created once, with the placement its schemas.csv
// row gives it; grouped by schema, no schema is written from two files.
func TestProvisioningThroughStandIn(t *testing.T) {
	const contexts = 3000
	cases := []struct {
		name, schemas, split string
		apart                bool // no schema imported from two files
	}{
		{"schema, grouped", "demo/schemas.csv", "--by schema", true},
		{"schema-name file, grouped", "testdata/seed/schemas-name.csv", "--by schema", true},
		{"schema, round-robin", "demo/schemas.csv", "", false},
		{"in-memory", "testdata/seed/schemas-inmemory.csv", "", false},
		{"automatic", "testdata/seed/schemas-automatic.csv", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPlatform(t)
			schemas := filepath.Join(testenv.RepoRoot(), c.schemas)
			r := shell(t, p.dir, p.script(t, "", fmt.Sprintf(
				`ctxrows -p secret -e %d -d %s | ctxsplit -n 4 %s -q | parallel -j 4 'createcontext -A oxadminmaster -P master --csv-import {} >{.}.created'`,
				contexts, schemas, c.split)))
			if r.code != 0 || strings.Contains(r.stderr, "Failed to create context") || strings.Contains(r.stderr, "could not be created") {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			got := p.created(t)
			if len(got) != contexts {
				t.Fatalf("%d contexts created, want %d", len(got), contexts)
			}
			rows := schemaRows(t, schemas)
			files := map[string]map[string]bool{}
			for id, ctx := range got {
				want := rows[(id-1)%len(rows)]
				wantSchema := want["schema"] + want["schema-name"]
				if ctx.Schema != wantSchema || ctx.Strategy != want["schema-strategy"] ||
					fmt.Sprint(ctx.Database) != orZero(want["destination-database-id"]) || fmt.Sprint(ctx.Store) != orZero(want["destination-store-id"]) {
					t.Fatalf("context %d placed %q/%q db %d store %d, schemas.csv says %v", id, ctx.Schema, ctx.Strategy, ctx.Database, ctx.Store, want)
				}
				if ctx.Schema != "" {
					if files[ctx.Schema] == nil {
						files[ctx.Schema] = map[string]bool{}
					}
					files[ctx.Schema][ctx.File] = true
				}
			}
			var shared []string
			for schema, fs := range files {
				if len(fs) > 1 {
					shared = append(shared, schema)
				}
			}
			sort.Strings(shared)
			if c.apart && len(shared) > 0 {
				t.Errorf("schemas imported from several files at once: %v", shared)
			}
			if !c.apart && len(files) > 0 && len(shared) == 0 {
				t.Errorf("round-robin kept every schema in one file: the check would not notice a mistake")
			}
		})
	}
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// TestLegacySchemaColumnIsIgnored: rows written with the article's
// schema-name column reach an import that does not read it; the stand-in
// applies no schema and notes the unknown column. This is the mistake the
// schema column fixes, and the test that would have caught it.
func TestLegacySchemaColumnIsIgnored(t *testing.T) {
	p := newPlatform(t)
	schemas := filepath.Join(testenv.RepoRoot(), "demo", "schemas.csv")
	r := shell(t, p.dir, p.script(t, "", fmt.Sprintf(
		`ctxrows -p secret -e 90 -d %s --schema-column schema-name | ctxsplit -n 3 --by schema-name -q | parallel 'createcontext -A oxadminmaster -P master --csv-import {} >/dev/null'`, schemas)))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for id, ctx := range p.created(t) {
		if ctx.Schema != "" {
			t.Fatalf("context %d got schema %q from a column createcontext does not read", id, ctx.Schema)
		}
	}
	if notes := readFile(t, filepath.Join(p.state, "notes.log")); !strings.Contains(notes, "unknown-column\tschema-name") {
		t.Errorf("the stand-in did not note the unknown column: %q", notes)
	}
}

// TestPasswordsReachOX: each -p value is either created exactly as given
// or refused with exit 2 and nothing written; never silently changed.
func TestPasswordsReachOX(t *testing.T) {
	cases := []struct {
		name, pw, flags string
		refused         bool
	}{
		{"quote", `pa"ss`, "", false},
		{"comma", "pa,ss", "", false},
		{"newline", "pa\nss", "", false},
		{"non-ASCII", "Pässwörd€", "", false},
		{"all at once", "a\"b,c\nd€", "--quote minimal", false},
		{"backslash", `pa\ss`, "", true},
		{"trailing backslash", `secret\`, "", true},
		{"backslash escaped", `pa\ss`, "--backslash escape", false},
		{"trailing backslash escaped", `secret\`, "--backslash escape", false},
		{"backslash and quote escaped", `a\"b\\`, "--backslash escape --quote minimal", false},
		{"carriage return", "pa\rss", "--backslash escape", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPlatform(t)
			os.WriteFile(filepath.Join(p.dir, "pw"), []byte(c.pw), 0o600)
			schemas := filepath.Join(testenv.RepoRoot(), "demo", "schemas.csv")
			r := shell(t, p.dir, p.script(t, `CTXROWS_PASSWORD="$(cat pw)"`, fmt.Sprintf(
				`ctxrows -e 20 -d %s %s | ctxsplit -n 2 --by schema -q | parallel 'createcontext -A oxadminmaster -P master --csv-import {} >/dev/null'`, schemas, c.flags)))
			got := p.created(t)
			if c.refused {
				if r.code != 2 || len(got) != 0 || !strings.Contains(r.stderr, "ctxrows: password (every row) holds a") {
					t.Errorf("exit %d, %d created, stderr %q; want exit 2, nothing created, the column named", r.code, len(got), r.stderr)
				}
				if strings.Contains(r.stderr, c.pw) {
					t.Errorf("the refusal shows the password")
				}
				return
			}
			if r.code != 0 || strings.Contains(r.stderr, "Failed to create context") {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if len(got) != 20 {
				t.Fatalf("%d contexts created, want 20", len(got))
			}
			want := sha256hex(c.pw)
			for id, ctx := range got {
				if ctx.PasswordSHA256 != want {
					t.Fatalf("context %d was created with another password than %q", id, c.pw)
				}
			}
		})
	}
}

// TestImportResume: an import interrupted half-way (Ctrl-C to the whole
// pipeline) and then one with injected failures are each finished by one
// command, `ctxrows --skip-created`: every context ends up created exactly
// once, and a re-run creates exactly what was missing.
func TestImportResume(t *testing.T) {
	const contexts, jobs = 2000, 4
	p := newPlatform(t)
	os.Mkdir(filepath.Join(p.dir, "logs"), 0o700)
	schemas := filepath.Join(testenv.RepoRoot(), "demo", "schemas.csv")
	// Logs of both streams count: a context in flight when the import was
	// killed reports "already exists" on the re-run.
	importCmd := func(prefix, skip string) string {
		return fmt.Sprintf(`ctxrows -p secret -e %d -d %s %s | ctxsplit -n %d --by schema -q -o %s | `+
			`parallel -j %d --joblog logs/%s.joblog 'createcontext -A oxadminmaster -P master --csv-import {} >logs/{/.}.created 2>logs/{/.}.failed'`,
			contexts, schemas, skip, jobs, prefix, jobs, prefix)
	}

	// 1. Interrupted: the stand-in takes 2 ms per context.
	cmd := exec.Command("bash", "-o", "pipefail", "-c", p.script(t, "OXSIM_DELAY=2ms", importCmd("run1-", "")))
	cmd.Dir = p.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitCreated(t, p, contexts/4)
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	cmd.Wait()
	waitGroupGone(t, cmd.Process.Pid)
	first := len(p.created(t))
	if first >= contexts {
		t.Fatalf("the interrupt came too late: all %d contexts created", first)
	}

	// 2. Resumed, with three contexts refused by the platform.
	var failIDs []int
	var failList []string
	afterInterrupt := p.created(t)
	for id := contexts; len(failIDs) < 3; id-- {
		if _, done := afterInterrupt[id]; !done {
			failIDs = append(failIDs, id)
			failList = append(failList, strconv.Itoa(id))
		}
	}
	fail := strings.Join(failList, ",")
	r := shell(t, p.dir, p.script(t, "OXSIM_FAIL="+fail, importCmd("run2-", "--skip-created 'logs/*.created'")))
	if r.code != 0 {
		t.Fatalf("resume: exit %d: %s", r.code, r.stderr)
	}
	failed := shell(t, p.dir, `cat logs/run2-*.failed`).stdout
	for _, id := range failIDs {
		if !strings.Contains(failed, fmt.Sprintf("Failed to create context %d: com.openexchange.admin.rmi.exceptions.StorageException: injected failure", id)) {
			t.Errorf("context %d's injected failure is not in the logs:\n%s", id, failed)
		}
	}
	if n := strings.Count(failed, "already exists"); n > jobs {
		t.Errorf("%d contexts re-imported after the interrupt (at most one in flight per job may be):\n%s", n, failed)
	}
	if got := len(p.created(t)); got != contexts-len(failIDs) {
		t.Errorf("%d contexts after the resume, want %d", got, contexts-len(failIDs))
	}

	// 3. The failures fixed, one more run creates exactly them.
	before := p.created(t)
	r = shell(t, p.dir, p.script(t, "", importCmd("run3-", "--skip-created 'logs/*.created' --skip-created 'logs/*.failed'")))
	if r.code != 0 {
		t.Fatalf("re-run: exit %d: %s", r.code, r.stderr)
	}
	after := p.created(t)
	if len(after) != contexts {
		t.Errorf("%d contexts in the end, want %d", len(after), contexts)
	}
	var added []int
	for id := range after {
		if _, had := before[id]; !had {
			added = append(added, id)
		}
	}
	sort.Ints(added)
	sort.Ints(failIDs)
	if fmt.Sprint(added) != fmt.Sprint(failIDs) {
		t.Errorf("the re-run created %v, want exactly the failed %v", added, failIDs)
	}
	if failed := shell(t, p.dir, `cat logs/run3-*.failed`).stdout; failed != "" {
		t.Errorf("the re-run failed some contexts:\n%s", failed)
	}
}

// waitCreated waits until the platform holds at least n contexts.
func waitCreated(t *testing.T, p *oxPlatform, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if list, err := oxsim.Created(p.state); err == nil && len(list) >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("fewer than %d contexts created after a minute", n)
}

// waitGroupGone waits until no process of the group pgid is left.
func waitGroupGone(t *testing.T, pgid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(-pgid, 0); err != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("processes of group %d still running", pgid)
}

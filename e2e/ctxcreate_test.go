//go:build unix

package e2e

import (
	"bufio"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"provpipe/internal/testserver/mariadblab"
	"provpipe/internal/testserver/oxsoapsim"
	"provpipe/internal/testserver/testenv"
)

// startSOAP serves the OX SOAP stand-in on 127.0.0.1 for one test.
func startSOAP(t *testing.T) (*oxsoapsim.Server, string) {
	t.Helper()
	srv := oxsoapsim.New("oxadminmaster", "master-pw")
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, hs.URL
}

// ctxcreateScript is the README's pipeline: ctxrows | ctxcreate.
func ctxcreateScript(t *testing.T, url string, n int, extra string) string {
	t.Helper()
	bin := filepath.Dir(testenv.Binary(t, "ctxcreate"))
	return fmt.Sprintf("export CTXROWS_PASSWORD=ctx-pw CTXCREATE_PASSWORD=master-pw; %s/ctxrows -e %d -d %s | %s/ctxcreate --url %s %s",
		bin, n, filepath.Join(testenv.RepoRoot(), "demo", "schemas.csv"), bin, url, extra)
}

// startSOAPOnMariaDB serves the stand-in with its contexts in a throwaway
// MariaDB, written as OX's storage writes them in outline.
func startSOAPOnMariaDB(t *testing.T) (*oxsoapsim.Server, string, *oxsoapsim.DBStore) {
	t.Helper()
	testenv.RequireProgram(t, "mariadbd", "mariadb-server")
	lab, err := mariadblab.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lab.Stop)
	store, err := oxsoapsim.NewDBStore(lab.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	srv := oxsoapsim.New("oxadminmaster", "master-pw")
	srv.Store = store
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, hs.URL, store
}

// TestCtxcreateFaultsAndResume: 3 000 contexts, -j 8, 2 % of the requests
// failing (timeouts after the commit, 503s, resets, deadlock faults), one
// SIGINT mid-run and a --done resume: every context exists exactly once,
// is reported created exactly once across the runs, and the stand-in never
// saw two creates into one schema at once; in memory, and in MariaDB,
// where every context's payload rows were written once too.
func TestCtxcreateFaultsAndResume(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		srv, url := startSOAP(t)
		srv.Delay = time.Millisecond
		faultsAndResume(t, srv, url, 3000)
	})
	t.Run("mariadb", func(t *testing.T) {
		// The figure: 100 000 contexts on a real database.
		const n = 100000
		srv, url, store := startSOAPOnMariaDB(t)
		faultsAndResume(t, srv, url, n)
		if got, err := store.PayloadRows(); err != nil || got != n {
			t.Errorf("%d admin users in the payload schemas, want %d (%v)", got, n, err)
		}
		t.Logf("deadlocks met in the payload schemas: %d", store.Deadlocks())
	})
}

func faultsAndResume(t *testing.T, srv *oxsoapsim.Server, url string, n int) {
	kinds := []oxsoapsim.FaultKind{oxsoapsim.TimeoutAfterCommit, oxsoapsim.Unavailable, oxsoapsim.Reset, oxsoapsim.Deadlock}
	for i := 0; i < n/50; i++ {
		srv.Inject(2+i*50, kinds[i%len(kinds)])
	}
	dir := t.TempDir()
	results := filepath.Join(dir, "created.tsv")
	cmd := exec.Command("bash", "-c", ctxcreateScript(t, url, n, "-j 8 --retries 5 --timeout 2s --done "+results+" --append "+results))
	cmd.Dir, cmd.SysProcAttr = dir, &syscall.SysProcAttr{Setpgid: true}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A third of the contexts reported (the results file is the cheap
	// thing to watch; the deadline only bounds a hang).
	for deadline := time.Now().Add(5 * time.Minute); countLines(results) < n/3; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d contexts reported after 5 minutes:\n%s", n/3, tail(stderr.String(), 800))
		}
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	cmd.Wait()
	if code := shellExitStatus(cmd.ProcessState); code != 130 {
		t.Errorf("interrupted run: exit %d, want 130; stderr:\n%s", code, tail(stderr.String(), 800))
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("no word of the interruption:\n%s", tail(stderr.String(), 800))
	}
	first := len(srv.Contexts())
	if first >= n {
		t.Fatalf("all %d contexts created before the interrupt took effect: the test proves nothing", n)
	}
	r := shell(t, dir, ctxcreateScript(t, url, n, "-j 8 --retries 5 --timeout 2s --done "+results+" --append "+results))
	if r.code != 0 {
		t.Fatalf("resume: exit %d:\n%s", r.code, tail(r.stderr, 800))
	}
	created := srv.Contexts()
	if len(created) != n {
		t.Errorf("%d contexts exist, want %d", len(created), n)
	}
	reported := map[string]int{}
	f, _ := os.Open(results)
	defer f.Close()
	for sc := bufio.NewScanner(f); sc.Scan(); {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < 2 {
			t.Fatalf("result line %q", sc.Text())
		}
		if fields[1] == "created" {
			reported[fields[0]]++
		} else {
			t.Errorf("context %s: %s", fields[0], sc.Text())
		}
	}
	for id := range created {
		if reported[id] != 1 {
			t.Errorf("context %s reported created %d times", id, reported[id])
		}
	}
	if len(reported) != n {
		t.Errorf("%d contexts reported created, want %d", len(reported), n)
	}
	if o := srv.Overlaps(); o != 0 {
		t.Errorf("%d creates met another create of their schema in flight", o)
	}
	t.Logf("%d contexts before the interrupt, %d requests in all", first, srv.Requests())
}

// TestCtxcreateRefusals: wrong credentials are exit 2 with nothing
// created; a row OX refuses fails with its fault, the rest are created,
// exit 1; text output is createcontext's lines.
func TestCtxcreateRefusals(t *testing.T) {
	srv, url := startSOAP(t)
	dir := t.TempDir()
	r := shell(t, dir, strings.Replace(ctxcreateScript(t, url, 20, ""), "CTXCREATE_PASSWORD=master-pw", "CTXCREATE_PASSWORD=wrong", 1))
	if r.code != 2 || !strings.Contains(r.stderr, "InvalidCredentialsException: Authentication failed") || len(srv.Contexts()) != 0 || srv.Requests() != 1 {
		t.Errorf("wrong password: exit %d, %d contexts, %d requests: %s", r.code, len(srv.Contexts()), srv.Requests(), r.stderr)
	}
	csv := "contextid,username,password,displayname,givenname,surname,email,quota,schema,schema-strategy\n" +
		"1,a,pw,A,A,A,a@x,1000,oxdb_1,\n2,a,pw,A,A,A,a@x,1000,oxdb_1,automatic\n3,a,pw,A,A,A,a@x,1000,oxdb_2,\n"
	os.WriteFile(filepath.Join(dir, "rows.csv"), []byte(csv), 0o600)
	r = runIn(t, dir, "", testenv.Binary(t, "ctxcreate"), "--url", url, "-p", "master-pw", "--format", "text", "rows.csv")
	wantOut := "Context 1 successfully created\nContext 3 successfully created\ncontext created\n"
	if r.code != 1 || !sameLines(r.stdout, wantOut) ||
		!strings.Contains(r.stderr, "Failed to create context 2: com.openexchange.admin.rmi.exceptions.InvalidDataException: Only one of schema name or strategy may be set") {
		t.Errorf("a refused row: exit %d, stdout %q, stderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// sameLines compares line sets: streams finish in any order.
func sameLines(a, b string) bool {
	la, lb := strings.Split(strings.TrimSpace(a), "\n"), strings.Split(strings.TrimSpace(b), "\n")
	if len(la) != len(lb) {
		return false
	}
	seen := map[string]int{}
	for _, l := range la {
		seen[l]++
	}
	for _, l := range lb {
		seen[l]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

// countLines is the number of lines in path (0 if it does not exist).
func countLines(path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "\n")
}

// TestCtxcreateProgressOnTerminal: results to a file, stderr a terminal
// (under script(1)): a progress line is drawn and erased, and the summary
// follows on lines of its own.
func TestCtxcreateProgressOnTerminal(t *testing.T) {
	script := testenv.RequireProgram(t, "script", "bsdutils")
	srv, url := startSOAP(t)
	srv.Delay = 2 * time.Millisecond
	dir := t.TempDir()
	line := ctxcreateScript(t, url, 1500, "-j 2 > out.tsv")
	r := runIn(t, dir, "", script, "-qec", line, "/dev/null")
	if r.code != 0 {
		t.Fatalf("exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "\r\x1b[Kctxcreate: ") || !strings.Contains(r.stdout, "contexts/s") {
		t.Errorf("no progress line on the terminal: %q", tail(r.stdout, 400))
	}
	shown := terminalView(r.stdout)
	summary := false
	for _, l := range shown {
		if strings.HasPrefix(l, "ctxcreate: 1500 contexts created") {
			summary = true
		}
	}
	if !summary {
		t.Errorf("no whole summary line on the terminal: %q", shown)
	}
	if n := countLines(filepath.Join(dir, "out.tsv")); n != 1500 {
		t.Errorf("%d result lines in the file, want 1500", n)
	}
}

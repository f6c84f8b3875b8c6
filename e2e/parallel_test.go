//go:build unix

package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"provpipe/internal/testserver/dovecotlab"
	"provpipe/internal/testserver/mailsim"
	"provpipe/internal/testserver/testenv"
)

// writeListing writes an omsearch-style listing of users.
func writeListing(t *testing.T, dir string, users []string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("CN/IA-FORMAL\n")
	for _, u := range users {
		fmt.Fprintf(&b, "%s/OU1=test/OU2=scalix\n", u)
	}
	path := filepath.Join(dir, "users.list")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkFanOut checks the merged TSV of several sxwarm processes: every line
// whole (six fields, a folder asked for, a known user), each user with
// exactly one line per folder.
func checkFanOut(t *testing.T, out string, users []string) {
	t.Helper()
	known := map[string]bool{}
	for _, u := range users {
		known[u] = true
	}
	perUser := map[string]map[string]int{}
	for i, line := range lines(out) {
		f := strings.Split(line, "\t")
		if len(f) != 6 || !known[f[0]] || !contains(standardFolders, f[1]) || (f[2] != "ok" && f[2] != "missing") {
			t.Fatalf("line %d broken or interleaved: %q", i+1, line)
		}
		if perUser[f[0]] == nil {
			perUser[f[0]] = map[string]int{}
		}
		perUser[f[0]][f[1]]++
	}
	for _, u := range users {
		for _, folder := range standardFolders {
			if n := perUser[u][folder]; n != 1 {
				t.Errorf("%s %s reported %d times", u, folder, n)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestParallelFanOutAgainstEmbeddedServer(t *testing.T) {
	testenv.RequireProgram(t, "parallel", "parallel")
	srv := mailsim.New(mailsim.Options{Admin: "admin", AdminPassword: "adminpw"})
	var users []string
	for i := 0; i < 230; i++ {
		name := fmt.Sprintf("User%d Test%d", i, i)
		users = append(users, name)
		srv.AddUser(name, "", map[string]int{"INBOX": 5 + i%7, "Calendar": 2, "Contacts": 3, "Sent Items": 1 + i%4})
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	writeListing(t, dir, users)
	os.WriteFile(filepath.Join(dir, "pw"), []byte("adminpw\n"), 0o600)
	r := shell(t, dir, fmt.Sprintf(`sxusers -f users.list -q | parallel --pipe -N 50 -j 4 --line-buffer sxwarm --host %s -u admin --password-file pw -j 2 -q`, srv.Addr()))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	checkFanOut(t, r.stdout, users)
	for _, u := range users {
		if n := srv.Logins()[u]; n != 1 {
			t.Errorf("%s logged in %d times", u, n)
		}
	}
}

func TestParallelFanOutAgainstDovecot(t *testing.T) {
	testenv.RequireProgram(t, "parallel", "parallel")
	mailboxes := map[string]map[string]int{}
	var users []string
	for i := 0; i < 120; i++ {
		name := fmt.Sprintf("user%03d", i)
		users = append(users, name)
		mailboxes[name] = map[string]int{"INBOX": 20 + i%9, "Calendar": 5, "Contacts": 8, "Sent Items": 3 + i%5}
	}
	lab := startDovecot(t, mailboxes)
	dir := t.TempDir()
	writeListing(t, dir, users)
	os.WriteFile(filepath.Join(dir, "pw"), []byte(dovecotlab.MasterPassword+"\n"), 0o600)
	r := shell(t, dir, fmt.Sprintf(`sxusers -f users.list -q | parallel --pipe -N 50 -j 4 --line-buffer sxwarm --host %s --auth master -u %s --password-file pw -q`,
		lab.Addr, dovecotlab.MasterUser))
	if r.code != 0 {
		t.Fatalf("exit %d: %s\n%s", r.code, r.stderr, lab.Log())
	}
	checkFanOut(t, r.stdout, users)
	for _, row := range parseTSV(t, r.stdout) {
		if want := mailboxes[row.user][row.folder]; row.messages != want {
			t.Errorf("%s %s: %d messages, Dovecot has %d", row.user, row.folder, row.messages, want)
		}
	}
}

// TestParallelInterruptAndResume: an operator's Ctrl-C (SIGINT to the whole
// process group) half-way through a GNU parallel fan-out, then the same
// command again. GNU parallel stops relaying output when interrupted, so
// sxwarm appends its results to the file itself (--append), and
// --termseq INT,... lets each sxwarm finish the users it has in flight.
// Every user ends up in the file exactly once; users reported by the first
// run are not logged in again.
func TestParallelInterruptAndResume(t *testing.T) {
	testenv.RequireProgram(t, "parallel", "parallel")
	srv, want := startSim(t, 80)
	dir := t.TempDir()
	var users []string
	for u := range want {
		users = append(users, u)
	}
	sort.Strings(users)
	writeListing(t, dir, users)
	os.WriteFile(filepath.Join(dir, "pw"), []byte("adminpw\n"), 0o600)
	done := filepath.Join(dir, "warmed.tsv")
	os.WriteFile(done, nil, 0o644)
	pipeline := fmt.Sprintf(`sxusers -f users.list -q | parallel --termseq INT,20000,TERM,2000,KILL,25 --pipe -N 10 -j 2 `+
		`sxwarm --host %s -u admin --password-file pw --rate 20 -q --done warmed.tsv --append warmed.tsv`, srv.Addr())

	cmd := exec.Command("bash", "-o", "pipefail", "-c", pipeline)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(testenv.Binary(t, "sxwarm"))+":"+os.Getenv("PATH"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForLines(t, done, 40)                      // ten users done
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) // Ctrl-C: the whole group
	cmd.Wait()
	waitNoProcess(t, "sxwarm --host "+srv.Addr()) // parallel may leave them finishing
	firstRun := map[string]bool{}
	for _, row := range parseTSV(t, readFile(t, done)) {
		firstRun[row.user] = true
	}
	if len(firstRun) >= len(users) {
		t.Fatalf("the interrupt came too late: all %d users done", len(firstRun))
	}
	before := srv.Logins()
	r := shell(t, dir, pipeline)
	if r.code != 0 {
		t.Fatalf("resume: exit %d: %s", r.code, r.stderr)
	}
	checkFanOut(t, readFile(t, done), users)
	after := srv.Logins()
	for _, u := range users {
		if firstRun[u] && after[u] != before[u] {
			t.Errorf("%s was reported by the first run but logged in again", u)
		}
		if after[u] != 1 {
			t.Errorf("%s logged in %d times", u, after[u])
		}
	}
	t.Logf("first run reported %d of %d users before the interrupt", len(firstRun), len(users))
}

// waitNoProcess waits until no process's command line contains pattern.
func waitNoProcess(t *testing.T, pattern string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if out, _ := exec.Command("pgrep", "-f", pattern).Output(); len(out) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("processes matching %q still running", pattern)
}

// waitForLines waits until path has at least n lines.
func waitForLines(t *testing.T, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if f, err := os.Open(path); err == nil {
			count := 0
			for sc := bufio.NewScanner(f); sc.Scan(); {
				count++
			}
			f.Close()
			if count >= n {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never reached %d lines", path, n)
}

//go:build unix

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"provpipe/internal/testserver/testenv"
)

// contextsCSV writes ctxrows output for n contexts into dir/name.
func contextsCSV(t *testing.T, dir, name string, n int) string {
	t.Helper()
	r := shell(t, dir, fmt.Sprintf("ctxrows -p x -e %d -d %s > %s", n, filepath.Join(testenv.RepoRoot(), "demo", "schemas.csv"), name))
	if r.code != 0 {
		t.Fatalf("ctxrows: %s", r.stderr)
	}
	return filepath.Join(dir, name)
}

// TestSpoolNeverOnDisk: ctxsplit --by reading a pipe spools the input (with
// its passwords); interrupted, it leaves no file behind. The pipe stays
// open after the rows, so the split is still running when interrupted,
// however fast it is: a split that finished would rightly leave its shards.
func TestSpoolNeverOnDisk(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "o")
	os.Mkdir(out, 0o755)
	bin := filepath.Dir(testenv.Binary(t, "ctxrows"))
	cmd := exec.Command("bash", "-c", fmt.Sprintf(
		"{ %s/ctxrows -p x -e 300000 -d %s; sleep 60; } | %s/ctxsplit -n 8 --by schema -o o/s",
		bin, filepath.Join(testenv.RepoRoot(), "demo", "schemas.csv"), bin))
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "shards open", func() bool { return groupHasFilesIn(cmd.Process.Pid, out) })
	// ctxrows is done once the sleep after it runs: every row is in the
	// pipe or already in the spool and the shards.
	waitFor(t, "ctxrows to write every row", func() bool { return groupRuns(cmd.Process.Pid, "sleep") })
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	cmd.Wait()
	waitGroupGone(t, cmd.Process.Pid)
	if names := listDir(t, filepath.Join(dir, "o")); len(names) != 0 {
		t.Errorf("left behind after SIGINT: %v", names)
	}
}

// TestConcurrentSplitsNeverMix: two ctxsplit runs racing for one prefix
// without --force: at most one succeeds, and the shards are one run's.
func TestConcurrentSplitsNeverMix(t *testing.T) {
	dir := t.TempDir()
	a := contextsCSV(t, dir, "A.csv", 200)
	b := shell(t, dir, "sed 's/oxadmin/other/' A.csv > B.csv")
	if b.code != 0 {
		t.Fatal(b.stderr)
	}
	for round := 0; round < 60; round++ {
		out := filepath.Join(dir, fmt.Sprintf("r%d", round))
		os.Mkdir(out, 0o755)
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, in := range []string{a, filepath.Join(dir, "B.csv")} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = runIn(t, "", "", testenv.Binary(t, "ctxsplit"), "-q", "-n", "50", "-o", out+"/s", in).code
			}()
		}
		wg.Wait()
		if codes[0] == 0 && codes[1] == 0 {
			t.Fatalf("round %d: both runs claimed the shards", round)
		}
		mixed := shell(t, out, "cat s*.csv | grep -c other || true").stdout
		if n := strings.TrimSpace(mixed); n != "0" && n != "200" && n != "" {
			t.Fatalf("round %d: shards hold %s rows of B: a mix", round, n)
		}
	}
}

// TestForceIsAllOrNothing: a shard path that cannot be replaced leaves the
// others as they were.
func TestForceIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	in := contextsCSV(t, dir, "in.csv", 30)
	os.MkdirAll(filepath.Join(dir, "d", "s02.csv", "x"), 0o755)
	os.WriteFile(filepath.Join(dir, "d", "s01.csv"), []byte("old\n"), 0o644)
	r := runIn(t, dir, "", testenv.Binary(t, "ctxsplit"), "-n", "3", "-o", "d/s", "--force", in)
	if r.code != 2 {
		t.Errorf("exit %d, want 2: %s", r.code, r.stderr)
	}
	if got := readFile(t, filepath.Join(dir, "d", "s01.csv")); got != "old\n" {
		t.Errorf("s01.csv was replaced: %q", got)
	}
	if names := listDir(t, filepath.Join(dir, "d")); strings.Join(names, " ") != "s01.csv s02.csv" {
		t.Errorf("d holds %v", names)
	}
}

// TestRefusedWithExit2: bad input, bad flags and fatal I/O errors are exit
// 2 with a message naming what is wrong, as the README's table says.
func TestRefusedWithExit2(t *testing.T) {
	dir := t.TempDir()
	in := contextsCSV(t, dir, "in.csv", 10)
	cases := []struct {
		name, script, want string
	}{
		{"CR-only line ends", `printf 'a,b\r1,x\r2,y\r' | ctxsplit -n 2 -o cr`, "CR-only line ends"},
		{"huge -n", "ctxsplit -n 9223372036854775807 " + in, "between 1 and 10000"},
		{"too few open files", "ulimit -n 30; ctxsplit -n 100 -o m " + in, "needs 116 open files, the limit is 30"},
		{"missing prefix directory", "ctxsplit -n 2 -o no/such/dir/s " + in, "no/such/dir"},
		{"empty --by", "ctxsplit -n 2 --by '' -o e " + in, "--by needs a column name"},
		{"ctxrows to a full disk", "ctxrows -p x -e 10 > /dev/full", "no space left on device"},
		{"template typo", "ctxrows -p x -e 10 --surname 'C {id2}'", "unknown placeholder {id2}"},
		{"quota not a number", "ctxrows -p x -e 10 --quota abc", "not a whole number"},
		{"huge -j", "sxwarm -u a -w b -j 100000000 -U x", "--jobs must be auto or between 1 and 1000"},
		{"folder twice", "sxwarm -u a -w b -F INBOX,INBOX -U x", `-F names folder "INBOX" twice`},
		{"NUL in a user name", `printf 'ok\nbad\000name\n' | sxwarm -u a -w b`, "stdin:2: user name"},
		{"ESC in -U", "sxwarm -u a -w b -U $'x\\e[31m'", "control character U+001B"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := shell(t, dir, c.script)
			if r.code != 2 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, c.want)
			}
		})
	}
}

// TestDuplicateUsersWarmedOnce: a user listed twice is warmed once.
func TestDuplicateUsersWarmedOnce(t *testing.T) {
	srv, _ := startSim(t, 3)
	users := "User0 Test0\nUser1 Test1\nUser0 Test0\n"
	r := run(t, users, "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "-q")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, `stdin:3: user "User0 Test0" is listed again; warmed once`) {
		t.Errorf("no warning: %s", r.stderr)
	}
	if n := srv.Logins()["User0 Test0"]; n != 1 {
		t.Errorf("User0 Test0 logged in %d times", n)
	}
}

// TestUsersPerContextInBoundedMemory: a million users in one context are
// streamed, not held (the rows were once rendered a context at a time).
func TestUsersPerContextInBoundedMemory(t *testing.T) {
	cmd := exec.Command(testenv.Binary(t, "ctxrows"), "-p", "x", "-e", "2", "--users-per-context", "1000000")
	cmd.Env = append(os.Environ(), "CTXROWS_USER_PASSWORD=u")
	count := &lineCounter{}
	cmd.Stdout = count
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	if count.lines != 1+2*1000000 {
		t.Errorf("%d lines, want the header and 2000000 rows", count.lines)
	}
	if rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024; rss > 100<<20 {
		t.Errorf("peak memory %d MB, want under 100 MB", rss>>20)
	}
}

type lineCounter struct{ lines int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.lines += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

//go:build unix

package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"provpipe/internal/testserver/testenv"
)

// interrupted is what a tool left after a signal stopped it.
type interrupted struct {
	code           int
	stdout, stderr string
	dir            string // the tool's working directory, for the files it left
}

// interruptTool starts a tool in a directory of its own, waits until ready
// says it is at work, sends sig and collects what it leaves.
func interruptTool(t *testing.T, sig syscall.Signal, cmd *exec.Cmd, ready func(stdout *bufio.Reader)) interrupted {
	t.Helper()
	cmd.Dir = t.TempDir()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen strings.Builder
	stdout := bufio.NewReader(io.TeeReader(out, &seen))
	ready(stdout)
	cmd.Process.Signal(sig)
	io.Copy(io.Discard, stdout)
	cmd.Wait()
	return interrupted{code: shellExitStatus(cmd.ProcessState), stdout: seen.String(), stderr: stderr.String(), dir: cmd.Dir}
}

// TestSignals: each tool stopped by SIGINT exits 130 and by SIGTERM 143,
// leaves no partial output file, and prints its summary unless -q (a line
// saying it was interrupted is printed either way).
func TestSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: signal tests start the tools and a server")
	}
	signals := map[syscall.Signal]int{syscall.SIGINT: 130, syscall.SIGTERM: 143}
	tools := []struct {
		tool  string
		quiet bool
		run   func(t *testing.T, sig syscall.Signal, quiet bool) interrupted
		check func(t *testing.T, got interrupted, quiet bool)
	}{
		{"ctxrows", false, interruptCtxrows, checkCtxrows},
		{"ctxsplit", true, interruptCtxsplit, checkCtxsplit},
		{"sxusers", true, interruptSxusers, checkSxusers},
		{"sxwarm", true, interruptSxwarm, checkSxwarm},
	}
	for _, tc := range tools {
		for sig, want := range signals {
			quiets := []bool{false}
			if tc.quiet {
				quiets = append(quiets, true)
			}
			for _, quiet := range quiets {
				name := tc.tool + "/" + signalName(sig)
				if quiet {
					name += "/-q"
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					got := tc.run(t, sig, quiet)
					if got.code != want {
						t.Errorf("exit %d, want %d; stderr:\n%s", got.code, want, got.stderr)
					}
					if wantLine := "interrupted"; !strings.Contains(got.stderr, wantLine) {
						t.Errorf("stderr does not say it was interrupted:\n%s", got.stderr)
					}
					tc.check(t, got, quiet)
				})
			}
		}
	}
}

func signalName(sig syscall.Signal) string {
	if sig == syscall.SIGINT {
		return "SIGINT"
	}
	return "SIGTERM"
}

func withQuiet(args []string, quiet bool) []string {
	if quiet {
		return append(args, "-q")
	}
	return args
}

// interruptCtxrows stops a run of two billion contexts once rows flow.
func interruptCtxrows(t *testing.T, sig syscall.Signal, _ bool) interrupted {
	cmd := exec.Command(testenv.Binary(t, "ctxrows"), "-p", "x", "-e", "2000000000")
	return interruptTool(t, sig, cmd, func(stdout *bufio.Reader) {
		if _, err := stdout.ReadString('\n'); err != nil {
			t.Fatalf("no header: %v", err)
		}
	})
}

func checkCtxrows(t *testing.T, got interrupted, _ bool) {
	lines := strings.Split(got.stdout, "\n")
	if last := lines[len(lines)-2]; lines[len(lines)-1] != "" || !strings.HasSuffix(last, `"Europe/Berlin"`) && !strings.HasPrefix(last, "contextid,") {
		t.Errorf("output does not end with a whole row: ...%q", tail(got.stdout, 60))
	}
	if !strings.Contains(got.stderr, "interrupted by "+signalOf(got.code)) {
		t.Errorf("stderr does not name the signal: %s", got.stderr)
	}
}

// interruptCtxsplit stops a split whose input pipe is still open, once the
// temporary shards exist.
func interruptCtxsplit(t *testing.T, sig syscall.Signal, quiet bool) interrupted {
	cmd := exec.Command(testenv.Binary(t, "ctxsplit"), withQuiet([]string{"-n", "3", "-o", "s-"}, quiet)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdin.Write([]byte("contextid,name\n1,a\n2,b\n3,c\n4,d\n"))
	return interruptTool(t, sig, cmd, func(*bufio.Reader) {
		waitFor(t, "temporary shards", func() bool { return shardsOpen(cmd) })
	})
}

// shardsOpen tells whether the process has files open in its working
// directory: its shards, which have no name until they are committed.
func shardsOpen(cmd *exec.Cmd) bool { return filesOpenIn(cmd.Process.Pid, cmd.Dir) }

// filesOpenIn tells whether process pid has a file open in dir.
func filesOpenIn(pid int, dir string) bool {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false
	}
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(os.PathSeparator)) {
			return true
		}
	}
	return false
}

// groupRuns tells whether a process of group pgid runs the program name.
func groupRuns(pgid int, name string) bool {
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		comm, _ := os.ReadFile(filepath.Join("/proc", p.Name(), "comm"))
		if g, err := syscall.Getpgid(pid); err == nil && g == pgid && strings.TrimSpace(string(comm)) == name {
			return true
		}
	}
	return false
}

// groupHasFilesIn tells whether a process of group pgid has a file open in dir.
func groupHasFilesIn(pgid int, dir string) bool {
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		if g, err := syscall.Getpgid(pid); err == nil && g == pgid && filesOpenIn(pid, dir) {
			return true
		}
	}
	return false
}

// TestKilledSplitLeavesNothing: ctxsplit killed with SIGKILL while its
// shards (the contexts' passwords inside) are being written leaves no file
// at all, and none had a name while it ran: the shards are unnamed files
// until committed.
func TestKilledSplitLeavesNothing(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("unnamed files (O_TMPFILE) are Linux's")
	}
	cmd := exec.Command(testenv.Binary(t, "ctxsplit"), "-n", "3", "-o", "s-")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdin.Write([]byte("contextid,password\n1,secret1\n2,secret2\n3,secret3\n4,secret4\n"))
	got := interruptTool(t, syscall.SIGKILL, cmd, func(*bufio.Reader) {
		waitFor(t, "shards open", func() bool { return shardsOpen(cmd) })
		if named := listDir(t, cmd.Dir); len(named) > 0 {
			t.Errorf("files with a name while the split runs: %v", named)
		}
	})
	if got.code != 128+int(syscall.SIGKILL) {
		t.Errorf("exit %d, want %d (killed)", got.code, 128+int(syscall.SIGKILL))
	}
	if left := listDir(t, got.dir); len(left) > 0 {
		t.Errorf("files left behind by the killed split: %v", left)
	}
}

func checkCtxsplit(t *testing.T, got interrupted, _ bool) {
	if left := listDir(t, got.dir); len(left) > 0 {
		t.Errorf("files left behind: %v", left)
	}
	if got.stdout != "" {
		t.Errorf("paths printed for shards not written: %q", got.stdout)
	}
	if !strings.Contains(got.stderr, "no shard file written") {
		t.Errorf("stderr: %s", got.stderr)
	}
}

// interruptSxusers stops sxusers reading a pipe whose writer has not
// finished: the read must not hold the signal up.
func interruptSxusers(t *testing.T, sig syscall.Signal, quiet bool) interrupted {
	cmd := exec.Command(testenv.Binary(t, "sxusers"), withQuiet([]string{"-f", "-"}, quiet)...)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cmd.Stdin = r
	w.Write([]byte("User0 Test0\n"))
	return interruptTool(t, sig, cmd, func(*bufio.Reader) {
		r.Close() // the child has its own
		// sxusers has read the line (its signals are set up before it
		// reads) and waits for more.
		waitFor(t, "sxusers to read its stdin", func() bool { return pipeEmpty(w) })
	})
}

func checkSxusers(t *testing.T, got interrupted, _ bool) {
	if got.stdout != "" {
		t.Errorf("users written from an interrupted listing: %q", got.stdout)
	}
	if strings.Contains(got.stderr, "Searching for users") {
		t.Errorf("a count of an interrupted listing: %s", got.stderr)
	}
}

// interruptOmsearch stops sxusers while omsearch, which sleeps a minute,
// runs as its child.
func interruptOmsearch(t *testing.T) interrupted {
	cmd := exec.Command(testenv.Binary(t, "sxusers"), "--omsearch", testenv.Testdata("omsearch", "omsearch"))
	cmd.Env = append(os.Environ(), "OMSEARCH_AS=slow")
	return interruptTool(t, syscall.SIGINT, cmd, func(*bufio.Reader) { waitForChild(t, cmd) })
}

// interruptSxwarm stops a rate-limited run, results appended to a file,
// once the first user's result is in it.
func interruptSxwarm(t *testing.T, sig syscall.Signal, quiet bool) interrupted {
	srv, want := startSim(t, 20)
	args := withQuiet([]string{"--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "--rate", "5", "--append", "done.tsv"}, quiet)
	cmd := exec.Command(testenv.Binary(t, "sxwarm"), args...)
	cmd.Stdin = strings.NewReader(userNames(want))
	return interruptTool(t, sig, cmd, func(*bufio.Reader) {
		waitFor(t, "a first result", func() bool {
			b, _ := os.ReadFile(filepath.Join(cmd.Dir, "done.tsv"))
			return strings.Count(string(b), "\n") >= 4
		})
	})
}

func checkSxwarm(t *testing.T, got interrupted, quiet bool) {
	results := readFile(t, filepath.Join(got.dir, "done.tsv"))
	lines := strings.Split(strings.TrimSuffix(results, "\n"), "\n")
	if !strings.HasSuffix(results, "\n") || len(lines)%4 != 0 {
		t.Errorf("results are not whole users (4 folders each):\n%s", results)
	}
	if n := len(lines) / 4; n >= 20 {
		t.Errorf("%d users warmed: the signal did not stop the run", n)
	}
	summary := strings.Contains(got.stderr, " ok (")
	if summary == quiet {
		t.Errorf("-q %v, summary printed %v:\n%s", quiet, summary, got.stderr)
	}
	if !strings.Contains(got.stderr, "resume with --done") {
		t.Errorf("no note that the results are incomplete:\n%s", got.stderr)
	}
	if left := listDir(t, got.dir); len(left) != 1 {
		t.Errorf("files in the working directory: %v, want done.tsv only", left)
	}
}

func signalOf(code int) string { return signalName(syscall.Signal(code - 128)) }

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestCtrlCOnPipeline: Ctrl-C on `ctxrows | ctxsplit` reaches both (the
// terminal signals the whole foreground group); both exit 130, although
// ctxrows' last write may meet the pipe ctxsplit closed (SIGPIPE, 141,
// before).
func TestCtrlCOnPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: signal tests start the tools")
	}
	for round := range 5 {
		dir := t.TempDir()
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		rows := exec.Command(testenv.Binary(t, "ctxrows"), "-e", "100000000", "--password-file", writeSecret(t, "secret"))
		rows.Stdout, rows.SysProcAttr = w, &syscall.SysProcAttr{Setpgid: true}
		split := exec.Command(testenv.Binary(t, "ctxsplit"), "-n", "3", "-o", "s-")
		split.Dir, split.Stdin = dir, r
		var rowsErr, splitErr strings.Builder
		rows.Stderr, split.Stderr = &rowsErr, &splitErr
		if err := rows.Start(); err != nil {
			t.Fatal(err)
		}
		split.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: rows.Process.Pid}
		if err := split.Start(); err != nil {
			t.Fatal(err)
		}
		r.Close()
		w.Close()
		waitFor(t, "shards open", func() bool { return shardsOpen(split) })
		syscall.Kill(-rows.Process.Pid, syscall.SIGINT)
		rows.Wait()
		split.Wait()
		for _, p := range []struct {
			cmd    *exec.Cmd
			stderr string
		}{{rows, rowsErr.String()}, {split, splitErr.String()}} {
			if code := shellExitStatus(p.cmd.ProcessState); code != 130 {
				t.Errorf("round %d: %s exited %d, want 130; stderr:\n%s", round, filepath.Base(p.cmd.Path), code, tail(p.stderr, 500))
			}
		}
	}
}

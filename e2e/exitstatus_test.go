package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"provpipe/internal/testserver/mailsim"
	"provpipe/internal/testserver/testenv"
)

// readmeExitStatuses reads the statuses of the README's exit-status table.
func readmeExitStatuses(t *testing.T) []int {
	t.Helper()
	text := readFile(t, filepath.Join(testenv.RepoRoot(), "README.md"))
	_, section, ok := strings.Cut(text, "\n## Exit statuses\n")
	if !ok {
		t.Fatal("README has no Exit statuses section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var statuses []int
	for _, m := range regexp.MustCompile("(?m)^\\| `(\\d+)` \\|").FindAllStringSubmatch(section, -1) {
		n, _ := strconv.Atoi(m[1])
		statuses = append(statuses, n)
	}
	if len(statuses) == 0 {
		t.Fatal("no rows in the README's exit-status table")
	}
	return statuses
}

// exitCase makes one tool end with one status; it returns the status the
// way a shell reports it (128+N for a process a signal ended).
type exitCase struct {
	tool, name string
	run        func(t *testing.T) int
}

// TestExitStatusTable walks the README's table: every status it documents
// is produced by the tools that can produce it, in a case named here, and
// no case ends with a status the table does not document.
func TestExitStatusTable(t *testing.T) {
	dir := t.TempDir()
	in := contextsCSV(t, dir, "in.csv", 50)
	cases := map[int][]exitCase{
		0: {
			{"ctxrows", "rows written", shellStatus(dir, "ctxrows -p x -e 10 >/dev/null")},
			{"ctxsplit", "shards written", shellStatus(dir, "ctxsplit -q -n 3 -o ok- "+in)},
			{"sxusers", "names from a file", shellStatus(dir, "printf 'User0 Test0\\n' | sxusers -f - >/dev/null")},
			{"sxwarm", "every user warmed", sxwarmStatus(nil)},
		},
		1: {
			{"sxusers", "a broken listing line", func(t *testing.T) int { return withOmsearch(t, "root").code }},
			{"sxwarm", "a refused login", sxwarmStatus(func(srv *mailsim.Server) {
				srv.SetFault("User1 Test1", mailsim.Fault{Kind: mailsim.RefuseLogin})
			})},
		},
		2: {
			{"ctxrows", "an unknown placeholder", shellStatus(dir, "ctxrows -p x -e 10 --surname '{id2}'")},
			{"ctxrows", "a full disk", shellStatus(dir, "ctxrows -p x -e 10 >/dev/full")},
			{"ctxsplit", "an unwritable prefix", shellStatus(dir, "ctxsplit -n 2 -o /nonexistent/dir/s "+in)},
			{"ctxsplit", "a bad -n", shellStatus(dir, "ctxsplit -n 0 "+in)},
			{"sxusers", "a missing file", shellStatus(dir, "sxusers -f no-such-file")},
			{"sxwarm", "an unreachable server", shellStatus(dir, "sxwarm --host 127.0.0.1:1 -u a -w b -U x")},
		},
		130: {
			{"ctxrows", "SIGINT", signalStatus(func(t *testing.T) *exec.Cmd {
				return exec.Command(testenv.Binary(t, "ctxrows"), "-p", "x", "-e", "2000000000")
			}, func(*testing.T, *exec.Cmd) { time.Sleep(200 * time.Millisecond) })},
			{"ctxsplit", "SIGINT while reading a pipe", ctxsplitInterrupted(dir)},
			{"sxusers", "SIGINT while omsearch runs", func(t *testing.T) int {
				cmd := exec.Command(testenv.Binary(t, "sxusers"), "--omsearch", testenv.Testdata("omsearch", "omsearch"))
				cmd.Env = append(os.Environ(), "OMSEARCH_AS=slow")
				return signalStatus(func(*testing.T) *exec.Cmd { return cmd }, waitForChild)(t)
			}},
			{"sxwarm", "SIGINT mid-run", sxwarmInterrupted},
			{"sxusers", "SIGTERM while reading stdin", func(t *testing.T) int {
				cmd := exec.Command(testenv.Binary(t, "sxusers"), "-f", "-")
				stdin, err := cmd.StdinPipe()
				if err != nil {
					t.Fatal(err)
				}
				stdin.Write([]byte("User0 Test0\n"))
				return signalWith(syscall.SIGTERM, func(*testing.T) *exec.Cmd { return cmd }, func(*testing.T, *exec.Cmd) {
					time.Sleep(200 * time.Millisecond)
					// The writer of the pipe is stopped too (as a shell's
					// job is), so the input ends just after the signal.
					time.AfterFunc(100*time.Millisecond, func() { stdin.Close() })
				})(t)
			}},
		},
		143: {
			{"ctxrows", "SIGTERM", signalWith(syscall.SIGTERM, func(t *testing.T) *exec.Cmd {
				return exec.Command(testenv.Binary(t, "ctxrows"), "-p", "x", "-e", "2000000000")
			}, func(*testing.T, *exec.Cmd) { time.Sleep(200 * time.Millisecond) })},
		},
	}
	documented := readmeExitStatuses(t)
	for status := range cases {
		if !slices.Contains(documented, status) {
			t.Errorf("status %d is produced but not in the README's table %v", status, documented)
		}
	}
	for _, status := range documented {
		list := cases[status]
		if len(list) == 0 {
			t.Errorf("the README documents status %d, and no case produces it", status)
		}
		for _, c := range list {
			t.Run(strconv.Itoa(status)+"/"+c.tool+"/"+c.name, func(t *testing.T) {
				if got := c.run(t); got != status {
					t.Errorf("%s, %s: exit %d, want %d", c.tool, c.name, got, status)
				}
			})
		}
	}
}

func shellStatus(dir, script string) func(t *testing.T) int {
	return func(t *testing.T) int { return shell(t, dir, script).code }
}

// sxwarmStatus warms three users of an embedded server, set up by fault.
func sxwarmStatus(fault func(*mailsim.Server)) func(t *testing.T) int {
	return func(t *testing.T) int {
		srv, want := startSim(t, 3)
		if fault != nil {
			fault(srv)
		}
		return run(t, userNames(want), "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "-q").code
	}
}

// signalStatus starts a command, waits as ready says, sends SIGINT and
// returns the status a shell would show.
func signalStatus(start func(*testing.T) *exec.Cmd, ready func(*testing.T, *exec.Cmd)) func(t *testing.T) int {
	return signalWith(os.Interrupt, start, ready)
}

// signalWith is signalStatus with another signal.
func signalWith(sig os.Signal, start func(*testing.T) *exec.Cmd, ready func(*testing.T, *exec.Cmd)) func(t *testing.T) int {
	return func(t *testing.T) int {
		cmd := start(t)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ready(t, cmd)
		cmd.Process.Signal(sig)
		cmd.Wait()
		return shellExitStatus(cmd.ProcessState)
	}
}

func shellExitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// waitForChild waits until the command has started a child process.
func waitForChild(t *testing.T, cmd *exec.Cmd) {
	pid := strconv.Itoa(cmd.Process.Pid)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if out, _ := exec.Command("pgrep", "-P", pid).Output(); len(out) > 0 {
			return
		}
	}
	t.Fatal("no child process started")
}

// ctxsplitInterrupted: ctxsplit reads a pipe that stays open; once its
// temporary shards exist, SIGINT; nothing may be left behind.
func ctxsplitInterrupted(dir string) func(t *testing.T) int {
	return func(t *testing.T) int {
		out := filepath.Join(dir, "int")
		os.Mkdir(out, 0o755)
		cmd := exec.Command(testenv.Binary(t, "ctxsplit"), "-n", "2", "-o", filepath.Join(out, "s"))
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		defer stdin.Close()
		stdin.Write([]byte("contextid,name\n1,a\n2,b\n"))
		code := signalStatus(func(*testing.T) *exec.Cmd { return cmd }, func(t *testing.T, _ *exec.Cmd) {
			for deadline := time.Now().Add(10 * time.Second); len(listDir(t, out)) == 0; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("ctxsplit created no temporary shard")
				}
			}
		})(t)
		if left := listDir(t, out); len(left) > 0 {
			t.Errorf("left behind: %v", left)
		}
		return code
	}
}

// sxwarmInterrupted: SIGINT once the first user's result is out.
func sxwarmInterrupted(t *testing.T) int {
	srv, want := startSim(t, 10)
	cmd := exec.Command(testenv.Binary(t, "sxwarm"), "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "--rate", "5")
	cmd.Stdin = strings.NewReader(userNames(want))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	code := signalStatus(func(*testing.T) *exec.Cmd { return cmd }, func(t *testing.T, _ *exec.Cmd) {
		if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
			t.Fatalf("no result before the interrupt: %v", err)
		}
	})(t)
	if !strings.Contains(stderr.String(), " ok (") { // the summary line
		t.Errorf("no summary after SIGINT: %s", stderr.String())
	}
	return code
}

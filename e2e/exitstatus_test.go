//go:build unix

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"provpipe/internal/testserver/mailsim"
	"provpipe/internal/testserver/oxsoapsim"
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
	// create runs ctxcreate against a stand-in of its own, the faults
	// injected first.
	create := func(password, extra string, faults map[int]oxsoapsim.FaultKind) func(t *testing.T) int {
		return func(t *testing.T) int {
			soap, url := startSOAP(t)
			for n, kind := range faults {
				soap.Inject(n, kind)
			}
			return shell(t, dir, "CTXCREATE_PASSWORD="+password+" ctxcreate -q --url "+url+" "+extra+" "+in+" >/dev/null").code
		}
	}
	cases := map[int][]exitCase{
		0: {
			{"ctxrows", "rows written", shellStatus(dir, "ctxrows -p x -e 10 >/dev/null")},
			{"ctxsplit", "shards written", shellStatus(dir, "ctxsplit -q -n 3 -o ok- "+in)},
			{"sxusers", "names from a file", shellStatus(dir, "printf 'User0 Test0\\n' | sxusers -f - >/dev/null")},
			{"sxwarm", "every user warmed", sxwarmStatus(nil)},
			{"ctxcreate", "every context created or existing", create("master-pw", "", nil)},
		},
		1: {
			{"sxusers", "a broken listing line", func(t *testing.T) int { return withOmsearch(t, "root").code }},
			{"sxwarm", "a refused login", sxwarmStatus(func(srv *mailsim.Server) {
				srv.SetFault("User1 Test1", mailsim.Fault{Kind: mailsim.RefuseLogin})
			})},
			{"ctxcreate", "a deadlock fault, no retries", create("master-pw", "--retries 0", map[int]oxsoapsim.FaultKind{3: oxsoapsim.Deadlock})},
		},
		2: {
			{"ctxrows", "an unknown placeholder", shellStatus(dir, "ctxrows -p x -e 10 --surname '{id2}'")},
			{"ctxrows", "a full disk", shellStatus(dir, "ctxrows -p x -e 10 >/dev/full")},
			{"ctxsplit", "an unwritable prefix", shellStatus(dir, "ctxsplit -n 2 -o /nonexistent/dir/s "+in)},
			{"ctxsplit", "a bad -n", shellStatus(dir, "ctxsplit -n 0 "+in)},
			{"sxusers", "a missing file", shellStatus(dir, "sxusers -f no-such-file")},
			{"sxwarm", "an unreachable server", shellStatus(dir, "sxwarm --host 127.0.0.1:1 -u a -w b -U x")},
			{"ctxcreate", "refused credentials", create("wrong", "", nil)},
		},
		130: {
			{"ctxrows", "SIGINT", byInterrupt(interruptCtxrows, syscall.SIGINT)},
			{"ctxsplit", "SIGINT while reading a pipe", byInterrupt(interruptCtxsplit, syscall.SIGINT)},
			{"sxusers", "SIGINT while omsearch runs", func(t *testing.T) int { return interruptOmsearch(t).code }},
			{"sxwarm", "SIGINT mid-run", byInterrupt(interruptSxwarm, syscall.SIGINT)},
		},
		141: {
			// PIPESTATUS: the shell's pipefail status is head's 0.
			{"ctxrows", "stdout's reader gone (| head)", shellStatus(dir, "ctxrows -p x -e 1000000 2>/dev/null | head -1 >/dev/null; exit ${PIPESTATUS[0]}")},
			{"sxusers", "stdout's reader gone (| head)", shellStatus(dir, "yes 'User0 Test0' | head -200000 | nl -w1 -s' ' | sxusers -q -f - | head -1 >/dev/null; exit ${PIPESTATUS[3]}")},
		},
		143: {
			{"ctxrows", "SIGTERM", byInterrupt(interruptCtxrows, syscall.SIGTERM)},
			{"ctxsplit", "SIGTERM while reading a pipe", byInterrupt(interruptCtxsplit, syscall.SIGTERM)},
			{"sxusers", "SIGTERM while reading stdin", byInterrupt(interruptSxusers, syscall.SIGTERM)},
			{"sxwarm", "SIGTERM mid-run", byInterrupt(interruptSxwarm, syscall.SIGTERM)},
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

func shellExitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// waitForChild waits until the command has started a child process.
func waitForChild(t *testing.T, cmd *exec.Cmd) {
	pid := strconv.Itoa(cmd.Process.Pid)
	waitFor(t, "a child process", func() bool {
		out, _ := exec.Command("pgrep", "-P", pid).Output()
		return len(out) > 0
	})
}

// byInterrupt is the status a tool ends with when sig stops it.
func byInterrupt(run func(*testing.T, syscall.Signal, bool) interrupted, sig syscall.Signal) func(t *testing.T) int {
	return func(t *testing.T) int { return run(t, sig, false).code }
}

//go:build unix

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"provpipe/internal/testserver/mailsim"
	"provpipe/internal/testserver/testenv"
)

// countsLine takes "N users ok (...), ... skipped" out of a summary or a report.
var countsLine = regexp.MustCompile(`\d+ users? ok \(\d+ with missing folders\), \d+ partial, \d+ failed, \d+ skipped`)

// TestReportOfFannedOutRun: the --append file of a 4-job GNU parallel run,
// read by --report, gives the same counts as one sxwarm run over the same
// users, and the users that failed as a list.
func TestReportOfFannedOutRun(t *testing.T) {
	testenv.RequireProgram(t, "parallel", "parallel")
	srv, want := startSim(t, 120) // User1 has no Calendar
	// Failures that do not stop a job at its first user: a mid-FETCH drop
	// on every attempt, for users never first in a chunk of 30.
	for _, u := range []string{"User17 Test17", "User45 Test45"} {
		srv.SetFault(u, mailsim.Fault{Kind: mailsim.DropMidFetch})
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "users"), []byte(userNames(want)), 0o644)
	os.WriteFile(filepath.Join(dir, "pw"), []byte("adminpw\n"), 0o600)
	warm := fmt.Sprintf("sxwarm --host %s -u admin --password-file pw --retries 0", srv.Addr())
	fan := shell(t, dir, "parallel --pipe -N 30 -j 4 "+warm+" -q --append fan.tsv < users")
	if fan.code != 2 { // GNU parallel exits with the number of failed jobs
		t.Fatalf("fan-out: exit %d (want 2: two jobs with a failed user): %s", fan.code, fan.stderr)
	}
	single := shell(t, dir, warm+" --append single.tsv < users")
	rep := shell(t, dir, "sxwarm --report fan.tsv")
	if rep.code != 0 {
		t.Fatalf("--report: exit %d: %s", rep.code, rep.stderr)
	}
	runCounts, repCounts := countsLine.FindString(single.stderr), countsLine.FindString(rep.stdout)
	if runCounts == "" || runCounts != repCounts {
		t.Errorf("single run says %q, the report of the fan-out %q", runCounts, repCounts)
	}
	if want := "118 users ok (1 with missing folders), 0 partial, 2 failed, 0 skipped"; repCounts != want {
		t.Errorf("report counts %q, want %q", repCounts, want)
	}
	singleRep := shell(t, dir, "sxwarm --report single.tsv")
	msgs := regexp.MustCompile(`# \d+ messages`)
	if a, b := msgs.FindString(rep.stdout), msgs.FindString(singleRep.stdout); a == "" || a != b {
		t.Errorf("messages: fan-out %q, single %q", a, b)
	}
	var failed []string
	for _, l := range lines(rep.stdout) {
		if !strings.HasPrefix(l, "#") {
			failed = append(failed, l)
		}
	}
	sort.Strings(failed) // in the order the jobs appended them
	if strings.Join(failed, ",") != "User17 Test17,User45 Test45" {
		t.Errorf("failed users listed: %q\n%s", failed, rep.stdout)
	}
	// The report is a user list: the re-run warms exactly those users.
	before := srv.Logins()
	srv.SetFault("User17 Test17", mailsim.Fault{})
	srv.SetFault("User45 Test45", mailsim.Fault{})
	rerun := shell(t, dir, "sxwarm --report fan.tsv > retry.list && "+warm+" -q --append fan.tsv retry.list")
	if rerun.code != 0 {
		t.Fatalf("re-run: exit %d: %s", rerun.code, rerun.stderr)
	}
	after := srv.Logins()
	for name := range want {
		more := after[name] - before[name]
		if wantMore := map[bool]int{true: 1}[name == "User17 Test17" || name == "User45 Test45"]; more != wantMore {
			t.Errorf("re-run logged %s in %d times, want %d", name, more, wantMore)
		}
	}
	if final := countsLine.FindString(shell(t, dir, "sxwarm --report fan.tsv").stdout); final != "120 users ok (1 with missing folders), 0 partial, 0 failed, 0 skipped" {
		t.Errorf("after the re-run the report says %q", final)
	}
}

// TestProgressEveryInALog: with stderr a pipe, --progress-every prints whole
// progress lines (no carriage return); without it, none.
func TestProgressEveryInALog(t *testing.T) {
	srv, want := startSim(t, 20)
	r := run(t, userNames(want), "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "--rate", "40", "--progress-every", "100ms")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	progress := regexp.MustCompile(`(?m)^sxwarm: \d+ of 20 users, 0 failed, [\d.]+ users/s, ETA \S+$`)
	if n := len(progress.FindAllString(r.stderr, -1)); n < 2 {
		t.Errorf("%d progress lines in half a second of --progress-every 100ms:\n%s", n, r.stderr)
	}
	if strings.Contains(r.stderr, "\r") {
		t.Errorf("carriage return in a log: %q", r.stderr)
	}
}

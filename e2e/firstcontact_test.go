//go:build unix

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"provpipe/internal/testserver/dovecotlab"
	"provpipe/internal/testserver/mailsim"
	"provpipe/internal/testserver/testenv"
)

// TestWrongAuthFoundAtOnce: against the real Dovecot, the Scalix login form
// (the default --auth) is refused; sxwarm tries the first user only and
// stops with exit 2, naming the form it sent, whatever the number of users.
func TestWrongAuthFoundAtOnce(t *testing.T) {
	users := map[string]map[string]int{}
	var names []string
	for i := 0; i < 40; i++ {
		name := fmt.Sprintf("user%d", i)
		users[name] = map[string]int{"INBOX": 3}
		names = append(names, name)
	}
	d := startDovecot(t, users)
	r := run(t, strings.Join(names, "\n")+"\n", "sxwarm", "--host", d.Addr, "-u", dovecotlab.MasterUser,
		"--password-file", writeSecret(t, dovecotlab.MasterPassword))
	if r.code != 2 {
		t.Fatalf("exit %d, want 2: %s", r.code, r.stderr)
	}
	for _, want := range []string{`login check: user "user0": login refused`, `sent: LOGIN "mboxadmin:warmadmin:user0" (--auth mboxadmin)`, "master: Dovecot master user"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r.stdout != "" {
		t.Errorf("results written for a run that did not start: %q", r.stdout)
	}
	// Dovecot's log process writes the line on its own time, after the
	// client had its answer. A refused login of a user sent after the run
	// marks the end of it: once the marker is logged, any refusal of the
	// run is logged too.
	marker := run(t, "sentinel\n", "sxwarm", "--host", d.Addr, "-u", dovecotlab.MasterUser,
		"--password-file", writeSecret(t, dovecotlab.MasterPassword))
	if marker.code != 2 {
		t.Fatalf("the marker login: exit %d: %s", marker.code, marker.stderr)
	}
	waitFor(t, "the marker's refusal in Dovecot's log", func() bool { return strings.Contains(d.Log(), "sentinel") })
	failed := 0
	for _, line := range strings.Split(d.Log(), "\n") {
		if strings.Contains(line, "auth failed") && !strings.Contains(line, "sentinel") {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("Dovecot logged %d failed logins of the run, want 1 (the check):\n%s", failed, d.Log())
	}
}

// TestRefusedFirstLoginNothingElseTried: on the embedded server, a refused
// first user stops the run before any other login, with exit 2.
func TestRefusedFirstLoginNothingElseTried(t *testing.T) {
	srv, want := startSim(t, 20)
	srv.SetFault("User0 Test0", mailsim.Fault{Kind: mailsim.RefuseLogin})
	r := run(t, userNames(want), "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "--auth", "master")
	if r.code != 2 || !strings.Contains(r.stderr, `sent: LOGIN "User0 Test0*admin" (--auth master)`) {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if n := len(srv.Logins()); n != 0 {
		t.Errorf("%d users logged in after the first was refused", n)
	}
}

// TestMaxFailuresStopsEarly: with every login but the first refused,
// --max-failures 3 stops starting users after the third failure; only the
// users in flight then are reported besides.
func TestMaxFailuresStopsEarly(t *testing.T) {
	srv, want := startSim(t, 100)
	for name := range want {
		if name != "User0 Test0" {
			srv.SetFault(name, mailsim.Fault{Kind: mailsim.RefuseLogin})
		}
	}
	r := run(t, userNames(want), "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "-j", "2", "--max-failures", "3")
	if r.code != 1 || !strings.Contains(r.stderr, "stopped (--max-failures): 3 users failed with a refused login") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	failed := strings.Count(r.stdout, "\terror\t")
	if failed < 3 || failed > 3+1 { // -j 2: the third failure, and the one other session in flight
		t.Errorf("%d failed users reported, want 3 and at most the 1 other in flight:\n%s", failed, r.stdout)
	}
}

// terminalView is what a terminal shows of output: each line as it ends up
// after carriage returns and erase-line sequences.
func terminalView(out string) []string {
	var shown []string
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSuffix(line, "\r")
		var cur []rune
		for _, seg := range strings.Split(line, "\r") {
			if rest, ok := strings.CutPrefix(seg, "\x1b[K"); ok {
				cur = cur[:0]
				seg = rest
			}
			// without an erase, the segment overwrites from the line start
			for i, r := range []rune(seg) {
				if i < len(cur) {
					cur[i] = r
				} else {
					cur = append(cur, r)
				}
			}
		}
		shown = append(shown, string(cur))
	}
	return shown
}

// TestTerminalNeverGarbled: text results on stdout and the progress line
// on stderr share one terminal (under script(1)); no result line may show
// progress text. For sxwarm itself, for sxwarm piped into tee or cat (whose
// writes sxwarm cannot clear a line for), and for make demo.
func TestTerminalNeverGarbled(t *testing.T) {
	script := testenv.RequireProgram(t, "script", "bsdutils")
	srv, want := startSim(t, 30)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "users"), []byte("sxqueryadmin\n"+userNames(want)), 0o644)
	bin := filepath.Dir(testenv.Binary(t, "sxwarm"))
	cases := map[string]string{
		"sxwarm": fmt.Sprintf("%s/sxwarm --host %s -u admin -w adminpw --rate 200 users", bin, srv.Addr()),
		// stdout down a pipe whose reader writes to the same terminal:
		// progress comes as whole lines, never redrawn under tee's.
		"sxwarm | tee": fmt.Sprintf("%s/sxwarm --host %s -u admin -w adminpw --rate 200 --format text --progress-every 20ms users | tee res.txt", bin, srv.Addr()),
		"sxwarm | cat": fmt.Sprintf("%s/sxwarm --host %s -u admin -w adminpw --rate 200 --format text users | cat", bin, srv.Addr()),
		"demo":         fmt.Sprintf("TMPDIR=%s PROVPIPE_BIN=%s bash %s", dir, bin, filepath.Join(testenv.RepoRoot(), "demo", "run.sh")),
	}
	result := regexp.MustCompile(`^(Skipping: |[^:]+ \(\d+ of \d+\)\.\.\. )`)
	for name, line := range cases {
		t.Run(name, func(t *testing.T) {
			r := runIn(t, dir, "", script, "-qec", line, "/dev/null")
			if r.code != 0 {
				t.Fatalf("exit %d: %s%s", r.code, r.stdout, r.stderr)
			}
			results := 0
			for _, shown := range terminalView(r.stdout) {
				if strings.Contains(shown, "Total: ") || strings.Contains(shown, "Skipping: ") {
					results++
					if !result.MatchString(shown) {
						t.Errorf("garbled result line on the terminal: %q", shown)
					}
				}
			}
			if results < 25 {
				t.Errorf("%d result lines on the terminal, want every user's:\n%q", results, r.stdout)
			}
		})
	}
}

// TestRunsThatDoNothingSaySo: no users on input is exit 2; a folder missing
// for every user is a warning naming it and exit 1 (the rest was warmed); a passwd file is not a user list;
// an account --exclude names is not reported again by each --done rerun.
func TestRunsThatDoNothingSaySo(t *testing.T) {
	srv, want := startSim(t, 3)
	base := []string{"--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "-q"}
	r := run(t, "", "sxwarm", base...)
	if r.code != 2 || !strings.Contains(r.stderr, "no users on input (stdin is empty)") {
		t.Errorf("empty input: exit %d: %s", r.code, r.stderr)
	}
	r = run(t, "# sxwarm report: nobody failed\n", "sxwarm", base...)
	if r.code != 0 || !strings.Contains(r.stderr, "no users in stdin (only comments or blank lines)") {
		t.Errorf("a list empty on purpose: exit %d: %s", r.code, r.stderr)
	}
	pipe := shell(t, "", "set -o pipefail; sxusers -f /nonexistent | sxwarm "+strings.Join(base, " "))
	if pipe.code != 2 {
		t.Errorf("failed sxusers | sxwarm: exit %d, want 2: %s", pipe.code, pipe.stderr)
	}
	r = run(t, userNames(want), "sxwarm", append(base, "-F", "INBOX,Calender")...)
	if r.code != 1 || !strings.Contains(r.stderr, `folder "Calender" is missing for every user (3 users)`) ||
		!strings.Contains(r.stderr, `sxwarm: -F "Calender": missing for every user, warmed for nobody`) ||
		!strings.Contains(r.stderr, "User0 Test0 has: ") || !strings.Contains(r.stderr, "Sent Items") {
		t.Errorf("misspelt folder: exit %d: %s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, `folder "INBOX"`) {
		t.Errorf("INBOX exists for every user, yet warned about: %s", r.stderr)
	}
	r = run(t, "", "sxusers", "-f", "/etc/passwd")
	if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "/etc/passwd:1: ':' in a user name") || strings.Contains(r.stderr, "root:") {
		t.Errorf("passwd file: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	dir := t.TempDir()
	results := filepath.Join(dir, "done.tsv")
	input := "sxqueryadmin\n" + userNames(want)
	for round := 0; round < 3; round++ {
		r = run(t, input, "sxwarm", append(base, "--done", results, "--append", results)...)
		if r.code != 0 {
			t.Fatalf("round %d: exit %d: %s", round, r.code, r.stderr)
		}
	}
	if n := strings.Count(readFile(t, results), "sxqueryadmin\t-\tskipped"); n != 1 {
		t.Errorf("sxqueryadmin reported skipped %d times over three runs, want once", n)
	}
	if !strings.Contains(r.stderr, "--done: 4 users already warmed or skipped, 0 to go") {
		t.Errorf("rerun summary: %s", r.stderr)
	}
}

// TestDryRunTouchesNoServer: --dry-run lists each user with the login form
// that would be sent, honours --done and --exclude, and needs no server.
func TestDryRunTouchesNoServer(t *testing.T) {
	dir := t.TempDir()
	done := filepath.Join(dir, "done.tsv")
	os.WriteFile(done, []byte("User0 Test0\tINBOX\tok\t1\t1\t0.1\n"), 0o644)
	r := run(t, "sxqueryadmin\nUser0 Test0\nUser1 Test1\n", "sxwarm", "--host", "127.0.0.1:1", "-u", "warmadmin",
		"--auth", "master", "-F", "INBOX", "--done", done, "--dry-run")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := "sxqueryadmin\tskipped (--exclude)\nUser1 Test1\tLOGIN \"User1 Test1*warmadmin\" (--auth master)\n"
	if r.stdout != want {
		t.Errorf("dry run listed\n%q\nwant\n%q", r.stdout, want)
	}
	if !strings.Contains(r.stderr, "1 user of 3 would be warmed; nothing was contacted") {
		t.Errorf("stderr: %s", r.stderr)
	}
	r = run(t, "User1 Test1\nUser12 Test12\nUser2 Test2\n", "sxwarm", "-u", "warmadmin", "--dry-run", "--match", "^User1")
	if got := strings.Count(r.stdout, "\n"); r.code != 0 || got != 2 || strings.Contains(r.stdout, "User2") {
		t.Errorf("--match ^User1: exit %d, %q", r.code, r.stdout)
	}
}

// TestSandbox: make sandbox's script leaves a server running with the
// README's files and variables; a README example runs in it as pasted, and
// the pid file stops it.
func TestSandbox(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Dir(testenv.Binary(t, "sxwarm"))
	testenv.StandIns(t)
	r := shell(t, "", fmt.Sprintf("SANDBOX=%s PROVPIPE_BIN=%s bash %s", dir, bin, filepath.Join(testenv.RepoRoot(), "demo", "sandbox.sh")))
	if r.code != 0 {
		t.Fatalf("sandbox: exit %d: %s", r.code, r.stderr)
	}
	pid := strings.TrimSpace(readFile(t, filepath.Join(dir, "imapdemo.pid")))
	ox := strings.TrimSpace(readFile(t, filepath.Join(dir, "oxsoapdemo.pid")))
	t.Cleanup(func() { shell(t, "", "kill "+pid+" "+ox+" 2>/dev/null || true") })
	example := shell(t, dir, `. ./env.sh && sxusers -f users.list | sxwarm --host "$IMAP_HOST" -u sxadmin --password-file sxadmin.pw -q | cut -f1 | sort -u | wc -l`)
	if example.code != 0 || strings.TrimSpace(example.stdout) != "32" {
		t.Errorf("README example in the sandbox: exit %d, %q users: %s", example.code, example.stdout, example.stderr)
	}
	testenv.RequireProgram(t, "slapd", "slapd")
	ldap := shell(t, dir, `. ./env.sh && sxusers --ldap "$LDAP_URL" --bind-dn cn=sxqueryadmin,o=Scalix --bind-password-file query.pw -q | wc -l`)
	if ldap.code != 0 || strings.TrimSpace(ldap.stdout) != "31" { // sxadmin and the 30 users
		t.Errorf("README's LDAP example in the sandbox: exit %d, %q: %s", ldap.code, ldap.stdout, ldap.stderr)
	}
	if stop := shell(t, "", "kill "+pid+" && while kill -0 "+pid+" 2>/dev/null; do sleep 0.05; done"); stop.code != 0 {
		t.Errorf("stopping the sandbox server: %s", stop.stderr)
	}
	if ps, _ := exec.Command("pgrep", "-f", filepath.Join(dir, "slapd.conf")).Output(); len(ps) > 0 {
		t.Errorf("slapd left running after the sandbox stopped: %s", ps)
	}
}

// TestCheckOnlyLogsIn: --check logs in and out as every user and warms
// nothing: no FETCH, no EXAMINE; a refused user is a failure (exit 1), and
// a checked user is not "done" for a later --done run.
func TestCheckOnlyLogsIn(t *testing.T) {
	srv, want := startSim(t, 5)
	srv.SetFault("User3 Test3", mailsim.Fault{Kind: mailsim.RefuseLogin})
	dir := t.TempDir()
	results := filepath.Join(dir, "check.tsv")
	r := run(t, userNames(want), "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "--check", "--append", results)
	if r.code != 1 || !strings.Contains(r.stderr, `user "User3 Test3": login refused`) {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rows := parseTSV(t, readFile(t, results))
	if len(rows) != 5 {
		t.Fatalf("%d rows, want one per user: %+v", len(rows), rows)
	}
	for _, row := range rows {
		wantStatus := "login-ok"
		if row.user == "User3 Test3" {
			wantStatus = "error"
		}
		if row.folder != "-" || row.status != wantStatus {
			t.Errorf("%s: %s %s, want - %s", row.user, row.folder, row.status, wantStatus)
		}
		if n := len(srv.Fetches(row.user)); n != 0 {
			t.Errorf("%s: %d FETCHes in a --check", row.user, n)
		}
	}
	srv.SetFault("User3 Test3", mailsim.Fault{})
	again := run(t, userNames(want), "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "-q", "--done", results)
	if again.code != 0 || len(parseTSV(t, again.stdout)) != 5*4 { // every user warmed: a row per folder
		t.Errorf("after --check, --done warmed: exit %d, %d rows: %s", again.code, len(parseTSV(t, again.stdout)), again.stderr)
	}
}

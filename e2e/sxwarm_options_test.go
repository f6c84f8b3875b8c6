//go:build unix

package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"provpipe/internal/testserver/mailsim"
	"provpipe/internal/testserver/testcert"
	"provpipe/internal/testserver/testenv"
)

// startTLSSim starts an embedded server speaking TLS from the first byte
// (implicit) or after STARTTLS, with a certificate from a throwaway CA.
func startTLSSim(t *testing.T, implicit bool) (*mailsim.Server, testcert.Files) {
	t.Helper()
	cert := testcert.New(t, t.TempDir())
	srv := mailsim.New(mailsim.Options{Admin: "admin", AdminPassword: "adminpw", TLS: cert.TLS, Implicit: implicit})
	if err := srv.AddUser("User0 Test0", "", map[string]int{"INBOX": 3, "Calendar": 1, "Contacts": 1, "Sent Items": 2}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, cert
}

func TestSxwarmTLS(t *testing.T) {
	for _, mode := range []string{"--ssl", "--starttls"} {
		t.Run(mode, func(t *testing.T) {
			srv, cert := startTLSSim(t, mode == "--ssl")
			// The certificate names 127.0.0.1 and localhost; connect by name.
			_, port, _ := net.SplitHostPort(srv.Addr())
			host := "localhost:" + port
			base := []string{"--host", host, "-u", "admin", "-w", "adminpw", "-F", "INBOX", mode}

			r := run(t, "User0 Test0\n", "sxwarm", append(base, "--ca", cert.CA)...)
			if r.code != 0 || !strings.HasPrefix(r.stdout, "User0 Test0\tINBOX\tok\t3\t") {
				t.Fatalf("with --ca: exit %d, %q, %s", r.code, r.stdout, r.stderr)
			}
			// Without the CA the certificate is refused once, up front: exit 2.
			r = run(t, "User0 Test0\n", "sxwarm", base...)
			if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "certificate") {
				t.Errorf("unknown CA: exit %d, %q, %s", r.code, r.stdout, r.stderr)
			}
			r = run(t, "User0 Test0\n", "sxwarm", append(base, "--insecure")...)
			if r.code != 0 || !strings.Contains(r.stdout, "\tok\t3\t") {
				t.Errorf("--insecure: exit %d, %q, %s", r.code, r.stdout, r.stderr)
			}
			if n := srv.Logins()["User0 Test0"]; n != 2 {
				t.Errorf("User0 logged in %d times, want 2 (the refused run must not log in)", n)
			}
		})
	}
	// Plain IMAP against a TLS-only port: one clear error, exit 2, fast.
	srv, _ := startTLSSim(t, true)
	r := run(t, "User0 Test0\n", "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "--connect-timeout", "1s")
	if r.code != 2 || !strings.Contains(r.stderr, "cannot reach IMAP server") {
		t.Errorf("plain against TLS: exit %d, %s", r.code, r.stderr)
	}
}

// TestSxwarmNeverGreets: a port that accepts but never speaks IMAP costs one
// --connect-timeout, not --timeout per user and attempt.
func TestSxwarmNeverGreets(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	r := run(t, "a\nb\nc\n", "sxwarm", "--host", ln.Addr().String(), "-u", "admin", "-w", "x", "--connect-timeout", "500ms", "--timeout", "1h")
	if r.code != 2 || !strings.Contains(r.stderr, "no greeting") {
		t.Errorf("exit %d, %s", r.code, r.stderr)
	}
}

func TestSxwarmAllFolders(t *testing.T) {
	srv := mailsim.New(mailsim.Options{Admin: "admin", AdminPassword: "adminpw"})
	folders := map[string]int{"INBOX": 2, "Calendar": 1, "Deleted Items": 4, "Projects": 1, "Projects/Alpha": 3, "Notes": 0}
	srv.AddUser("User0 Test0", "", folders)
	srv.AddUser("User1 Test1", "", map[string]int{"INBOX": 1})
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	r := run(t, "User0 Test0\nUser1 Test1\n", "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "--all-folders")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got := map[string]string{}
	for _, row := range parseTSV(t, r.stdout) {
		got[row.user+"|"+row.folder] = fmt.Sprintf("%s %d", row.status, row.messages)
	}
	want := map[string]string{"User1 Test1|INBOX": "ok 1"}
	for f, n := range folders {
		want["User0 Test0|"+f] = fmt.Sprintf("ok %d", n)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("warmed\n got %v\nwant %v", got, want)
	}
}

// TestSxwarmInterruptAndResume: SIGINT half-way gives exit 130 and the
// summary, every reported line whole; resuming with --done warms the rest,
// so every user logged in exactly once over both runs.
func TestSxwarmInterruptAndResume(t *testing.T) {
	srv, want := startSim(t, 12)
	dir := t.TempDir()
	input := userNames(want)
	cmd := exec.Command(testenv.Binary(t, "sxwarm"), "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "--rate", "4", "-j", "2")
	cmd.Stdin = strings.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(stdout)
	first, err := br.ReadString('\n') // one user is done: interrupt now
	if err != nil {
		t.Fatalf("no output before the interrupt: %v; %s", err, stderr.String())
	}
	cmd.Process.Signal(syscall.SIGINT)
	rest, _ := readAll(br)
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d (%v), want 130; stderr:\n%s", code, err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") || !strings.Contains(stderr.String(), " ok (") { // the summary line
		t.Errorf("no summary after the interrupt:\n%s", stderr.String())
	}
	done := filepath.Join(dir, "done.tsv")
	os.WriteFile(done, []byte(first+rest), 0o644)
	parseTSV(t, first+rest) // every line whole
	r := run(t, input, "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "--done", done)
	if r.code != 0 {
		t.Fatalf("resume: exit %d: %s", r.code, r.stderr)
	}
	var twice []string
	for name := range want {
		if n := srv.Logins()[name]; n != 1 {
			twice = append(twice, fmt.Sprintf("%s:%d", name, n))
		}
	}
	sort.Strings(twice)
	if len(twice) > 0 {
		t.Errorf("users not logged in exactly once over both runs: %v", twice)
	}
}

func readAll(br *bufio.Reader) (string, error) {
	var b strings.Builder
	_, err := br.WriteTo(&b)
	return b.String(), err
}

// TestSxwarmProgressOnTerminal runs sxwarm under script(1), so stderr is a
// terminal: the progress line appears there; with stderr a pipe it does not.
func TestSxwarmProgressOnTerminal(t *testing.T) {
	script := testenv.RequireProgram(t, "script", "bsdutils")
	srv, want := startSim(t, 3)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "users"), []byte(userNames(want)), 0o644)
	line := fmt.Sprintf("%s --host %s -u admin -w adminpw users", testenv.Binary(t, "sxwarm"), srv.Addr())
	r := runIn(t, dir, "", script, "-qec", line, "/dev/null")
	if r.code != 0 {
		t.Fatalf("exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"3 of 3 users, 0 failed", "users/s, ETA", "User2 Test2 (3 of 3)... INBOX: ", "3 users ok"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, r.stdout)
		}
	}
	r = run(t, userNames(want), "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw")
	if strings.Contains(r.stderr, "users/s") || strings.Contains(r.stderr, "\r") {
		t.Errorf("progress written to a pipe:\n%q", r.stderr)
	}
}

// TestJobsAutoFindsCapacity: against the embedded server serving at most 4
// FETCHes at once (each taking 2 ms a message), sxwarm -j auto probes
// beyond 4, finds that more sessions add no messages per second, and ends
// near 4; --debug shows its decisions.
func TestJobsAutoFindsCapacity(t *testing.T) {
	srv := mailsim.New(mailsim.Options{Admin: "admin", AdminPassword: "adminpw", Capacity: 4, PerMessage: 2 * time.Millisecond})
	var names []string
	for i := range 1200 {
		name := fmt.Sprintf("user%03d", i)
		srv.AddUser(name, "", map[string]int{"INBOX": 20})
		names = append(names, name)
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	r := run(t, strings.Join(names, "\n")+"\n", "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw",
		"-F", "INBOX", "-j", "auto", "--max-jobs", "32", "--auto-interval", "1s", "--debug")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, tail(r.stderr, 1000))
	}
	m := regexp.MustCompile(`-j auto: ended at (\d+) sessions, visited (\d+) to (\d+)`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no -j auto summary:\n%s", tail(r.stderr, 1000))
	}
	end, hi := atoiOr(m[1]), atoiOr(m[3])
	if end < 4 || end > 6 || hi < 8 {
		t.Errorf("ended at %d sessions, visited up to %d; want 4 to 6, having tried 8 or more:\n%s", end, hi, debugLines(r.stderr))
	}
	if !strings.Contains(r.stderr, "back to 4") {
		t.Errorf("no decision back to 4 in the --debug lines:\n%s", debugLines(r.stderr))
	}
}

func atoiOr(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func debugLines(stderr string) string {
	var b strings.Builder
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "-j auto") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

//go:build unix

package e2e

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"provpipe/internal/testserver/testenv"
)

// hostileServer accepts connections on 127.0.0.1 and hands each to serve,
// a server that misbehaves on purpose.
func hostileServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// runMeasured runs sxwarm and returns its result and peak memory in bytes.
func runMeasured(t *testing.T, args ...string) (result, int64) {
	t.Helper()
	cmd := exec.Command(testenv.Binary(t, "sxwarm"), args...)
	cmd.Stdin = strings.NewReader("u1\nu2\n")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Run()
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024
	return result{out.String(), errb.String(), cmd.ProcessState.ExitCode()}, rss
}

// TestHostileGreetings: a greeting that never ends, fast or trickling, is
// refused within the line limit or --connect-timeout, in bounded memory.
func TestHostileGreetings(t *testing.T) {
	flood := func(c net.Conn) {
		c.Write([]byte("* OK "))
		chunk := []byte(strings.Repeat("A", 64<<10))
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}
	trickle := func(c net.Conn) {
		c.Write([]byte("* OK "))
		for {
			if _, err := c.Write([]byte("A")); err != nil {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	cases := []struct {
		name  string
		serve func(net.Conn)
		want  string
	}{
		{"flood", flood, "server sent a response longer than 1048576 bytes"},
		{"trickle", trickle, "not connected within 500ms (--connect-timeout)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := hostileServer(t, c.serve)
			r, rss := runMeasured(t, "--host", addr, "-u", "admin", "-w", "x", "--connect-timeout", "500ms", "--timeout", "1h")
			if r.code != 2 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, c.want)
			}
			if rss > 200<<20 {
				t.Errorf("peak memory %d MB, want under 200 MB", rss>>20)
			}
		})
	}
}

// greetThen greets, answers CAPABILITY and LOGOUT, and hands every other
// command to answer (which may answer nothing at all).
func greetThen(greeting string, answer func(c net.Conn, tag, command string)) func(net.Conn) {
	return func(c net.Conn) {
		c.Write([]byte(greeting + "\r\n"))
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			tag, rest, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
			command, _, _ := strings.Cut(strings.ToUpper(rest), " ")
			switch command {
			case "CAPABILITY":
				c.Write([]byte("* CAPABILITY IMAP4rev1\r\n" + tag + " OK done\r\n"))
			case "LOGOUT":
				c.Write([]byte("* BYE bye\r\n" + tag + " OK done\r\n"))
				return
			default:
				answer(c, tag, command)
			}
		}
	}
}

// TestHangingLoginIsRetried: a LOGIN without answer fails after --timeout
// and, a timeout being transient, is tried again --retries times.
func TestHangingLoginIsRetried(t *testing.T) {
	var logins atomic.Int32
	addr := hostileServer(t, greetThen("* OK ready", func(c net.Conn, tag, command string) {
		if command == "LOGIN" {
			logins.Add(1)
		}
	}))
	r := run(t, "u1\n", "sxwarm", "--host", addr, "-u", "admin", "-w", "x", "--timeout", "300ms", "--retries", "2")
	if r.code != 1 || !strings.Contains(r.stderr, `user "u1": login: no answer for 300ms (--timeout) (after 3 attempts)`) {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if n := logins.Load(); n != 3 {
		t.Errorf("%d LOGINs, want 3 (one and two retries)", n)
	}
}

// TestServerTextIsEscaped: control characters a server sends (a terminal
// escape in the greeting, NUL and BEL in a NO) reach neither the --debug
// trace nor the error lines raw.
func TestServerTextIsEscaped(t *testing.T) {
	addr := hostileServer(t, greetThen("* OK [ALERT] \x1b[2Jcleared\x00", func(c net.Conn, tag, command string) {
		if command == "LOGIN" {
			c.Write([]byte(tag + " NO \x1b]0;owned\x07 go away\r\n"))
		}
	}))
	r := run(t, "u1\n", "sxwarm", "--host", addr, "-u", "admin", "-w", "x", "--debug")
	if r.code != 2 { // the first user's login is refused: the login check
		t.Fatalf("exit %d: %q", r.code, r.stderr)
	}
	for i, c := range []byte(r.stderr) {
		if c < 0x20 && c != '\n' || c == 0x7f {
			t.Fatalf("raw control byte %#x at %d in stderr: %q", c, i, r.stderr)
		}
	}
	for _, want := range []string{`S: * OK [ALERT] \x1b[2Jcleared\x00`, `login refused: \x1b]0;owned\x07 go away`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// TestAppendOnFullDisk: a file size limit (the test's stand-in for a full
// disk) stops sxwarm at the first failed write with exit 2, naming the
// file; the file holds whole records only, and the documented resume warms
// exactly the users whose results were lost.
func TestAppendOnFullDisk(t *testing.T) {
	srv, want := startSim(t, 300)
	dir := t.TempDir()
	results := filepath.Join(dir, "done.tsv")
	warm := "sxwarm --host " + srv.Addr() + " -u admin -w adminpw -F INBOX -j 8 -q --done done.tsv --append done.tsv"
	// ulimit -f counts 512-byte blocks: 8 is 4 KiB, room for about 100 users.
	if err := os.WriteFile(filepath.Join(dir, "users"), []byte(userNames(want)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := shell(t, dir, "ulimit -f 8; "+warm+" <users")
	if r.code != 2 || !strings.Contains(r.stderr, "write results: done.tsv: file too large") || !strings.Contains(r.stderr, "not recorded") {
		t.Fatalf("exit %d, stderr %q; want 2 naming done.tsv", r.code, r.stderr)
	}
	text := readFile(t, results)
	if !strings.HasSuffix(text, "\n") {
		t.Fatalf("results end in a torn record: %q", text[max(0, len(text)-40):])
	}
	first := parseTSV(t, text)
	if len(first) == 0 || len(first) >= len(want) {
		t.Fatalf("%d users recorded before the disk filled, want some but not all %d", len(first), len(want))
	}
	before := srv.Logins()
	r = shell(t, dir, warm+" <users")
	if r.code != 0 {
		t.Fatalf("resume: exit %d: %s", r.code, r.stderr)
	}
	seen := map[string]int{}
	for _, row := range parseTSV(t, readFile(t, results)) {
		seen[row.user]++
	}
	after := srv.Logins()
	for name := range want {
		if seen[name] != 1 {
			t.Errorf("%s recorded %d times", name, seen[name])
		}
		if recorded := containsUser(first, name); recorded && after[name] != before[name] {
			t.Errorf("%s was recorded, yet logged in again on resume", name)
		}
	}
}

func containsUser(rows []tsvRow, user string) bool {
	for _, r := range rows {
		if r.user == user {
			return true
		}
	}
	return false
}

// TestTornLastLineIsCutOff: a results file that ends in a torn record (a
// process killed mid-write, a disk that filled before this version) is read
// by --done with a warning and repaired by --append, not refused.
func TestTornLastLineIsCutOff(t *testing.T) {
	srv, _ := startSim(t, 3)
	dir := t.TempDir()
	results := filepath.Join(dir, "done.tsv")
	os.WriteFile(results, []byte("User0 Test0\tINBOX\tok\t1\t100\t0.010\nUser1 Test1\tINB"), 0o644)
	r := run(t, "User0 Test0\nUser1 Test1\nUser2 Test2\n", "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw",
		"-F", "INBOX", "-q", "--done", results, "--append", results)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{results + ":2: last line is cut short", "cut off a torn last line (15 bytes)"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q: %s", want, r.stderr)
		}
	}
	rows := parseTSV(t, readFile(t, results))
	if len(rows) != 3 || rows[1].user != "User1 Test1" || rows[2].user != "User2 Test2" {
		t.Errorf("results %+v", rows)
	}
	if n := srv.Logins()["User0 Test0"]; n != 0 {
		t.Errorf("User0 Test0, done before, logged in %d times", n)
	}
}

// TestDoneHonoursFoldersAndStrict: a user warmed for INBOX only is not done
// for INBOX,Calendar; one with a missing folder is not done under --strict.
func TestDoneHonoursFoldersAndStrict(t *testing.T) {
	srv, want := startSim(t, 3) // User1 has no Calendar
	dir := t.TempDir()
	results := filepath.Join(dir, "done.tsv")
	base := []string{"--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "-q", "--done", results, "--append", results}
	cases := []struct {
		name  string
		args  []string
		code  int
		again []string // users logged in by this run
	}{
		{"INBOX", []string{"-F", "INBOX"}, 0, []string{"User0 Test0", "User1 Test1", "User2 Test2"}},
		{"INBOX again", []string{"-F", "INBOX"}, 0, nil},
		{"INBOX and Calendar", []string{"-F", "INBOX,Calendar"}, 0, []string{"User0 Test0", "User1 Test1", "User2 Test2"}},
		{"strict", []string{"-F", "INBOX,Calendar", "--strict"}, 1, []string{"User1 Test1"}},
	}
	for _, c := range cases {
		before := srv.Logins()
		r := run(t, userNames(want), "sxwarm", append(base, c.args...)...)
		if r.code != c.code {
			t.Fatalf("%s: exit %d, want %d: %s", c.name, r.code, c.code, r.stderr)
		}
		after := srv.Logins()
		for name := range want {
			wantMore := 0
			if contains(c.again, name) {
				wantMore = 1
			}
			if got := after[name] - before[name]; got != wantMore {
				t.Errorf("%s: %s logged in %d times, want %d", c.name, name, got, wantMore)
			}
		}
	}
}

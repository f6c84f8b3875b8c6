//go:build unix

package e2e

import (
	"bufio"
	"bytes"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"provpipe/internal/testserver/mailsim"
	"provpipe/internal/testserver/testenv"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// teeConn keeps a copy of what a client writes.
type teeConn struct {
	net.Conn
	mu   sync.Mutex
	sent bytes.Buffer
}

func (c *teeConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.sent.Write(p)
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *teeConn) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent.String()
}

// TestCaptureLearnsWhatAClientSent runs sxwarm --capture as an operator
// does, points a real IMAP client library at it, and checks that the list
// printed is the one the client sent (as the test's own copy of the
// client's bytes shows), ready as a --fetch argument that sxwarm takes, and
// that the client's password is nowhere in sxwarm's output.
func TestCaptureLearnsWhatAClientSent(t *testing.T) {
	const password = "Xy7-capture-secret-Q"
	srv := mailsim.New(mailsim.Options{Admin: "admin", AdminPassword: "adminpw"})
	if err := srv.AddUser("carol", password, map[string]int{"INBOX": 4, "Archive 2024": 2}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	cmd := exec.Command(testenv.Binary(t, "sxwarm"), "--capture", "127.0.0.1:0", "--sessions", "1", "--host", srv.Addr())
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	stderr := bufio.NewReader(errPipe)
	first, err := stderr.ReadString('\n')
	if err != nil {
		t.Fatalf("no first line on stderr: %v", err)
	}
	addr := regexp.MustCompile(`capturing on (127\.0\.0\.1:\d+)`).FindStringSubmatch(first)
	if addr == nil {
		t.Fatalf("first stderr line names no address: %q", first)
	}
	for _, promise := range []string{"never the login, password", "plain IMAP without TLS"} {
		if !strings.Contains(first, promise) {
			t.Errorf("the opening note does not say %q: %q", promise, first)
		}
	}

	nc, err := net.DialTimeout("tcp", addr[1], 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tee := &teeConn{Conn: nc}
	client := imapclient.New(tee, nil)
	if err := client.Login("carol", password).Wait(); err != nil {
		t.Fatalf("login through the relay: %v", err)
	}
	if _, err := client.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := client.Fetch(imap.SeqSetNum(1, 2, 3, 4), &imap.FetchOptions{
		UID: true, Flags: true, Envelope: true, RFC822Size: true,
		BodySection: []*imap.FetchItemBodySection{{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"List-Id", "X-Mailer"}, Peek: true}},
	}).Collect()
	if err != nil || len(msgs) != 4 {
		t.Fatalf("FETCH through the relay: %d messages, %v", len(msgs), err)
	}
	client.Logout().Wait()
	client.Close()
	rest := new(bytes.Buffer)
	rest.ReadFrom(stderr)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sxwarm --capture --sessions 1 ended with %v\n%s%s", err, first, rest)
	}

	sentFetch := regexp.MustCompile(`(?m)^\S+ FETCH \S+ \((.*)\)\r$`).FindStringSubmatch(tee.text())
	if sentFetch == nil {
		t.Fatalf("the client's FETCH is not in its own bytes:\n%s", tee.text())
	}
	out := stdout.String()
	if !strings.Contains(out, "#   1  "+sentFetch[1]+"\n") {
		t.Errorf("the printed record lacks the list the client sent, %q:\n%s", sentFetch[1], out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "--fetch '") {
		t.Fatalf("the last line is no --fetch argument: %q", last)
	}
	for _, item := range []string{"UID", "FLAGS", "ENVELOPE", "RFC822.SIZE", "BODY.PEEK[HEADER.FIELDS (List-Id X-Mailer)]"} {
		if !strings.Contains(last, item) {
			t.Errorf("--fetch line lacks %s: %q", item, last)
		}
	}
	// The printed argument is one sxwarm takes as it stands.
	items := strings.TrimSuffix(strings.TrimPrefix(last, "--fetch '"), "'")
	if r := run(t, "carol\n", "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "-q", "--auth", "master", "-F", "INBOX", "--fetch", items); r.code != 0 {
		t.Errorf("sxwarm --fetch with the captured list: exit %d: %s", r.code, r.stderr)
	}
	all := out + first + rest.String()
	for _, secret := range []string{password, "carol", "Archive"} {
		if strings.Contains(all, secret) {
			t.Errorf("%q appears in sxwarm --capture's output:\n%s", secret, all)
		}
	}
}

// TestCaptureRefuses: a relay the client's password would reach in clear
// across the network, or --capture mixed with a warming run's flags, stop
// at once with exit 2.
func TestCaptureRefuses(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--capture", "0.0.0.0:0", "--host", "127.0.0.1:1"}, "password in clear across the network"},
		{[]string{"--capture", "127.0.0.1:0", "--profile", "mutt"}, "--capture learns a --fetch list"},
		{[]string{"--capture", "nowhere", "--host", "127.0.0.1:1"}, "give HOST:PORT"},
		{[]string{"--sessions", "2", "-u", "admin"}, "--sessions is for --capture"},
	}
	for _, c := range cases {
		r := run(t, "", "sxwarm", c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("sxwarm %q: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

package imapcapture

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"provpipe/internal/testserver/mailsim"
	"provpipe/internal/testserver/testcert"
	"provpipe/pkg/scalix/imapwarm"
)

// client is a mail client the test drives by hand, so that the bytes it
// sends are known exactly.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
	sent []string // every FETCH item list sent, as sent
}

func dialClient(t *testing.T, addr string) *client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	c := &client{t: t, conn: conn, r: bufio.NewReader(conn)}
	if g := c.line(); !strings.HasPrefix(g, "* OK") {
		t.Fatalf("greeting %q", g)
	}
	return c
}

// line reads one response line, the data of any literal it ends with
// appended.
func (c *client) line() string {
	c.t.Helper()
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reading from the relay: %v", err)
	}
	if n, ok := literalSize([]byte(l)); ok {
		data := make([]byte, n)
		if _, err := io.ReadFull(c.r, data); err != nil {
			c.t.Fatal(err)
		}
		return l + string(data) + c.line()
	}
	return l
}

// do sends a command line and returns the responses up to its tagged one.
func (c *client) do(tag, command string) []string {
	c.t.Helper()
	fmt.Fprintf(c.conn, "%s %s\r\n", tag, command)
	return c.until(tag)
}

func (c *client) until(tag string) []string {
	c.t.Helper()
	var lines []string
	for {
		l := c.line()
		lines = append(lines, l)
		if strings.HasPrefix(l, tag+" ") {
			if !strings.HasPrefix(l, tag+" OK") {
				c.t.Logf("%s answered %q", tag, l)
			}
			return lines
		}
	}
}

func (c *client) fetch(tag, set, items string) []string {
	c.sent = append(c.sent, items)
	return c.do(tag, "UID FETCH "+set+" ("+items+")")
}

// loginLiteral logs in with the password as a synchronizing literal.
func (c *client) loginLiteral(user, password string) {
	c.t.Helper()
	fmt.Fprintf(c.conn, "a1 LOGIN %s {%d}\r\n", user, len(password))
	if l := c.line(); !strings.HasPrefix(l, "+") {
		c.t.Fatalf("no continuation for the literal: %q", l)
	}
	fmt.Fprintf(c.conn, "%s\r\n", password)
	if l := c.until("a1"); !strings.HasPrefix(l[len(l)-1], "a1 OK") {
		c.t.Fatalf("login: %q", l)
	}
}

// authenticatePlain logs in with AUTHENTICATE PLAIN, its response a line
// of its own after the server's continuation.
func (c *client) authenticatePlain(user, password string) {
	c.t.Helper()
	fmt.Fprintf(c.conn, "b1 AUTHENTICATE PLAIN\r\n")
	if l := c.line(); !strings.HasPrefix(l, "+") {
		c.t.Fatalf("no continuation for AUTHENTICATE: %q", l)
	}
	fmt.Fprintf(c.conn, "%s\r\n", base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+password)))
	if l := c.until("b1"); !strings.HasPrefix(l[len(l)-1], "b1 OK") {
		c.t.Fatalf("authenticate: %q", l)
	}
}

const (
	secretPassword = `s3cr"et pw`
	neomuttItems   = "UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE FROM SENDER SUBJECT TO CC MESSAGE-ID REFERENCES CONTENT-TYPE CONTENT-DESCRIPTION IN-REPLY-TO REPLY-TO LINES LIST-POST LIST-SUBSCRIBE LIST-UNSUBSCRIBE X-LABEL X-ORIGINAL-TO)]"
)

// TestCaptureRecordsWhatTheClientSent drives a client through the relay to
// an IMAP server, over plain and over STARTTLS, and checks that the record
// holds the FETCH lists exactly as the client sent them, that the client
// got its answers, and that no password, folder name or message reached
// the record or the notes.
func TestCaptureRecordsWhatTheClientSent(t *testing.T) {
	cert := testcert.New(t, t.TempDir())
	srv := mailsim.New(mailsim.Options{Admin: "admin", AdminPassword: "adminpw", TLS: cert.TLS})
	if err := srv.AddUser("alice", secretPassword, map[string]int{"INBOX": 5, "Private Matters": 3}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	pool := x509.NewCertPool()
	pem, err := os.ReadFile(cert.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool.AppendCertsFromPEM(pem)

	for _, mode := range []imapwarm.TLSMode{imapwarm.Plain, imapwarm.StartTLS} {
		t.Run(map[imapwarm.TLSMode]string{imapwarm.Plain: "plain", imapwarm.StartTLS: "starttls"}[mode], func(t *testing.T) {
			cfg := &imapwarm.Config{Addr: srv.Addr(), TLS: mode, ConnectTimeout: 5 * time.Second,
				TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			var notes bytes.Buffer
			var notesMu sync.Mutex
			note := func(l string) { notesMu.Lock(); notes.WriteString(l + "\n"); notesMu.Unlock() }
			rec := NewRecord()
			proxy := &Proxy{Listener: ln, Dial: cfg.DialServer, Record: rec, Note: note}
			served := make(chan error, 1)
			go func() { served <- proxy.Serve(context.Background(), 2) }()

			c := dialClient(t, ln.Addr().String())
			caps := strings.Join(c.do("a0", "CAPABILITY"), "")
			if strings.Contains(caps, "STARTTLS") || !strings.Contains(caps, "IMAP4rev1") {
				t.Errorf("capabilities through the relay: %q (want IMAP4rev1, no STARTTLS)", caps)
			}
			if got := strings.Join(c.do("a9", "STARTTLS"), ""); !strings.HasPrefix(got, "a9 NO") {
				t.Errorf("STARTTLS through the relay: %q, want the relay's NO", got)
			}
			c.loginLiteral("alice", secretPassword)
			c.do("a2", "SELECT INBOX")
			if got := c.fetch("a3", "1:*", neomuttItems); len(got) != 6 {
				t.Errorf("FETCH through the relay gave %d lines, want 5 messages and OK: %q", len(got), got)
			}
			c.do("a4", "UID FETCH 3 (BODY.PEEK[1])")
			c.do("a5", `STATUS "Private Matters" (MESSAGES UNSEEN UIDNEXT)`)
			c.do("a6", "LOGOUT")

			c2 := dialClient(t, ln.Addr().String())
			c2.authenticatePlain("alice", secretPassword)
			c2.do("b2", "EXAMINE INBOX")
			c2.fetch("b3", "1:5", "FLAGS BODY[HEADER.FIELDS (X-Extra Subject)] BODY.PEEK[TEXT]<0.200> X-GM-LABELS")
			c2.do("b4", "LOGOUT")

			select {
			case err := <-served:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the relay did not stop after two sessions")
			}
			var out bytes.Buffer
			if err := rec.Write(&out); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			for _, sent := range append(c.sent, c2.sent...) {
				if !strings.Contains(got, "#   1  "+sent+"\n") {
					t.Errorf("record lacks the list sent, %q:\n%s", sent, got)
				}
			}
			wantFetch := "--fetch 'UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE FROM SENDER SUBJECT TO CC MESSAGE-ID REFERENCES CONTENT-TYPE CONTENT-DESCRIPTION IN-REPLY-TO REPLY-TO LINES LIST-POST LIST-SUBSCRIBE LIST-UNSUBSCRIBE X-LABEL X-ORIGINAL-TO X-Extra)]'\n"
			if !strings.HasSuffix(got, wantFetch) {
				t.Errorf("record ends\n%s\nwant it to end with\n%s", got, wantFetch)
			}
			for _, want := range []string{"2 client sessions", "UID FETCH 3", "#   1  BODY.PEEK[1]\n", "#   1  MESSAGES UNSEEN UIDNEXT\n",
				"# left out: BODY.PEEK[TEXT]<0.200>: a partial fetch", "# left out: X-GM-LABELS: not an item sxwarm sends"} {
				if !strings.Contains(got, want) {
					t.Errorf("record lacks %q:\n%s", want, got)
				}
			}
			all := got + notes.String()
			credentials := base64.StdEncoding.EncodeToString([]byte("\x00alice\x00" + secretPassword))
			for _, secret := range []string{secretPassword, "s3cr", credentials, "alice", "Private", "Subject: "} {
				if strings.Contains(all, secret) {
					t.Errorf("%q reached the record or the notes:\n%s", secret, all)
				}
			}
		})
	}
}

// TestSuggestMergesLikeAClientAsked is the merge alone: macros expanded,
// BODY[] sections made PEEK, field lists joined without repeats whatever
// their case.
func TestSuggestMergesLikeAClientAsked(t *testing.T) {
	cases := []struct {
		lists   []string
		want    string
		leftOut []string
	}{
		{[]string{"FAST"}, "FLAGS INTERNALDATE RFC822.SIZE", nil},
		{[]string{"ALL BODY[HEADER]"}, "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY.PEEK[HEADER]", nil},
		{[]string{"UID BODY.PEEK[HEADER.FIELDS (From To)]", `UID BODY[HEADER.FIELDS ("to" cc)]`}, "UID BODY.PEEK[HEADER.FIELDS (From To cc)] RFC822.SIZE", nil},
		{[]string{"UID RFC822.SIZE BODY.PEEK[]"}, "UID RFC822.SIZE BODY.PEEK[]", nil},
		{[]string{"UID BODY.PEEK[HEADER.FIELDS.NOT (Received)]"}, "UID BODY.PEEK[HEADER] RFC822.SIZE", nil},
		{[]string{"UID BODY.PEEK[2.1] MODSEQ"}, "UID MODSEQ RFC822.SIZE", []string{"BODY.PEEK[2.1]: a message part"}},
		{[]string{"UID (FLAGS"}, "UID RFC822.SIZE", []string{"(FLAGS): not an item"}},
		{[]string{"UID [X"}, "", []string{"UID [X): not a list of items"}},
	}
	for _, c := range cases {
		r := NewRecord()
		for i, l := range c.lists {
			r.command([]byte(fmt.Sprintf("t%d UID FETCH 1:* (%s)\r\n", i, l)))
		}
		s := r.Suggest()
		if s.Items != c.want {
			t.Errorf("%q: suggested %q, want %q", c.lists, s.Items, c.want)
		}
		if len(s.LeftOut) != len(c.leftOut) {
			t.Errorf("%q: left out %q, want %q", c.lists, s.LeftOut, c.leftOut)
			continue
		}
		for i, l := range c.leftOut {
			if !strings.HasPrefix(s.LeftOut[i], l) {
				t.Errorf("%q: left out %q, want %q", c.lists, s.LeftOut[i], l)
			}
		}
	}
}

// FuzzRecord: whatever a client sends, recording it never panics, and the
// suggestion, when there is one, is a list sxwarm accepts that sets no
// \Seen flag.
func FuzzRecord(f *testing.F) {
	f.Add("a3 UID FETCH 1:* (" + neomuttItems + ")\r\n")
	f.Add("a4 FETCH 1:5 ALL\r\n")
	f.Add(`a5 STATUS "x" (MESSAGES)` + "\r\n")
	f.Add("a6 LIST \"\" \"*\" RETURN (STATUS (UNSEEN))\r\n")
	f.Add("a7 UID FETCH 1:* (BODY[HEADER.FIELDS (\"A\" b)] BODY.PEEK[1]<0.10>)\r\n")
	f.Fuzz(func(t *testing.T, line string) {
		r := NewRecord()
		r.command([]byte(line))
		s := r.Suggest()
		if s.Items == "" {
			return
		}
		if _, err := imapwarm.CheckFetchItems(s.Items); err != nil {
			t.Fatalf("%q suggested %q, which sxwarm refuses: %v", line, s.Items, err)
		}
		if strings.Contains(strings.ToUpper(s.Items), "BODY[") {
			t.Fatalf("%q suggested %q, which sets \\Seen", line, s.Items)
		}
	})
}

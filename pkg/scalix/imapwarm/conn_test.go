package imapwarm

import (
	"errors"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingConn counts reads that reach the network.
type countingConn struct {
	net.Conn
	reads atomic.Int32
}

func (c *countingConn) Read(p []byte) (int, error) {
	c.reads.Add(1)
	return c.Conn.Read(p)
}

// TestGuardTimeoutSticks: once a read timed out, later reads fail at once
// without waiting on the network again (go-imap's reader makes several
// after an error; each would otherwise cost a whole timeout).
func TestGuardTimeoutSticks(t *testing.T) {
	cases := []struct {
		name      string
		connected bool
		want      string
	}{
		{"while connecting", false, "not connected within 50ms (--connect-timeout)"},
		{"after the greeting", true, "no answer for 50ms (--timeout)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client, server := net.Pipe()
			defer server.Close()
			under := &countingConn{Conn: client}
			g := &guardConn{Conn: under, timeout: 50 * time.Millisecond, connectTimeout: 50 * time.Millisecond,
				until: time.Now().Add(50 * time.Millisecond)}
			if c.connected {
				g.connected()
			}
			buf := make([]byte, 10)
			var errs []error
			for range 4 {
				_, err := g.Read(buf)
				errs = append(errs, err)
			}
			if n := under.reads.Load(); n != 1 {
				t.Errorf("%d reads reached the network, want 1", n)
			}
			var ne net.Error
			for i, err := range errs {
				if err == nil || err.Error() != c.want || !errors.As(err, &ne) || !ne.Timeout() {
					t.Errorf("read %d: %v, want timeout %q", i+1, err, c.want)
				}
			}
		})
	}
}

// TestGuardConnectDeadlineIsAbsolute: a server that trickles a byte at a
// time never resets the connect deadline, however short the gaps.
func TestGuardConnectDeadlineIsAbsolute(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	go func() {
		for {
			if _, err := server.Write([]byte("A")); err != nil {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	g := &guardConn{Conn: client, timeout: time.Hour, connectTimeout: 100 * time.Millisecond, until: time.Now().Add(100 * time.Millisecond)}
	buf := make([]byte, 1)
	var err error
	got := 0
	for err == nil && got < 100000 {
		var n int
		n, err = g.Read(buf)
		got += n
	}
	if err == nil || !strings.Contains(err.Error(), "--connect-timeout") {
		t.Fatalf("after %d bytes: %v, want the connect deadline", got, err)
	}
}

// TestLineLimit: lines and literals within the limits pass; a line or a
// literal past them fails the connection, and keeps failing it.
func TestLineLimit(t *testing.T) {
	long := strings.Repeat("A", maxServerLine+1)
	cases := []struct {
		name, stream string
		wantErr      string
	}{
		{"greeting", "* OK ready\r\n", ""},
		{"literal with newlines", "* LIST () \"/\" {11}\r\nab\r\ncd\r\nefg\r\nT1 OK done\r\n", ""},
		{"many short lines", strings.Repeat("* 1 EXISTS\r\n", 200000), ""},
		{"line without end", "* OK " + long, "longer than"},
		{"huge literal", "* LIST () \"/\" {99999999999}\r\n", "literal"},
		{"literal adds to its line", "* X {" + "1048000" + "}\r\n" + strings.Repeat("B", 1048000) + strings.Repeat("C", 1000) + "\r\n", "longer than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := &lineLimitConn{}
			err := feedInChunks(l, c.stream, 4096)
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("error %v, want %q", err, c.wantErr)
			}
		})
	}
}

func feedInChunks(l *lineLimitConn, stream string, size int) error {
	for len(stream) > 0 {
		k := min(size, len(stream))
		if err := l.follow([]byte(stream[:k])); err != nil {
			return err
		}
		stream = stream[k:]
	}
	return nil
}

func TestCheckFetchItems(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{"UID FLAGS", "UID FLAGS RFC822.SIZE", ""},
		{"(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])", "UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]", ""},
		{"BODY BODYSTRUCTURE ENVELOPE", "BODY BODYSTRUCTURE ENVELOPE RFC822.SIZE", ""},
		{"BODY[HEADER]", "", `\Seen`},
		{"BINARY[1]", "", `\Seen`},
		{"RFC822", "", `\Seen`},
		{"BODY.PEEK", "", "needs a section"},
		{"FAST", "", "not one sxwarm sends"},
		{"UID (FLAGS", "", "unclosed"},
		{"UID]", "", "unbalanced"},
		{"UID\x00", "", "printable"},
		{"  ", "", "empty"},
	}
	for _, c := range cases {
		got, err := CheckFetchItems(c.in)
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("CheckFetchItems(%q) = %q, %v; want %q", c.in, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("CheckFetchItems(%q): error %v, want %q", c.in, err, c.err)
		}
	}
}

func FuzzCheckFetchItems(f *testing.F) {
	for _, p := range Profiles {
		f.Add(p.Items)
	}
	f.Add("BODY[] UID")
	f.Fuzz(func(t *testing.T, items string) {
		got, err := CheckFetchItems(items)
		if err != nil {
			return
		}
		list, err := SplitItems(got)
		if err != nil {
			t.Fatalf("accepted %q gives %q, which does not split: %v", items, got, err)
		}
		if !slices.Contains(list, "RFC822.SIZE") && !slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, "RFC822.SIZE") }) {
			t.Fatalf("accepted %q without RFC822.SIZE: %q", items, got)
		}
		for _, item := range list {
			up := strings.ToUpper(item)
			if strings.HasPrefix(up, "BODY[") || strings.HasPrefix(up, "BINARY[") || up == "RFC822" || up == "RFC822.TEXT" {
				t.Fatalf("accepted %q, which sets \\Seen", items)
			}
		}
	})
}

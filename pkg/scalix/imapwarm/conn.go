package imapwarm

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// guardConn is the TCP connection with sxwarm's timeouts:
//
//   - while connecting (TCP, TLS handshake, greeting) one absolute deadline,
//     --connect-timeout, however the server trickles its bytes;
//   - after that a read or write that makes no progress for --timeout fails,
//     so a stalled server is noticed while a long FETCH that keeps streaming
//     is not cut short.
//
// The first timeout sticks: every later call fails at once with the same
// error. go-imap retries its reader after an error (one read per token it
// tries), and without this each of those waited a whole timeout again.
type guardConn struct {
	net.Conn
	timeout        time.Duration
	connectTimeout time.Duration // for the message

	mu     sync.Mutex
	until  time.Time // the connect deadline; zero once connected
	failed error     // the first timeout, then returned by every call
}

// timeoutError is a deadline that passed, worded for the user and marked
// as a timeout for the retry logic.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string   { return e.msg }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }

// dialGuarded connects: TCP, then whatever the caller does until it calls
// connected, all by one deadline --connect-timeout from now.
func dialGuarded(addr string, connectTimeout, timeout time.Duration) (*guardConn, error) {
	until := time.Now().Add(connectTimeout)
	c, err := (&net.Dialer{Deadline: until}).Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &guardConn{Conn: c, timeout: timeout, connectTimeout: connectTimeout, until: until}, nil
}

// connected ends the connect phase: from now on only --timeout applies.
func (g *guardConn) connected() {
	g.mu.Lock()
	g.until = time.Time{}
	g.mu.Unlock()
}

// failure is the timeout that ended the connection, or nil.
func (g *guardConn) failure() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.failed
}

func (g *guardConn) Read(p []byte) (int, error) {
	if err := g.arm(g.Conn.SetReadDeadline); err != nil {
		return 0, err
	}
	n, err := g.Conn.Read(p)
	return n, g.check(err)
}

func (g *guardConn) Write(p []byte) (int, error) {
	if err := g.arm(g.Conn.SetWriteDeadline); err != nil {
		return 0, err
	}
	n, err := g.Conn.Write(p)
	return n, g.check(err)
}

// arm sets the deadline of the next read or write, the nearer of the idle
// timeout and the connect deadline.
func (g *guardConn) arm(set func(time.Time) error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failed != nil {
		return g.failed
	}
	var at time.Time
	if g.timeout > 0 {
		at = time.Now().Add(g.timeout)
	}
	if !g.until.IsZero() && (at.IsZero() || g.until.Before(at)) {
		at = g.until
	}
	set(at)
	return nil
}

// check turns a deadline that passed into a sticky, readable error.
func (g *guardConn) check(err error) error {
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failed == nil {
		if !g.until.IsZero() {
			g.failed = &timeoutError{fmt.Sprintf("not connected within %s (--connect-timeout)", g.connectTimeout)}
		} else {
			g.failed = &timeoutError{fmt.Sprintf("no answer for %s (--timeout)", g.timeout)}
		}
	}
	return g.failed
}

// Limits on what the server may send outside the raw FETCH (which bounds
// its own lines): a greeting, LIST or SELECT answer is a few hundred bytes,
// so a megabyte is a hostile or broken server, not a big mailbox.
const (
	maxServerLine    = 1 << 20 // one response line, its literals included
	maxServerLiteral = 1 << 20
)

// errLineTooLong is the sticky error of a server that exceeded the limits.
var errLineTooLong = fmt.Errorf("server sent a response longer than %d bytes", maxServerLine)

// lineLimitConn sits right under go-imap's client, which would otherwise
// buffer a line without end until memory runs out. It follows line ends and
// {N} literals and fails the connection once one response grows too long.
type lineLimitConn struct {
	net.Conn
	lineLen int64  // bytes of the current response so far
	literal int64  // literal bytes still to pass
	tail    []byte // the line's last bytes, to spot a {N} before its CRLF
	failed  error
}

func (l *lineLimitConn) Read(p []byte) (int, error) {
	if l.failed != nil {
		return 0, l.failed
	}
	n, err := l.Conn.Read(p)
	if ferr := l.follow(p[:n]); ferr != nil {
		l.failed = ferr
		return 0, ferr
	}
	return n, err
}

// follow accounts for the bytes just read.
func (l *lineLimitConn) follow(b []byte) error {
	for len(b) > 0 {
		if l.literal > 0 {
			k := min(l.literal, int64(len(b)))
			l.literal -= k
			l.lineLen += k
			b = b[k:]
			continue
		}
		i := bytes.IndexByte(b, '\n')
		piece := b
		if i >= 0 {
			piece = b[:i]
		}
		l.lineLen += int64(len(piece))
		l.keepTail(piece)
		if l.lineLen > maxServerLine {
			return errLineTooLong
		}
		if i < 0 {
			return nil
		}
		b = b[i+1:]
		if err := l.endOfLine(); err != nil {
			return err
		}
	}
	return nil
}

// keepTail remembers the last bytes of the line: enough for "{N+}\r".
func (l *lineLimitConn) keepTail(piece []byte) {
	const keep = 32
	l.tail = append(l.tail, piece[max(0, len(piece)-keep):]...)
	if len(l.tail) > keep {
		l.tail = append(l.tail[:0], l.tail[len(l.tail)-keep:]...)
	}
}

// endOfLine: a line ending in {N} continues with N bytes of literal, any
// other line ends the response.
func (l *lineLimitConn) endOfLine() error {
	ok, n := LiteralSuffix(bytes.TrimSuffix(l.tail, []byte("\r")))
	l.tail = l.tail[:0]
	switch {
	case !ok:
		l.lineLen = 0
	case n > maxServerLiteral:
		return fmt.Errorf("server announced a %d-byte literal, more than the %d allowed outside FETCH", n, maxServerLiteral)
	default:
		l.literal = n
	}
	return nil
}

package imapwarm

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"provpipe/pkg/shared/safetext"
)

// traceConn writes the IMAP exchange to a debug writer, one whole line per
// write, with credentials removed: the arguments of LOGIN and AUTHENTICATE
// and everything the client sends after them until the server's tagged
// answer (literals, SASL responses). What the server sends is escaped
// (safetext) and cut at maxTraceLine, so a hostile server can neither drive
// the terminal nor fill memory through the trace.
type traceConn struct {
	net.Conn
	out    io.Writer
	who    string
	mu     sync.Mutex
	in     traceBuffer
	outBuf traceBuffer
	secret string // tag whose answer ends the redaction; "" when not redacting
}

// maxTraceLine is the most of one line the trace shows.
const maxTraceLine = 4096

// traceBuffer holds the start of a line until its end arrives.
type traceBuffer struct {
	bytes.Buffer
	cut bool // the line was already shown, cut short; drop the rest
}

func newTraceConn(c net.Conn, w io.Writer, who string) *traceConn {
	return &traceConn{Conn: c, out: w, who: who}
}

func (t *traceConn) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	t.mu.Lock()
	t.in.Write(p[:n])
	t.flush(&t.in, "S:", t.serverLine)
	t.mu.Unlock()
	return n, err
}

func (t *traceConn) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.outBuf.Write(p)
	t.flush(&t.outBuf, "C:", t.clientLine)
	t.mu.Unlock()
	return t.Conn.Write(p)
}

func (t *traceConn) flush(buf *traceBuffer, dir string, shape func(string) string) {
	for {
		i := bytes.IndexByte(buf.Bytes(), '\n')
		if i < 0 {
			if buf.Len() > maxTraceLine {
				if !buf.cut {
					t.show(dir, shape, buf.Bytes()[:maxTraceLine], true)
				}
				buf.cut = true
				buf.Reset()
			}
			return
		}
		line := buf.Next(i + 1)
		if buf.cut {
			buf.cut = false
			continue
		}
		t.show(dir, shape, line[:min(len(line), maxTraceLine)], len(line) > maxTraceLine)
	}
}

func (t *traceConn) show(dir string, shape func(string) string, line []byte, cut bool) {
	text := safetext.Escape(shape(strings.TrimRight(string(line), "\r\n")))
	if cut {
		text += fmt.Sprintf(" [line cut at %d bytes]", maxTraceLine)
	}
	fmt.Fprintf(t.out, "sxwarm: [%s] %s %s\n", t.who, dir, text)
}

func (t *traceConn) clientLine(line string) string {
	if t.secret != "" {
		return "<redacted>"
	}
	fields := strings.Fields(line)
	if len(fields) >= 2 {
		switch strings.ToUpper(fields[1]) {
		case "LOGIN":
			t.secret = fields[0]
			return fields[0] + " LOGIN <redacted>"
		case "AUTHENTICATE":
			t.secret = fields[0]
			if len(fields) > 2 {
				return fields[0] + " AUTHENTICATE " + fields[2] + " <redacted>"
			}
		}
	}
	return line
}

func (t *traceConn) serverLine(line string) string {
	if t.secret != "" && strings.HasPrefix(line, t.secret+" ") {
		t.secret = ""
	}
	return line
}

package warm

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
)

// traceConn writes the IMAP exchange to a debug writer, one whole line per
// write, with credentials removed: the arguments of LOGIN and AUTHENTICATE
// and everything the client sends after them until the server's tagged
// answer (literals, SASL responses).
type traceConn struct {
	net.Conn
	out    io.Writer
	who    string
	mu     sync.Mutex
	in     bytes.Buffer
	outBuf bytes.Buffer
	secret string // tag whose answer ends the redaction; "" when not redacting
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

func (t *traceConn) flush(buf *bytes.Buffer, dir string, shape func(string) string) {
	for {
		i := bytes.IndexByte(buf.Bytes(), '\n')
		if i < 0 {
			return
		}
		line := strings.TrimRight(string(buf.Next(i+1)), "\r\n")
		fmt.Fprintf(t.out, "sxwarm: [%s] %s %s\n", t.who, dir, shape(line))
	}
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

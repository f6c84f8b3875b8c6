// Package imapcapture learns what a mail client asks an IMAP server for:
// a relay between one client and the server that notes the client's command
// names and FETCH item lists, so sxwarm can warm what that client will read
// (sxwarm --capture). It keeps nothing else: not the login, the password,
// folder names or any message data.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package imapcapture

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"provpipe/pkg/scalix/imapwarm"
)

// Proxy relays client connections to the server, recording each client's
// commands in Record.
type Proxy struct {
	Listener net.Listener
	// Dial opens a connection to the server, TLS done, its greeting not
	// read yet.
	Dial   func() (net.Conn, error)
	Record *Record
	// Note reports a session's start and end (to stderr), one line each;
	// sessions call it at the same time.
	Note func(line string)
}

// Serve relays connections until ctx ends or, when sessions > 0, until
// that many client sessions have ended; connections still open then are
// closed.
func (p *Proxy) Serve(ctx context.Context, sessions int) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	open := map[net.Conn]bool{}
	done := make(chan struct{})
	var once sync.Once
	stop := func() { once.Do(func() { close(done); p.Listener.Close() }) }
	go func() {
		select {
		case <-ctx.Done():
			stop()
		case <-done:
		}
	}()
	var acceptErr error
	for {
		conn, err := p.Listener.Accept()
		if err != nil {
			select {
			case <-done:
			default:
				acceptErr = fmt.Errorf("accept on %s: %w", p.Listener.Addr(), err)
				stop()
			}
			break
		}
		mu.Lock()
		open[conn] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.relay(conn)
			mu.Lock()
			delete(open, conn)
			mu.Unlock()
			if n := p.Record.sessionEnded(); sessions > 0 && n >= sessions {
				stop()
			}
		}()
	}
	mu.Lock()
	for conn := range open {
		conn.Close()
	}
	mu.Unlock()
	wg.Wait()
	return acceptErr
}

// relay carries one client session to the server and back.
func (p *Proxy) relay(client net.Conn) {
	defer client.Close()
	server, err := p.Dial()
	if err != nil {
		p.note(fmt.Sprintf("a client connected from %s; the server could not be reached: %v", client.RemoteAddr(), err))
		fmt.Fprintf(client, "* BYE sxwarm --capture cannot reach the IMAP server\r\n")
		return
	}
	defer server.Close()
	p.note(fmt.Sprintf("client session from %s started", client.RemoteAddr()))
	toClient := &lockedWriter{w: client}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		fromServer(toClient, server)
		client.Close() // the server ended: so does the client's session
	}()
	go func() {
		defer wg.Done()
		p.fromClient(server, toClient, client)
		server.Close()
	}()
	wg.Wait()
	p.note(fmt.Sprintf("client session from %s ended", client.RemoteAddr()))
}

func (p *Proxy) note(line string) {
	if p.Note != nil {
		p.Note(line)
	}
}

// lockedWriter lets the two directions of a session both write to the
// client: the server's responses, and the proxy's own answer to STARTTLS.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// maxLine bounds a line the relay reads: IMAP lines are short; literals,
// which carry the long data, are copied without being read as lines.
const maxLine = 1 << 20

// fromClient relays the client's commands to the server and records each
// one, its literals (passwords in LOGIN, messages in APPEND) copied across
// unread. STARTTLS is answered here: the client talks in clear to the
// relay on this machine, the relay in TLS to the server.
func (p *Proxy) fromClient(server io.Writer, toClient io.Writer, client io.Reader) {
	r := bufio.NewReaderSize(client, 64<<10)
	var command []byte // the command so far, literals left out
	for {
		line, err := readLine(r)
		if err != nil {
			return
		}
		size, hasLiteral := literalSize(line)
		if len(command) == 0 && isStartTLS(line) {
			tag, _, _ := strings.Cut(string(line), " ")
			fmt.Fprintf(toClient, "%s NO sxwarm --capture takes plain IMAP from the client (it speaks TLS to the server): turn TLS off for this session\r\n", tag)
			continue
		}
		if _, err := server.Write(line); err != nil {
			return
		}
		if !hasLiteral {
			p.Record.command(append(command, line...))
			command = command[:0]
			continue
		}
		command = append(command, literalMarker(line)...)
		if _, err := io.CopyN(server, r, size); err != nil {
			return
		}
	}
}

// fromServer relays the server's responses, taking out of every
// capability list what would stop the relay reading the client's
// commands: STARTTLS (the client would encrypt past the relay) and
// COMPRESS (it would compress past it).
func fromServer(toClient io.Writer, server io.Reader) {
	r := bufio.NewReaderSize(server, 64<<10)
	continued := false // the line goes on after a literal: not a response start
	for {
		line, err := readLine(r)
		if err != nil {
			return
		}
		if !continued {
			line = withoutCapabilities(line)
		}
		if _, err := toClient.Write(line); err != nil {
			return
		}
		size, hasLiteral := literalSize(line)
		continued = hasLiteral
		if hasLiteral {
			if _, err := io.CopyN(toClient, r, size); err != nil {
				return
			}
		}
	}
}

// readLine reads one line, CRLF included, up to maxLine bytes.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		part, err := r.ReadSlice('\n')
		line = append(line, part...)
		switch {
		case err == nil:
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull) && len(line) < maxLine:
			continue
		case err == nil || errors.Is(err, bufio.ErrBufferFull):
			return nil, fmt.Errorf("a line longer than %d bytes", maxLine)
		default:
			return nil, err
		}
	}
}

// literalSize reads the literal a line ends with, CRLF and all.
func literalSize(line []byte) (int64, bool) {
	ok, n := imapwarm.LiteralSuffix(bytes.TrimRight(line, "\r\n"))
	return n, ok
}

// literalMarker is a line with its literal's size replaced: the command
// as recorded says only that a literal was there.
func literalMarker(line []byte) []byte {
	s := strings.TrimRight(string(line), "\r\n")
	return []byte(s[:strings.LastIndexByte(s, '{')] + "{literal}")
}

func isStartTLS(line []byte) bool {
	words := strings.Fields(string(line))
	return len(words) == 2 && strings.EqualFold(words[1], "STARTTLS")
}

// withoutCapabilities takes STARTTLS and COMPRESS=... out of a CAPABILITY
// response or response code; other lines pass unchanged.
func withoutCapabilities(line []byte) []byte {
	s := string(line)
	upper := asciiUpper(s)
	start := -1
	switch {
	case strings.HasPrefix(upper, "* CAPABILITY "):
		start = len("* CAPABILITY ")
	case strings.Contains(upper, "[CAPABILITY "):
		start = strings.Index(upper, "[CAPABILITY ") + len("[CAPABILITY ")
	default:
		return line
	}
	end := len(s)
	if i := strings.IndexAny(s[start:], "]\r\n"); i >= 0 {
		end = start + i
	}
	var kept []string
	for _, c := range strings.Fields(s[start:end]) {
		up := strings.ToUpper(c)
		if up == "STARTTLS" || strings.HasPrefix(up, "COMPRESS=") {
			continue
		}
		kept = append(kept, c)
	}
	return []byte(s[:start] + strings.Join(kept, " ") + s[end:])
}

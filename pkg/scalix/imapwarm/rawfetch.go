package imapwarm

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/emersion/go-imap/v2"
)

// Why a raw FETCH: go-imap's client decodes every ENVELOPE into addresses
// and parsed dates, which is half of sxwarm's CPU per message, and sxwarm
// throws all of it away. The server's work, the point of warming, is the
// same either way, but client and server often share a machine, where every
// CPU second the client spends is one the server does not get: measured
// (BENCHMARKS.md, "What each optimisation bought"), the client's CPU per
// 1 000 messages fell from about 30 ms to 4-5 ms, and -j 4 against Dovecot
// went from 1.5x to 2.8x the users per second of a sequential client. So the FETCH is sent on the
// session's connection directly, and while its answer streams in, the bytes
// are diverted from go-imap's reader to a scanner that only counts messages,
// adds up RFC822.SIZE and skips literals. go-imap keeps doing everything
// else (greeting, login, SASL, EXAMINE, LIST, LOGOUT).

// fetchTag tags the raw FETCH; go-imap's own tags are T1, T2, ...
const fetchTag = "PPF"

// fetchCommand asks for what a client's first look at a folder asks for:
// the items of --fetch or --profile.
func fetchCommand(items string) []byte {
	if items == "" {
		items = Profiles[0].Items
	}
	return []byte(fetchTag + " FETCH 1:* (" + items + ")\r\n")
}

// maxFetchLine bounds the text of one answer line (literals excluded).
const maxFetchLine = 1 << 20

// divertConn sits right under go-imap's client. Normally it passes reads
// through; while a scanner is set, everything read goes to the scanner until
// the FETCH's tagged answer, and go-imap's reader just waits.
type divertConn struct {
	net.Conn
	mu   sync.Mutex
	sink *fetchScanner
	done chan error
}

// fetch sends the raw FETCH and waits for its whole answer.
func (d *divertConn) fetch(command []byte) (*fetchScanner, error) {
	sc := &fetchScanner{tag: fetchTag}
	done := make(chan error, 1)
	d.mu.Lock()
	d.sink, d.done = sc, done
	d.mu.Unlock()
	if _, err := d.Conn.Write(command); err != nil {
		d.release(err)
		return sc, err
	}
	return sc, <-done
}

// release ends a diversion, once.
func (d *divertConn) release(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.sink != nil {
		d.sink = nil
		d.done <- err
	}
}

func (d *divertConn) Read(p []byte) (int, error) {
	for {
		n, err := d.Conn.Read(p)
		d.mu.Lock()
		sc := d.sink
		d.mu.Unlock()
		if sc == nil {
			return n, err
		}
		used, finished := sc.feed(p[:n])
		switch {
		case finished:
			d.release(sc.err)
			rest := copy(p, p[used:n]) // nothing is expected after the tagged line
			if rest > 0 || err != nil {
				return rest, err
			}
		case err != nil:
			d.release(err) // the connection failed mid-answer; go-imap sees it too
			return 0, err
		}
	}
}

// fetchScanner follows the answer to the raw FETCH without building it.
type fetchScanner struct {
	tag      string
	line     []byte // text of the current line, literals excluded
	skip     int64  // bytes of a literal still to skip
	resp     response
	Messages int
	Bytes    int64
	err      error // a NO, BAD or BYE from the server
}

// response is what is known of the answer line being read; a line with
// literals arrives in several pieces.
type response struct {
	started  bool
	kind     byte // 'F' FETCH data, 'T' our tagged answer, 'B' BYE, 'O' other
	depth    int
	inQuote  bool
	escaped  bool
	atom     []byte
	prevAtom string
}

// feed consumes bytes; it returns how many it used and whether the tagged
// answer was reached.
func (s *fetchScanner) feed(b []byte) (int, bool) {
	used := 0
	for used < len(b) {
		if s.skip > 0 {
			k := int(min(s.skip, int64(len(b)-used)))
			s.skip -= int64(k)
			used += k
			continue
		}
		i := bytes.IndexByte(b[used:], '\n')
		if i < 0 {
			s.line = append(s.line, b[used:]...)
			if len(s.line) > maxFetchLine {
				s.err = fmt.Errorf("FETCH answer line longer than %d bytes", maxFetchLine)
				return len(b), true
			}
			return len(b), false
		}
		s.line = append(s.line, b[used:used+i+1]...)
		used += i + 1
		if s.endOfLine() {
			return used, true
		}
	}
	return used, false
}

// endOfLine handles one complete piece of an answer line.
func (s *fetchScanner) endOfLine() bool {
	text := bytes.TrimRight(s.line, "\r\n")
	s.line = s.line[:0]
	literal, n := LiteralSuffix(text)
	if literal {
		text = text[:bytes.LastIndexByte(text, '{')]
	}
	if !s.resp.started {
		s.startResponse(text)
	}
	if s.resp.kind == 'F' {
		s.scanFetch(text)
	}
	if literal {
		s.skip = n
		s.resp.atom = s.resp.atom[:0]
		s.resp.prevAtom = "" // a literal is a string, not an atom
		return false
	}
	kind := s.resp.kind
	s.resp = response{}
	return kind == 'T'
}

func (s *fetchScanner) startResponse(text []byte) {
	s.resp.started = true
	switch {
	case bytes.HasPrefix(text, []byte(s.tag+" ")):
		s.resp.kind = 'T'
		s.err = statusError(bytes.TrimPrefix(text, []byte(s.tag+" ")))
	case bytes.HasPrefix(text, []byte("* BYE")):
		s.resp.kind = 'B'
		s.err = &imap.Error{Type: imap.StatusResponseTypeBye, Text: string(bytes.TrimSpace(text[5:]))}
	case isFetchData(text):
		s.resp.kind = 'F'
		s.Messages++
	default:
		s.resp.kind = 'O'
	}
}

// isFetchData: "* <number> FETCH ".
func isFetchData(text []byte) bool {
	rest, ok := bytes.CutPrefix(text, []byte("* "))
	if !ok {
		return false
	}
	num, rest, ok := bytes.Cut(rest, []byte(" "))
	if !ok || len(num) == 0 {
		return false
	}
	for _, c := range num {
		if c < '0' || c > '9' {
			return false
		}
	}
	return bytes.HasPrefix(bytes.ToUpper(rest), []byte("FETCH "))
}

// scanFetch walks the FETCH data's own list (depth 1), outside quoted
// strings, for "RFC822.SIZE <number>".
func (s *fetchScanner) scanFetch(text []byte) {
	r := &s.resp
	for _, c := range text {
		switch {
		case r.escaped:
			r.escaped = false
		case r.inQuote:
			switch c {
			case '\\':
				r.escaped = true
			case '"':
				r.inQuote = false
			}
		case c == '"':
			r.inQuote = true
		case c == '(' || c == '[':
			s.endAtom()
			r.depth++
		case c == ')' || c == ']':
			s.endAtom()
			r.depth--
		case c == ' ':
			s.endAtom()
		case r.depth == 1:
			r.atom = append(r.atom, c)
		}
	}
	s.endAtom()
}

func (s *fetchScanner) endAtom() {
	r := &s.resp
	if len(r.atom) == 0 {
		return
	}
	if r.prevAtom == "RFC822.SIZE" {
		if n, err := strconv.ParseInt(string(r.atom), 10, 64); err == nil {
			s.Bytes += n
		}
	}
	r.prevAtom = string(bytes.ToUpper(r.atom))
	r.atom = r.atom[:0]
}

// LiteralSuffix finds the literal a line (without its CRLF) ends with:
// "{N}", "{N+}" (LITERAL+) or "~{N}" (literal8). sxwarm --capture's relay
// reads both directions with it.
func LiteralSuffix(text []byte) (bool, int64) {
	if len(text) < 3 || text[len(text)-1] != '}' {
		return false, 0
	}
	open := bytes.LastIndexByte(text, '{')
	if open < 0 {
		return false, 0
	}
	digits := bytes.TrimSuffix(text[open+1:len(text)-1], []byte("+"))
	n, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil || n < 0 {
		return false, 0
	}
	return true, n
}

// statusError reads "OK ...", "NO [CODE] text" or "BAD text".
func statusError(rest []byte) error {
	word, text, _ := bytes.Cut(rest, []byte(" "))
	typ := imap.StatusResponseType(bytes.ToUpper(word))
	if typ == imap.StatusResponseTypeOK {
		return nil
	}
	e := &imap.Error{Type: typ, Text: string(text)}
	if code, after, ok := bytes.Cut(text, []byte("]")); ok && bytes.HasPrefix(code, []byte("[")) {
		name, _, _ := bytes.Cut(code[1:], []byte(" "))
		e.Code = imap.ResponseCode(bytes.ToUpper(name))
		e.Text = string(bytes.TrimSpace(after))
	}
	if typ != imap.StatusResponseTypeNo && typ != imap.StatusResponseTypeBad {
		return errors.Join(e, fmt.Errorf("unexpected answer %q", word))
	}
	return e
}

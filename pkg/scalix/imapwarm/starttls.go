package imapwarm

// STARTTLS, by hand. go-imap's client can do it (imapclient.NewStartTLS),
// but it then puts TLS above the connection it was given, and the raw
// FETCH (rawfetch.go) diverts the FETCH answer between TLS and go-imap, so
// it must read the connection in clear: the upgrade happens here, before
// go-imap sees the connection. go-imap reads a greeting first, and after
// STARTTLS the server sends none (RFC 3501 6.2.1), so it is handed the
// greeting the server sent before, without its response code: the
// capabilities listed before TLS are void after it (RFC 3501 6.2.1), and
// go-imap asks for them again when it needs them.

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
)

// startTLS upgrades a plain connection before go-imap's client sees it:
// read the greeting, send STARTTLS, shake hands, then let the client read
// the greeting (see above). talk is plain, traced when debugging; plain is
// untraced, for the handshake.
func startTLS(talk, plain net.Conn, cfg *Config) (net.Conn, error) {
	r := &lineReader{c: talk}
	greeting, err := readGreeting(r, cfg)
	if err != nil {
		return nil, err
	}
	return upgrade(r, talk, plain, cfg, greeting)
}

// startTLSOrRefuse protects a connection to a host that is not loopback
// before any password is sent: with STARTTLS when the server offers it,
// else not at all, an error saying how to go on (the operator's
// --send-password-in-clear is the only way to send it in clear).
func startTLSOrRefuse(talk, plain net.Conn, cfg *Config) (net.Conn, error) {
	r := &lineReader{c: talk}
	greeting, err := readGreeting(r, cfg)
	if err != nil {
		return nil, err
	}
	caps, err := capabilities(r, talk, greeting)
	if err != nil {
		return nil, classify(fmt.Errorf("CAPABILITY of %s: %w", cfg.Addr, err))
	}
	if !slices.Contains(caps, "STARTTLS") {
		return nil, &CleartextError{Addr: cfg.Addr}
	}
	return upgrade(r, talk, plain, cfg, greeting)
}

// CleartextError refuses to send a password in clear to a host that is
// not loopback and offers no STARTTLS. It is no transient failure: every
// user would meet it.
type CleartextError struct{ Addr string }

func (e *CleartextError) Error() string {
	return fmt.Sprintf("%s is not this machine and offers no STARTTLS: the password would cross the network in clear; use --ssl (port 993), or --send-password-in-clear if the network between is trusted", e.Addr)
}

func readGreeting(r *lineReader, cfg *Config) ([]byte, error) {
	greeting, err := r.line()
	if err != nil {
		return nil, classify(fmt.Errorf("greeting of %s: %w", cfg.Addr, err))
	}
	if !bytes.HasPrefix(greeting, []byte("* OK")) {
		return nil, classify(fmt.Errorf("greeting of %s: %q", cfg.Addr, greeting))
	}
	return greeting, nil
}

// capabilities are the server's, from its greeting's CAPABILITY code or,
// without one, from a CAPABILITY command; upper case.
func capabilities(r *lineReader, talk net.Conn, greeting []byte) ([]string, error) {
	if _, rest, ok := bytes.Cut(greeting, []byte("[CAPABILITY ")); ok {
		list, _, _ := bytes.Cut(rest, []byte("]"))
		return strings.Fields(strings.ToUpper(string(list))), nil
	}
	if _, err := talk.Write([]byte("PPC CAPABILITY\r\n")); err != nil {
		return nil, err
	}
	var caps []string
	for {
		line, err := r.line()
		if err != nil {
			return nil, err
		}
		if list, ok := bytes.CutPrefix(line, []byte("* CAPABILITY ")); ok {
			caps = strings.Fields(strings.ToUpper(string(list)))
		}
		if rest, ok := bytes.CutPrefix(line, []byte("PPC ")); ok {
			return caps, statusError(rest)
		}
	}
}

// upgrade sends STARTTLS and shakes hands; go-imap then reads greeting,
// without its response code.
func upgrade(r *lineReader, talk, plain net.Conn, cfg *Config, greeting []byte) (net.Conn, error) {
	fail := func(err error) (net.Conn, error) {
		return nil, classify(fmt.Errorf("STARTTLS with %s: %w", cfg.Addr, err))
	}
	if _, err := talk.Write([]byte("PPS STARTTLS\r\n")); err != nil {
		return fail(err)
	}
	for {
		line, err := r.line()
		if err != nil {
			return fail(err)
		}
		if rest, ok := bytes.CutPrefix(line, []byte("PPS ")); ok {
			if err := statusError(rest); err != nil {
				return fail(err)
			}
			break
		}
	}
	conf := cfg.TLSConfig
	if conf == nil { // upgraded on our own (needsTLS): verified as always
		host, _, _ := net.SplitHostPort(cfg.Addr)
		conf = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	tc := tls.Client(plain, conf)
	if err := tc.Handshake(); err != nil {
		return nil, fmt.Errorf("TLS with %s: %w", cfg.Addr, err)
	}
	return &replayConn{Conn: tc, pending: withoutCode(greeting)}, nil
}

// withoutCode is a greeting line without its response code, CRLF ended:
// "* OK [CAPABILITY ...] Dovecot ready." becomes "* OK Dovecot ready.".
func withoutCode(greeting []byte) []byte {
	rest := bytes.TrimPrefix(greeting, []byte("* OK"))
	rest = bytes.TrimLeft(rest, " ")
	if bytes.HasPrefix(rest, []byte("[")) {
		if _, after, ok := bytes.Cut(rest, []byte("]")); ok {
			rest = bytes.TrimLeft(after, " ")
		}
	}
	line := append([]byte("* OK "), rest...)
	return append(line, "\r\n"...)
}

// lineReader reads CRLF lines one byte at a time, so that nothing after
// the STARTTLS answer is consumed before the TLS handshake.
type lineReader struct{ c net.Conn }

func (r *lineReader) line() ([]byte, error) {
	var line []byte
	b := make([]byte, 1)
	for len(line) < 8192 {
		if _, err := r.c.Read(b); err != nil {
			return nil, err
		}
		if b[0] == '\n' {
			return bytes.TrimRight(line, "\r"), nil
		}
		line = append(line, b[0])
	}
	return nil, errors.New("line too long")
}

// replayConn returns pending bytes before reading the connection.
type replayConn struct {
	net.Conn
	pending []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

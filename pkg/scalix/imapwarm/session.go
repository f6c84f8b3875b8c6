// Package imapwarm is the IMAP warmer: as an admin acting as each user, it
// visits the user's folders so the server builds its indexes and caches
// before the users' first login: EXAMINE (read-only) then one streamed FETCH
// of every message, with the items the users' client will ask for (see
// Profile). It never changes a mailbox.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package imapwarm

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"provpipe/pkg/scalix/warm"
	"provpipe/pkg/shared/tlsconf"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
)

// Auth is how the admin becomes each user.
type Auth string

const (
	AuthMboxadmin Auth = "mboxadmin" // Scalix: LOGIN "mboxadmin:ADMIN:USER" ADMINPASSWORD
	AuthMaster    Auth = "master"    // Dovecot master user: LOGIN "USER*ADMIN" ADMINPASSWORD
	AuthAuthzid   Auth = "authzid"   // SASL PLAIN, authorization identity USER, authentication ADMIN
	AuthUser      Auth = "user"      // each user's own password
)

// TLSMode says how the connection is protected.
type TLSMode int

const (
	Plain TLSMode = iota
	ImplicitTLS
	StartTLS
)

// Config is everything a warming run needs to connect.
type Config struct {
	Addr           string
	TLS            TLSMode
	TLSConfig      *tls.Config
	ConnectTimeout time.Duration
	Timeout        time.Duration // no progress on a command for this long fails it
	Admin          string
	Password       string
	Auth           Auth
	MasterSep      string
	Folders        []string
	AllFolders     bool
	Fetch          string // FETCH items (see CheckFetchItems); "" is the default profile
	LoginOnly      bool   // log in and out, warm nothing (sxwarm --check)
	// Status asks STATUS of every other folder after warming (sxwarm
	// --status), as clients do when they open.
	Status bool
	Debug  io.Writer
	// CleartextOK lets a plain connection to a host that is not loopback
	// carry the password (sxwarm --send-password-in-clear). Without it
	// such a connection is upgraded with STARTTLS, or refused.
	CleartextOK bool
	// loopback tells whether a host is this machine; tests make a
	// loopback server stand for a remote one.
	loopback func(host string) bool
}

// needsTLS: a plain connection that would carry a password to another
// machine.
func (cfg *Config) needsTLS() bool {
	if cfg.TLS != Plain || cfg.CleartextOK {
		return false
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		host = cfg.Addr
	}
	loopback := cfg.loopback
	if loopback == nil {
		loopback = tlsconf.IsLoopback
	}
	return !loopback(host)
}

// session is one connection, logged in as one user.
type session struct {
	cfg    *Config
	client *imapclient.Client
	conn   net.Conn       // the TCP connection, to close
	guard  *guardConn     // its timeouts
	limit  *lineLimitConn // the bound on what go-imap reads
	raw    *divertConn    // under the client, for the raw FETCH
}

// dial connects and logs in as user.
func dial(cfg *Config, u warm.User) (*session, error) {
	s, err := connect(cfg, u.Login)
	if err != nil {
		return nil, err
	}
	if err := s.login(u); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// connect opens a connection and reads the greeting, with TLS as
// configured, all within --connect-timeout; trace names the user in --debug
// output.
func connect(cfg *Config, trace string) (*session, error) {
	guard, err := dialGuarded(cfg.Addr, cfg.ConnectTimeout, cfg.Timeout)
	if err != nil {
		return nil, warm.Transient(fmt.Errorf("connect %s: %w", cfg.Addr, err))
	}
	nc, err := secure(guard, cfg, trace)
	if err != nil {
		guard.Close()
		return nil, err
	}
	raw := &divertConn{Conn: nc}
	limit := &lineLimitConn{Conn: raw}
	client := imapclient.New(limit, &imapclient.Options{TLSConfig: cfg.TLSConfig})
	s := &session{cfg: cfg, client: client, conn: guard, guard: guard, limit: limit, raw: raw}
	if err := client.WaitGreeting(); err != nil {
		s.close()
		return nil, s.failed(fmt.Sprintf("no greeting from %s", cfg.Addr), err)
	}
	guard.connected()
	return s, nil
}

// secure adds TLS as configured, and the --debug trace above it.
func secure(nc net.Conn, cfg *Config, trace string) (net.Conn, error) {
	traced := func(c net.Conn) net.Conn {
		if cfg.Debug != nil {
			return newTraceConn(c, cfg.Debug, trace)
		}
		return c
	}
	switch cfg.TLS {
	case ImplicitTLS:
		tc := tls.Client(nc, cfg.TLSConfig)
		if err := tc.Handshake(); err != nil {
			return nil, fmt.Errorf("TLS with %s: %w", cfg.Addr, err)
		}
		return traced(tc), nil
	case StartTLS:
		tc, err := startTLS(traced(nc), nc, cfg)
		if err != nil {
			return nil, err
		}
		return traced(tc), nil
	}
	if cfg.needsTLS() {
		tc, err := startTLSOrRefuse(traced(nc), nc, cfg)
		if err != nil {
			return nil, err
		}
		return traced(tc), nil
	}
	return traced(nc), nil
}

// failed words an error go-imap returned: go-imap flattens the cause into
// text, so the connection's own record says whether it timed out (worth a
// retry) or the server broke the line limit (not worth one).
func (s *session) failed(op string, err error) error {
	if lerr := s.limit.failed; lerr != nil {
		return fmt.Errorf("%s: %w", op, lerr)
	}
	if terr := s.guard.failure(); terr != nil {
		return warm.Transient(fmt.Errorf("%s: %w", op, terr))
	}
	return classify(fmt.Errorf("%s: %w", op, err))
}

// LoginName is the login an admin uses to act as user, for the LOGIN schemes.
func LoginName(auth Auth, admin, user, sep string) string {
	switch auth {
	case AuthMboxadmin:
		return "mboxadmin:" + admin + ":" + user
	case AuthMaster:
		return user + sep + admin
	}
	return user
}

func (s *session) login(u warm.User) error {
	var err error
	switch s.cfg.Auth {
	case AuthAuthzid:
		err = s.client.Authenticate(sasl.NewPlainClient(u.Login, s.cfg.Admin, s.cfg.Password))
	case AuthUser:
		err = s.client.Login(u.Login, u.Password).Wait()
	default:
		err = s.client.Login(LoginName(s.cfg.Auth, s.cfg.Admin, u.Login, s.cfg.MasterSep), s.cfg.Password).Wait()
	}
	if err == nil {
		return nil
	}
	var ierr *imap.Error
	if errors.As(err, &ierr) && ierr.Type == imap.StatusResponseTypeNo && ierr.Code != imap.ResponseCodeUnavailable {
		return warm.AuthFailed(errors.New(ierr.Text))
	}
	return s.failed("login", err)
}

func (s *session) close() {
	if s.client != nil {
		s.client.Close()
	}
	s.conn.Close()
}

// logout ends the session politely.
func (s *session) logout() {
	s.client.Logout().Wait()
	s.close()
}

// listFolders returns every selectable folder of the user.
func (s *session) listFolders() ([]string, error) {
	list, err := s.client.List("", "*", nil).Collect()
	if err != nil {
		return nil, s.failed("LIST", err)
	}
	var names []string
	for _, l := range list {
		if !hasAttr(l.Attrs, imap.MailboxAttrNoSelect) && !hasAttr(l.Attrs, imap.MailboxAttrNonExistent) {
			names = append(names, l.Mailbox)
		}
	}
	return names, nil
}

func hasAttr(attrs []imap.MailboxAttr, want imap.MailboxAttr) bool {
	for _, a := range attrs {
		if strings.EqualFold(string(a), string(want)) {
			return true
		}
	}
	return false
}

// statusItems are what clients ask of the folders they list on opening
// (Thunderbird's folder pane: MESSAGES UNSEEN UIDNEXT; K-9: UIDVALIDITY):
// on a cold server any of them makes it build the folder's index.
var statusItems = &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true, NumUnseen: true}

// statusOthers asks STATUS of every selectable folder not warmed, as a
// client does when it opens, so the server builds those folders' indexes
// now rather than at the user's first login: one LIST ... RETURN (STATUS)
// where the server has LIST-STATUS, else LIST and a STATUS per folder. It
// returns how many folders answered, and a result per folder that failed.
func (s *session) statusOthers(warmed map[string]bool) (int, []warm.FolderResult) {
	if s.client.Caps().Has(imap.CapListStatus) {
		list, err := s.client.List("", "*", &imap.ListOptions{ReturnStatus: statusItems}).Collect()
		if err != nil {
			return 0, []warm.FolderResult{{Name: "*", Status: warm.StatusError, Err: s.failed("LIST RETURN (STATUS)", err)}}
		}
		n := 0
		for _, l := range list {
			if !warmed[l.Mailbox] && l.Status != nil {
				n++
			}
		}
		return n, nil
	}
	names, err := s.listFolders()
	if err != nil {
		return 0, []warm.FolderResult{{Name: "*", Status: warm.StatusError, Err: err}}
	}
	n := 0
	var failed []warm.FolderResult
	for _, name := range names {
		if warmed[name] {
			continue
		}
		start := time.Now()
		if _, err := s.client.Status(name, statusItems).Wait(); err != nil {
			failed = append(failed, warm.FolderResult{Name: name, Status: warm.StatusError,
				Seconds: time.Since(start).Seconds(), Err: s.failed(fmt.Sprintf("folder %q: STATUS", name), err)})
			if warm.IsTransient(failed[len(failed)-1].Err) {
				break // the connection is in doubt: the user is retried
			}
			continue
		}
		n++
	}
	return n, failed
}

// exists asks LIST whether a folder exists, for servers whose NO to EXAMINE
// carries no NONEXISTENT code.
func (s *session) exists(folder string) (bool, error) {
	list, err := s.client.List("", folder, nil).Collect()
	if err != nil {
		return false, s.failed(fmt.Sprintf("LIST %q", folder), err)
	}
	for _, l := range list {
		if l.Mailbox == folder || strings.EqualFold(folder, "INBOX") && strings.EqualFold(l.Mailbox, "INBOX") {
			return !hasAttr(l.Attrs, imap.MailboxAttrNonExistent), nil
		}
	}
	return false, nil
}

// warmFolder examines a folder and fetches every message, streaming.
func (s *session) warmFolder(folder string) warm.FolderResult {
	start := time.Now()
	res := warm.FolderResult{Name: folder}
	data, err := s.client.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		res.Status, res.Err = s.examineFailed(folder, err)
		res.Seconds = time.Since(start).Seconds()
		return res
	}
	if data.NumMessages > 0 {
		res.Messages, res.Bytes, err = s.fetchAll()
		if err != nil {
			res.Status, res.Err = warm.StatusError, s.failed(fmt.Sprintf("folder %q: FETCH", folder), err)
			res.Seconds = time.Since(start).Seconds()
			return res
		}
	}
	res.Status = warm.StatusOK
	res.Seconds = time.Since(start).Seconds()
	return res
}

// examineFailed tells a missing folder from a failure.
func (s *session) examineFailed(folder string, err error) (string, error) {
	var ierr *imap.Error
	if !errors.As(err, &ierr) || ierr.Type != imap.StatusResponseTypeNo {
		return warm.StatusError, s.failed(fmt.Sprintf("folder %q: EXAMINE", folder), err)
	}
	switch ierr.Code {
	case imap.ResponseCodeNonExistent:
		return warm.StatusMissing, nil
	case imap.ResponseCodeUnavailable:
		return warm.StatusError, fmt.Errorf("folder %q: EXAMINE: %w", folder, warm.Transient(err))
	}
	ok, lerr := s.exists(folder)
	if lerr != nil {
		return warm.StatusError, fmt.Errorf("folder %q: EXAMINE: %w", folder, lerr)
	}
	if !ok {
		return warm.StatusMissing, nil
	}
	return warm.StatusError, fmt.Errorf("folder %q: EXAMINE: %w", folder, err)
}

// fetchAll has the server send every message's data, counting it as it
// streams by without keeping or decoding any of it (see rawfetch.go), in
// the FETCHes Passes makes of the items; the first gives the counts.
func (s *session) fetchAll() (int, int64, error) {
	items := s.cfg.Fetch
	if items == "" {
		items = Profiles[0].Items
	}
	passes := Passes(items)
	sc, err := s.raw.fetch(fetchCommand(passes[0]))
	for _, p := range passes[1:] {
		if err != nil {
			break
		}
		_, err = s.raw.fetch(fetchCommand(p))
	}
	return sc.Messages, sc.Bytes, err
}

// classify marks the IMAP answers worth a retry as transient (BYE, NO
// [UNAVAILABLE]), and the network's failures as the engine does.
func classify(err error) error {
	var ierr *imap.Error
	if errors.As(err, &ierr) {
		if ierr.Code == imap.ResponseCodeUnavailable || ierr.Type == imap.StatusResponseTypeBye {
			return warm.Transient(err)
		}
		return err
	}
	return warm.NetworkTransient(err)
}

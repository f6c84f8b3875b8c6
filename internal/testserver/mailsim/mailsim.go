// Package mailsim is an embedded IMAP server, built on go-imap's imapserver
// and its in-memory backend, that behaves enough like a mail system's IMAP
// front end for sxwarm: it lets an admin act as any user in the four ways
// sxwarm knows (Scalix mboxadmin login, Dovecot master user, SASL PLAIN
// authorization identity, the user's own password), holds seeded users,
// folders and messages, and can inject faults: a connection dropped in the
// middle of a FETCH, a stall, NO [UNAVAILABLE], BYE, refused logins.
//
// It serves `make demo`, the unit and fault tests and the benchmarks.
package mailsim

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// FaultKind is a misbehaviour the server can show for one user.
type FaultKind int

const (
	NoFault       FaultKind = iota
	DropMidFetch            // close the connection after half the messages of a FETCH
	Stall                   // stop answering a FETCH for Fault.For
	NoUnavailable           // answer EXAMINE with NO [UNAVAILABLE]
	Bye                     // send BYE and close on EXAMINE
	RefuseLogin             // answer the login with NO [AUTHENTICATIONFAILED]
)

// Fault is injected for one user, Times times (0: every time).
type Fault struct {
	Kind  FaultKind
	Times int
	For   time.Duration // how long a Stall lasts
}

// Options configures a server.
type Options struct {
	Admin         string // the account allowed to act as others
	AdminPassword string
	MasterSep     string // separator of Dovecot-style master logins; default "*"
	// TLS, when set, is offered through STARTTLS, or used for the whole
	// connection when Implicit is set.
	TLS      *tls.Config
	Implicit bool
	Logger   *log.Logger // nil: discard the server's own log
	// Capacity, when set, is how many FETCHes the server works on at
	// once; more wait their turn. With PerMessage (the work per message of
	// a FETCH) it models a server whose throughput stops rising at
	// Capacity sessions while their latency keeps rising: what -j auto
	// must find.
	Capacity   int
	PerMessage time.Duration
}

// Server is a running embedded IMAP server.
type Server struct {
	opt      Options
	mem      *imapmemserver.Server
	imap     *imapserver.Server
	ln       net.Listener
	mu       sync.Mutex
	users    map[string]*account
	faults   map[string]*Fault
	logins   map[string]int
	fetches  map[string][]imap.FetchOptions // per user, every FETCH's items
	writes   []string                       // commands that could change a mailbox
	closed   chan struct{}
	serveErr chan error
	slots    chan struct{} // Capacity's FETCHes at work
}

// work holds one of Capacity's slots for PerMessage per message.
func (s *Server) work(messages int) {
	if s.slots == nil {
		return
	}
	select {
	case s.slots <- struct{}{}:
	case <-s.closed:
		return
	}
	defer func() { <-s.slots }()
	select {
	case <-time.After(time.Duration(messages) * s.opt.PerMessage):
	case <-s.closed:
	}
}

type account struct {
	password string
	mem      *imapmemserver.User
}

// New returns a server that is not listening yet.
func New(opt Options) *Server {
	if opt.MasterSep == "" {
		opt.MasterSep = "*"
	}
	s := &Server{
		opt:     opt,
		mem:     imapmemserver.New(),
		users:   map[string]*account{},
		faults:  map[string]*Fault{},
		logins:  map[string]int{},
		fetches: map[string][]imap.FetchOptions{},
		closed:  make(chan struct{}),
	}
	if opt.Capacity > 0 {
		s.slots = make(chan struct{}, opt.Capacity)
	}
	logger := opt.Logger
	if logger == nil {
		logger = log.New(io.Discard, "", 0)
	}
	s.imap = imapserver.New(&imapserver.Options{
		NewSession: func(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &session{srv: s, conn: c}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		Logger:       logger,
		InsecureAuth: true,
		TLSConfig:    tlsForStartTLS(opt),
	})
	return s
}

func tlsForStartTLS(opt Options) *tls.Config {
	if opt.Implicit {
		return nil
	}
	return opt.TLS
}

// Listen starts serving on addr ("127.0.0.1:0" picks a free port).
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("mailsim: listen %s: %w", addr, err)
	}
	if s.opt.Implicit && s.opt.TLS != nil {
		ln = tls.NewListener(ln, s.opt.TLS)
	}
	s.ln = ln
	s.serveErr = make(chan error, 1)
	go func() { s.serveErr <- s.imap.Serve(ln) }()
	return nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server and ends stalls.
func (s *Server) Close() error {
	select {
	case <-s.closed:
		return nil
	default:
	}
	close(s.closed)
	return s.imap.Close()
}

// AddUser creates a user with the given folders, each holding the given
// number of generated messages. A user with no folders has no mailbox at all.
func (s *Server) AddUser(name, password string, folders map[string]int) error {
	u := imapmemserver.NewUser(name, password)
	for folder, n := range folders {
		if err := u.Create(folder, nil); err != nil && folder != "INBOX" {
			return fmt.Errorf("mailsim: create %s/%s: %w", name, folder, err)
		}
		for i := 1; i <= n; i++ {
			msg := Message(name, folder, i)
			lit := bytes.NewReader(msg)
			when := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
			if _, err := u.Append(folder, lit, &imap.AppendOptions{Time: when}); err != nil {
				return fmt.Errorf("mailsim: append to %s/%s: %w", name, folder, err)
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[name] = &account{password: password, mem: u}
	return nil
}

// Message is the i-th generated message of a folder; tests use it to know
// the sizes the server will report.
func Message(user, folder string, i int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Sender %d <sender%d@example.com>\r\n", i, i)
	fmt.Fprintf(&b, "To: %s <user@example.com>\r\n", user)
	fmt.Fprintf(&b, "Subject: %s message %d\r\n", folder, i)
	fmt.Fprintf(&b, "Date: Thu, 01 Jan 2026 00:%02d:00 +0000\r\n", i%60)
	fmt.Fprintf(&b, "Message-ID: <%d.%s@example.com>\r\n", i, strings.ReplaceAll(folder, " ", "-"))
	b.WriteString("\r\n")
	fmt.Fprintf(&b, "Body of message %d in %s.\r\n%s\r\n", i, folder, strings.Repeat("lorem ipsum ", i%20))
	return []byte(b.String())
}

// SetFault injects a fault for a user (NoFault clears it).
func (s *Server) SetFault(user string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Kind == NoFault {
		delete(s.faults, user)
		return
	}
	f2 := f
	s.faults[user] = &f2
}

// takeFault returns the kind of fault to show now for user and kind, using up one.
func (s *Server) takeFault(user string, kinds ...FaultKind) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults[user]
	if f == nil {
		return Fault{}, false
	}
	for _, k := range kinds {
		if f.Kind != k {
			continue
		}
		shown := *f
		if f.Times > 0 {
			if f.Times--; f.Times == 0 {
				delete(s.faults, user)
			}
		}
		return shown, true
	}
	return Fault{}, false
}

// Logins returns how many times each user was logged in as, successfully.
func (s *Server) Logins() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.logins))
	for k, v := range s.logins {
		out[k] = v
	}
	return out
}

var errAuth = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "Authentication failed"}

// resolve finds the account a login acts as, or fails.
func (s *Server) resolve(authzid, authcid, password string) (string, *account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if authzid != "" && authzid != authcid {
		if authcid != s.opt.Admin || password != s.opt.AdminPassword {
			return "", nil, errAuth
		}
		return s.lookupLocked(authzid)
	}
	login := authcid
	if parts := strings.Split(login, ":"); len(parts) == 3 && parts[0] == "mboxadmin" {
		if parts[1] != s.opt.Admin || password != s.opt.AdminPassword {
			return "", nil, errAuth
		}
		return s.lookupLocked(parts[2])
	}
	if user, admin, ok := strings.Cut(login, s.opt.MasterSep); ok && admin == s.opt.Admin {
		if password != s.opt.AdminPassword {
			return "", nil, errAuth
		}
		return s.lookupLocked(user)
	}
	name, acct, err := s.lookupLocked(login)
	if err != nil || acct.password != password {
		return "", nil, errAuth
	}
	return name, acct, nil
}

func (s *Server) lookupLocked(name string) (string, *account, error) {
	acct := s.users[name]
	if acct == nil {
		return "", nil, errAuth
	}
	return name, acct, nil
}

// session is one connection.
type session struct {
	*imapmemserver.UserSession
	srv      *Server
	conn     *imapserver.Conn
	user     string
	selected uint32 // messages in the selected mailbox
}

var _ imapserver.SessionSASL = (*session)(nil)

func (sess *session) Close() error {
	if sess.UserSession == nil {
		return nil
	}
	return sess.UserSession.Close()
}

func (sess *session) Login(username, password string) error {
	return sess.login("", username, password)
}

func (sess *session) login(authzid, authcid, password string) error {
	name, acct, err := sess.srv.resolve(authzid, authcid, password)
	if err != nil {
		return err
	}
	if _, refused := sess.srv.takeFault(name, RefuseLogin); refused {
		return errAuth
	}
	sess.srv.mu.Lock()
	sess.srv.logins[name]++
	sess.srv.mu.Unlock()
	sess.user = name
	sess.UserSession = imapmemserver.NewUserSession(acct.mem)
	return nil
}

func (sess *session) AuthenticateMechanisms() []string { return []string{sasl.Plain} }

func (sess *session) Authenticate(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "unsupported SASL mechanism"}
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		return sess.login(identity, username, password)
	}), nil
}

func (sess *session) Select(name string, options *imap.SelectOptions) (*imap.SelectData, error) {
	if f, ok := sess.srv.takeFault(sess.user, NoUnavailable, Bye); ok {
		if f.Kind == Bye {
			sess.conn.Bye("mailsim: shutting down (injected)")
			return nil, errors.New("injected BYE")
		}
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable, Text: "Mailbox temporarily unavailable (injected)"}
	}
	if options == nil || !options.ReadOnly {
		sess.wrote("SELECT")
	}
	data, err := sess.UserSession.Select(name, options)
	if err == nil {
		sess.selected = data.NumMessages
	}
	return data, err
}

// Fetches returns the items of every FETCH sent as user, in order.
func (s *Server) Fetches(user string) []imap.FetchOptions {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]imap.FetchOptions(nil), s.fetches[user]...)
}

// Writes returns the commands received that can change a mailbox (SELECT
// rather than EXAMINE, STORE, EXPUNGE, APPEND, COPY, CREATE, ...), as
// "USER COMMAND", in order.
func (s *Server) Writes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.writes...)
}

func (sess *session) wrote(command string) {
	sess.srv.mu.Lock()
	sess.srv.writes = append(sess.srv.writes, sess.user+" "+command)
	sess.srv.mu.Unlock()
}

func (sess *session) Create(mailbox string, options *imap.CreateOptions) error {
	sess.wrote("CREATE")
	return sess.UserSession.Create(mailbox, options)
}

func (sess *session) Delete(mailbox string) error {
	sess.wrote("DELETE")
	return sess.UserSession.Delete(mailbox)
}

func (sess *session) Rename(mailbox, newName string, options *imap.RenameOptions) error {
	sess.wrote("RENAME")
	return sess.UserSession.Rename(mailbox, newName, options)
}

func (sess *session) Append(mailbox string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	sess.wrote("APPEND")
	return sess.UserSession.Append(mailbox, r, options)
}

func (sess *session) Expunge(w *imapserver.ExpungeWriter, uids *imap.UIDSet) error {
	sess.wrote("EXPUNGE")
	return sess.UserSession.Expunge(w, uids)
}

func (sess *session) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, options *imap.StoreOptions) error {
	sess.wrote("STORE")
	return sess.UserSession.Store(w, numSet, flags, options)
}

func (sess *session) Copy(numSet imap.NumSet, dest string) (*imap.CopyData, error) {
	sess.wrote("COPY")
	return sess.UserSession.Copy(numSet, dest)
}

func (sess *session) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	sess.srv.mu.Lock()
	sess.srv.fetches[sess.user] = append(sess.srv.fetches[sess.user], *options)
	for _, bs := range options.BodySection {
		if !bs.Peek {
			sess.srv.writes = append(sess.srv.writes, sess.user+" FETCH BODY[] (sets \\Seen)")
		}
	}
	for _, bs := range options.BinarySection {
		if !bs.Peek {
			sess.srv.writes = append(sess.srv.writes, sess.user+" FETCH BINARY[] (sets \\Seen)")
		}
	}
	sess.srv.mu.Unlock()
	sess.srv.work(int(sess.selected))
	f, ok := sess.srv.takeFault(sess.user, DropMidFetch, Stall)
	if !ok {
		return sess.UserSession.Fetch(w, numSet, options)
	}
	if f.Kind == Stall {
		select {
		case <-time.After(f.For):
		case <-sess.srv.closed:
		}
		return sess.UserSession.Fetch(w, numSet, options)
	}
	half := max(sess.selected/2, 1)
	var first imap.SeqSet
	first.AddRange(1, half)
	if err := sess.UserSession.Fetch(w, first, options); err != nil {
		return err
	}
	sess.conn.NetConn().Close()
	return errors.New("injected connection drop")
}

// Package oxsoapsim is a stand-in for Open-Xchange's OXContextService
// (SOAP 1.1, as appsuite-middleware's com.openexchange.admin.soap.context
// defines it), for tests and the demo: create, createModuleAccessByName and
// exists, with master credentials checked on every call, and the refusals
// OX makes: bad credentials (InvalidCredentialsException "Authentication
// failed"), a schema name together with a strategy, an id, quota or
// database id that is no integer (InvalidDataException), an existing id or
// name (ContextExistsException "Context N already exists!"). Faults have
// CXF's SOAP 1.1 shape: faultcode, faultstring (the exception's message)
// and a detail element named for the exception.
//
// Contexts live in memory. The server checks what a client must never do:
// two creates into one schema at once (Overlaps counts them). Faults are
// injected by request number (Inject).
package oxsoapsim

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Created is one context the server holds.
type Created struct {
	ID, Name, Schema, DatabaseID, Admin string
}

// FaultKind is a failure injected into one request.
type FaultKind int

const (
	// TimeoutAfterCommit creates the context, then never answers (the
	// client's timeout ends the request).
	TimeoutAfterCommit FaultKind = iota + 1
	// Unavailable answers 503 without a SOAP body (a proxy in front).
	Unavailable
	// Reset creates nothing and drops the connection.
	Reset
	// Deadlock answers OX's StorageException after its own retries.
	Deadlock
)

// Server is the stand-in's state; its ServeHTTP is the endpoint.
type Server struct {
	Login, Password string
	// Delay is how long each create holds its schema.
	Delay time.Duration
	// Hold, when set, is waited on inside every create (tests' lock step).
	Hold chan struct{}

	// Store keeps the contexts: in memory (New), or in MariaDB (DBStore).
	Store Store

	mu       sync.Mutex
	busy     map[string]int // creates in flight per schema (or database)
	overlaps int
	requests int
	faults   map[int]FaultKind
}

// New returns a server accepting the master login and password.
func New(login, password string) *Server {
	return &Server{Login: login, Password: password, Store: newMemStore(), busy: map[string]int{}, faults: map[int]FaultKind{}}
}

// Inject makes request number n (1 for the first request the server gets)
// fail as kind says.
func (s *Server) Inject(n int, kind FaultKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[n] = kind
}

// Contexts returns the contexts created, by id.
func (s *Server) Contexts() map[string]Created {
	out, err := s.Store.Contexts()
	if err != nil {
		panic(fmt.Sprintf("oxsoapsim: list the contexts: %v", err))
	}
	return out
}

// Overlaps is how many creates found another create of their schema in
// flight: a client with schema affinity makes none.
func (s *Server) Overlaps() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overlaps
}

// Requests is how many requests the server got.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// call is a request's operation and its fields by path ("ctx/id").
type call struct {
	op     string
	fields map[string]string
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	c, err := parseCall(body)
	if err != nil {
		fault(w, "", "Unmarshalling Error: "+err.Error())
		return
	}
	s.mu.Lock()
	s.requests++
	kind := s.faults[s.requests]
	s.mu.Unlock()
	switch kind {
	case Unavailable:
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	case Reset:
		drop(w)
		return
	}
	if c.fields["auth/login"] != s.Login || c.fields["auth/password"] != s.Password {
		fault(w, "InvalidCredentialsException", "Authentication failed")
		return
	}
	switch c.op {
	case "exists":
		s.exists(w, c)
	case "create", "createModuleAccessByName":
		if kind == Deadlock {
			fault(w, "StorageException", "Repetitively failed to write context into payload database")
			return
		}
		s.create(w, c, kind == TimeoutAfterCommit)
	default:
		fault(w, "", "Unexpected wrapper element "+c.op+" found")
	}
}

func (s *Server) exists(w http.ResponseWriter, c call) {
	ok, err := s.Store.Exists(c.fields["ctx/id"])
	if err != nil {
		fault(w, "StorageException", err.Error())
		return
	}
	answer(w, "exists", strconv.FormatBool(ok))
}

func (s *Server) create(w http.ResponseWriter, c call, hang bool) {
	f := c.fields
	id, schema, strategy := f["ctx/id"], f["schema_select_strategy/schemaName"], f["schema_select_strategy/strategy"]
	for _, n := range []struct{ name, value string }{{"context id", id}, {"maxQuota", f["ctx/maxQuota"]},
		{"database id", f["ctx/writeDatabase/id"]}, {"filestore id", f["ctx/filestoreId"]}} {
		if n.value == "" && n.name != "context id" {
			continue
		}
		if _, err := strconv.Atoi(n.value); err != nil {
			fault(w, "InvalidDataException", fmt.Sprintf("Invalid %s: %q", n.name, n.value))
			return
		}
	}
	if schema != "" && strategy != "" {
		fault(w, "InvalidDataException", "Only one of schema name or strategy may be set")
		return
	}
	if strategy != "" && strategy != "automatic" && strategy != "in-memory" {
		fault(w, "InvalidDataException", "Unknown schema select strategy: "+strategy)
		return
	}
	unit := schema
	if unit == "" {
		unit = "db:" + f["ctx/writeDatabase/id"]
	}
	name := f["ctx/name"]
	if name == "" {
		name = id
	}
	err := s.inSchema(unit, func() error {
		return s.Store.Create(Created{ID: id, Name: name, Schema: schema, DatabaseID: f["ctx/writeDatabase/id"], Admin: f["admin_user/name"]})
	})
	switch {
	case errors.Is(err, ErrExists):
		fault(w, "ContextExistsException", "Context "+id+" already exists!")
		return
	case err != nil:
		fault(w, "StorageException", err.Error())
		return
	}
	if hang {
		drop(w)
		return
	}
	answer(w, c.op, "<ns2:id>"+id+"</ns2:id>")
}

// inSchema runs the create's work as one create in flight in unit, and
// counts an overlap when another one is: the unit is free again before
// any answer leaves (or the connection is dropped after the commit, as a
// timeout after the commit is: the server's work was done).
func (s *Server) inSchema(unit string, work func() error) error {
	s.mu.Lock()
	if s.busy[unit] > 0 {
		s.overlaps++
	}
	s.busy[unit]++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.busy[unit]--
		s.mu.Unlock()
	}()
	if s.Hold != nil {
		<-s.Hold
	}
	time.Sleep(s.Delay)
	return work()
}

// parseCall reads the Body's operation element and every leaf under it.
func parseCall(body []byte) (call, error) {
	d := xml.NewDecoder(strings.NewReader(string(body)))
	c := call{fields: map[string]string{}}
	var path []string
	inBody := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return c, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case t.Name.Local == "Body":
				inBody = true
			case inBody && c.op == "":
				c.op = t.Name.Local
			case inBody:
				path = append(path, t.Name.Local)
			}
		case xml.EndElement:
			if len(path) > 0 && t.Name.Local == path[len(path)-1] {
				path = path[:len(path)-1]
			}
		case xml.CharData:
			if len(path) > 0 {
				c.fields[strings.Join(path, "/")] += string(t)
			}
		}
	}
	if c.op == "" {
		return c, fmt.Errorf("no operation in the SOAP body")
	}
	return c, nil
}

func answer(w http.ResponseWriter, op, ret string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	fmt.Fprintf(w, `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>`+
		`<ns:%sResponse xmlns:ns="http://soap.admin.openexchange.com" xmlns:ns2="http://dataobjects.soap.admin.openexchange.com/xsd">`+
		`<ns:return>%s</ns:return></ns:%sResponse></soap:Body></soap:Envelope>`, op, ret, op)
}

// fault answers as CXF does: HTTP 500, faultcode soap:Server, the message,
// and a detail element named for the exception (none for a parse error).
func fault(w http.ResponseWriter, exception, msg string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(http.StatusInternalServerError)
	var escaped strings.Builder
	xml.EscapeText(&escaped, []byte(msg))
	detail := ""
	if exception != "" {
		detail = fmt.Sprintf(`<detail><ns1:%s xmlns:ns1="http://soap.admin.openexchange.com"><ns2:%s xmlns:ns2="http://exceptions.rmi.admin.openexchange.com/xsd"/></ns1:%s></detail>`,
			exception, exception, exception)
	}
	fmt.Fprintf(w, `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>`+
		`<faultcode>soap:Server</faultcode><faultstring>%s</faultstring>%s</soap:Fault></soap:Body></soap:Envelope>`,
		escaped.String(), detail)
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// Store keeps the contexts.
type Store interface {
	// Create stores c, or returns ErrExists for a taken id or name, or
	// another error, which the server answers as a StorageException.
	Create(c Created) error
	Exists(id string) (bool, error)
	Contexts() (map[string]Created, error)
}

// ErrExists: the id or the name is taken.
var ErrExists = errors.New("exists")

// memStore keeps contexts in memory.
type memStore struct {
	mu       sync.Mutex
	contexts map[string]Created
	names    map[string]bool
}

func newMemStore() *memStore {
	return &memStore{contexts: map[string]Created{}, names: map[string]bool{}}
}

func (m *memStore) Create(c Created) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.contexts[c.ID]; ok || m.names[c.Name] {
		return ErrExists
	}
	m.contexts[c.ID], m.names[c.Name] = c, true
	return nil
}

func (m *memStore) Exists(id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.contexts[id]
	return ok, nil
}

func (m *memStore) Contexts() (map[string]Created, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]Created, len(m.contexts))
	for k, v := range m.contexts {
		out[k] = v
	}
	return out, nil
}

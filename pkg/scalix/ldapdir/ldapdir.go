// Package ldapdir lists people from an LDAP directory (Scalix serves its
// own under o=Scalix), a page at a time (RFC 2696), as directory entries.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package ldapdir

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"provpipe/pkg/scalix/directory"
	"provpipe/pkg/shared/field"
)

// Attributes names the LDAP attributes each entry field comes from.
type Attributes struct {
	Login, CN, Surname, Given, Mail string
}

// ScalixAttributes are the defaults: Scalix's IMAP server logs in by CN.
var ScalixAttributes = Attributes{Login: "cn", CN: "cn", Surname: "sn", Given: "givenName", Mail: "mail"}

// DefaultFilter selects people with a mailbox.
const DefaultFilter = "(&(objectClass=person)(mail=*))"

// Config says where and how to search.
type Config struct {
	URL          string // ldap:// or ldaps://
	StartTLS     bool
	TLSConfig    *tls.Config
	BindDN       string
	BindPassword string
	Base         string
	Filter       string
	Attrs        Attributes
	PageSize     uint32 // 0: no paging control (for servers without RFC 2696)
	Timeout      time.Duration
}

// ErrBind marks a refused bind (wrong DN or password): bad input, not a
// partial failure.
var ErrBind = errors.New("LDAP bind refused")

// Dir is an open, bound connection.
type Dir struct {
	cfg  Config
	conn *ldap.Conn
}

// Open connects, upgrades with StartTLS when asked and binds.
func Open(cfg Config) (*Dir, error) {
	if cfg.Filter == "" {
		cfg.Filter = DefaultFilter
	}
	if _, err := ldap.CompileFilter(cfg.Filter); err != nil {
		return nil, field.Errorf("Filter", "%q: %w", cfg.Filter, err)
	}
	conn, err := dial(cfg)
	if err != nil {
		return nil, err
	}
	d := &Dir{cfg: cfg, conn: conn}
	if err := d.bind(); err != nil {
		conn.Close()
		return nil, err
	}
	return d, nil
}

func dial(cfg Config) (*ldap.Conn, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "" {
		return nil, field.Errorf("URL", "%q: want ldap://HOST[:PORT] or ldaps://HOST[:PORT]", cfg.URL)
	}
	if cfg.StartTLS && u.Scheme == "ldaps" {
		return nil, field.Errorf("StartTLS", "with an ldaps:// URL: choose one")
	}
	tlsConf := cfg.TLSConfig
	if tlsConf == nil {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if tlsConf.ServerName == "" {
		tlsConf = tlsConf.Clone()
		tlsConf.ServerName = u.Hostname()
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	conn, err := ldap.DialURL(cfg.URL,
		ldap.DialWithDialer(&net.Dialer{Timeout: timeout}),
		ldap.DialWithTLSConfig(tlsConf))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", cfg.URL, err)
	}
	conn.SetTimeout(timeout)
	if cfg.StartTLS {
		if err := conn.StartTLS(tlsConf); err != nil {
			conn.Close()
			return nil, fmt.Errorf("StartTLS with %s: %w", cfg.URL, err)
		}
	}
	return conn, nil
}

func (d *Dir) bind() error {
	if d.cfg.BindDN == "" {
		return nil // anonymous
	}
	err := d.conn.Bind(d.cfg.BindDN, d.cfg.BindPassword)
	if err == nil {
		return nil
	}
	// The server's message says which; the password is never part of it.
	if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
		return fmt.Errorf("%w: %s as %q: wrong DN or password", ErrBind, d.cfg.URL, d.cfg.BindDN)
	}
	return fmt.Errorf("%w: %s as %q: %s", ErrBind, d.cfg.URL, d.cfg.BindDN, resultText(err))
}

// Close ends the session.
func (d *Dir) Close() error { return d.conn.Close() }

// All lists every entry the filter selects, in the server's order.
// An attribute that no entry has (a typo in --attr-login) is an error, not
// an empty list that warms nobody.
func (d *Dir) All() ([]directory.Entry, error) {
	entries, err := d.search(d.cfg.Filter)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Login != "" {
			return entries, nil
		}
	}
	if len(entries) > 0 {
		return nil, fmt.Errorf("none of the %d entries under %q has the login attribute %q", len(entries), d.cfg.Base, d.cfg.Attrs.Login)
	}
	return entries, nil
}

// Candidates lists the people a -U name may stand for: the filter ANDed with
// a match on CN or on surname and given name. The caller picks among them
// with directory.Resolve, so matching rules stay the same for every source.
func (d *Dir) Candidates(s directory.Spec) ([]directory.Entry, error) {
	return d.search(candidateFilter(d.cfg.Filter, d.cfg.Attrs, s))
}

// candidateFilter ANDs base with a match on the spec's names (and on the CN
// for a '[Given] Surname' spec), every value escaped (RFC 4515).
func candidateFilter(base string, a Attributes, s directory.Spec) string {
	names := "(" + a.Surname + "=" + ldap.EscapeFilter(s.Surname) + ")"
	if s.Given != "" {
		names = "(&" + names + "(" + a.Given + "=" + ldap.EscapeFilter(s.Given) + "))"
	}
	if !s.Tagged {
		names = "(|" + names + "(" + a.CN + "=" + ldap.EscapeFilter(s.Text) + "))"
	}
	return "(&" + base + names + ")"
}

// search runs one paged search and converts the entries.
func (d *Dir) search(filter string) ([]directory.Entry, error) {
	a := d.cfg.Attrs
	req := ldap.NewSearchRequest(d.cfg.Base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		filter, uniq(a.Login, a.CN, a.Surname, a.Given, a.Mail), nil)
	var paging *ldap.ControlPaging
	if d.cfg.PageSize > 0 {
		paging = ldap.NewControlPaging(d.cfg.PageSize)
		req.Controls = []ldap.Control{paging}
	}
	var out []directory.Entry
	for {
		res, err := d.conn.Search(req)
		if err != nil {
			return nil, fmt.Errorf("search %s under %q with %s: %s", d.cfg.URL, d.cfg.Base, filter, resultText(err))
		}
		for _, e := range res.Entries {
			out = append(out, d.entry(e))
		}
		cookie := pagingCookie(res)
		if paging == nil || len(cookie) == 0 {
			return out, nil
		}
		paging.SetCookie(cookie)
	}
}

func pagingCookie(res *ldap.SearchResult) []byte {
	c := ldap.FindControl(res.Controls, ldap.ControlTypePaging)
	if p, ok := c.(*ldap.ControlPaging); ok {
		return p.Cookie
	}
	return nil
}

func (d *Dir) entry(e *ldap.Entry) directory.Entry {
	a := d.cfg.Attrs
	return directory.Entry{
		Login:   e.GetAttributeValue(a.Login),
		CN:      e.GetAttributeValue(a.CN),
		Surname: e.GetAttributeValue(a.Surname),
		Given:   e.GetAttributeValue(a.Given),
		Mail:    e.GetAttributeValue(a.Mail),
		Formal:  e.DN,
		Source:  e.DN,
	}
}

func uniq(names ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		if n != "" && !seen[strings.ToLower(n)] {
			seen[strings.ToLower(n)] = true
			out = append(out, n)
		}
	}
	return out
}

// resultText keeps the server's diagnostic but not go-ldap's packet dump.
func resultText(err error) string {
	var le *ldap.Error
	if errors.As(err, &le) {
		msg := ldap.LDAPResultCodeMap[le.ResultCode]
		if le.Err != nil && le.Err.Error() != "" {
			msg += ": " + le.Err.Error()
		}
		return msg
	}
	return err.Error()
}

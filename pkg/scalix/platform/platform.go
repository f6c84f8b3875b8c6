// Package platform warms users' folders through the Scalix Platform API,
// which is what fills PlatformDb, the message-header database SWA and the
// Mobile client read: for each user it reads the mailbox path, the folder
// tree, then every page of each requested folder's message summaries.
//
// What is known of the API comes from SWA's configuration and public client
// code, not from a server we could test against:
//
//	GET {api}/userinfo?output=json                       -> {"mailbox": "/abr@scalix.com/mailbox", ...}
//	GET {api}{mailbox}?output=json&treeview=true         -> {"revision": ..., "folders": [{"name","dref","type","total","folders":[...]}]}
//	GET {api}{mailbox}/{dref}?output=json&sort=date&sort-direction=desc&start=N&end=M&detail=summary
//
// How an admin acts as another user is not documented, so the Basic (or
// Digest) user name is a template, "mboxadmin:{admin}:{user}" by default,
// as Scalix's IMAP server takes it.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package platform

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/icholy/digest"

	"provpipe/pkg/scalix/warm"
	"provpipe/pkg/shared/field"
	"provpipe/pkg/shared/tlsconf"
)

// DefaultLogin is the default --api-login template.
const DefaultLogin = "mboxadmin:{admin}:{user}"

// Config says how to reach the API and act as each user.
type Config struct {
	API       string // base URL, e.g. http://scalix:8080/api
	Admin     string
	Password  string
	Login     string // user name template with {admin} and {user}
	Realm     string // non-empty: answer a Digest challenge from this realm
	Folders   []string
	All       bool // every folder of the tree
	PageSize  int
	Timeout   time.Duration // one request, headers and body
	Connect   time.Duration // connecting; 0: 10s
	TLSConfig *tls.Config
	Debug     io.Writer // request trace, credentials redacted
	// CleartextOK lets the credentials go over http to a host that is not
	// loopback (sxwarm --send-password-in-clear).
	CleartextOK bool
}

// Client warms users through the API. It implements warm.Warmer.
type Client struct {
	cfg       Config
	transport *http.Transport
}

// New checks cfg and returns a client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.API)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, field.Errorf("API", "%q: want http(s)://HOST[:PORT]/api", cfg.API)
	}
	if u.Scheme == "http" && !cfg.CleartextOK && !tlsconf.IsLoopback(u.Hostname()) {
		// Basic sends the password itself, Digest a hash open to an
		// offline guess: either way not over a network in clear.
		return nil, field.Errorf("API", "%s: http to a host that is not this machine would send the admin's credentials in clear; use https (--ssl), or --send-password-in-clear if the network between is trusted", cfg.API)
	}
	cfg.API = strings.TrimSuffix(cfg.API, "/")
	if cfg.Login == "" {
		cfg.Login = DefaultLogin
	}
	if !strings.Contains(cfg.Login, "{user}") {
		return nil, field.Errorf("Login", "%q has no {user}: every user would be the same account", cfg.Login)
	}
	if cfg.PageSize < 1 {
		return nil, field.Errorf("PageSize", "must be at least 1")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg.TLSConfig
	if cfg.Connect == 0 {
		cfg.Connect = 10 * time.Second
	}
	tr.DialContext = (&net.Dialer{Timeout: cfg.Connect}).DialContext
	tr.MaxIdleConnsPerHost = 64
	return &Client{cfg: cfg, transport: tr}, nil
}

// LoginName is the user name the API sees when the admin acts as user.
func (c *Client) LoginName(user string) string {
	return strings.NewReplacer("{admin}", c.cfg.Admin, "{user}", user).Replace(c.cfg.Login)
}

// Probe checks that the API answers at all (any HTTP status), so a wrong
// URL or certificate is one clear error rather than one per user.
func (c *Client) Probe() error {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.API+"/userinfo?output=json", nil)
	if err != nil {
		return err
	}
	resp, err := c.transport.RoundTrip(req)
	if err != nil {
		return fmt.Errorf("cannot reach the Platform API %s: %w", c.cfg.API, err)
	}
	io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// WarmOnce makes one attempt for one user.
func (c *Client) WarmOnce(u warm.User) warm.Result {
	s := c.session(u)
	mailbox, err := s.mailbox()
	if err != nil {
		return warm.Result{Err: fmt.Errorf("user %q: %w", u.Login, err)}
	}
	tree, err := s.tree(mailbox)
	if err != nil {
		return warm.Result{Err: fmt.Errorf("user %q: %w", u.Login, err)}
	}
	var res warm.Result
	for _, want := range c.wanted(tree) {
		fr := s.warmFolder(mailbox, want, tree)
		if fr.Err != nil {
			fr.Err = fmt.Errorf("user %q: %w", u.Login, fr.Err)
		}
		res.Folders = append(res.Folders, fr)
		if fr.Err != nil && warm.IsTransient(fr.Err) {
			return res // the server is in doubt: retry the user
		}
	}
	return res
}

// wanted lists the folders to warm: -F, or every folder of the tree.
func (c *Client) wanted(tree map[string]folder) []string {
	if !c.cfg.All {
		return c.cfg.Folders
	}
	return sortedPaths(tree)
}

// session is one user's requests.
type session struct {
	c    *Client
	http *http.Client
	user string
}

func (c *Client) session(u warm.User) *session {
	login := c.LoginName(u.Login)
	var rt http.RoundTripper = &basicAuth{user: login, password: c.cfg.Password, next: c.transport}
	if c.cfg.Realm != "" {
		rt = &digest.Transport{Username: login, Password: c.cfg.Password, Transport: c.transport,
			FindChallenge: c.realmChallenge}
	}
	if c.cfg.Debug != nil {
		rt = &traceTransport{w: c.cfg.Debug, user: u.Login, next: rt}
	}
	return &session{c: c, http: &http.Client{Transport: rt, Timeout: c.cfg.Timeout}, user: u.Login}
}

// realmChallenge accepts only a Digest challenge from the configured realm.
func (c *Client) realmChallenge(h http.Header) (*digest.Challenge, error) {
	ch, err := digest.FindChallenge(h)
	if err != nil {
		return nil, err
	}
	if ch.Realm != c.cfg.Realm {
		return nil, fmt.Errorf("%w: server's Digest realm is %q, not --realm %q", errWrongRealm, ch.Realm, c.cfg.Realm)
	}
	return ch, nil
}

// errWrongRealm: answering would send a digest of the password to a realm
// the operator did not name. Not worth a retry.
var errWrongRealm = errors.New("digest challenge refused")

type basicAuth struct {
	user, password string
	next           http.RoundTripper
}

func (b *basicAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.SetBasicAuth(b.user, b.password)
	return b.next.RoundTrip(req)
}

// get fetches path (relative to the API) and decodes its JSON into v,
// returning the body's size. Errors say whether a retry may help.
func (s *session) get(path string, v any) (int64, error) {
	resp, err := s.http.Get(s.c.cfg.API + path)
	if errors.Is(err, errWrongRealm) {
		return 0, warm.AuthFailed(err)
	}
	if err != nil {
		return 0, warm.Transient(fmt.Errorf("GET %s: %w", redactQuery(path), err))
	}
	defer resp.Body.Close()
	if err := statusError(resp, path); err != nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return 0, err
	}
	counter := &countingReader{r: resp.Body}
	if err := json.NewDecoder(counter).Decode(v); err != nil {
		if warm.IsTransient(warm.NetworkTransient(err)) {
			return counter.n, warm.Transient(fmt.Errorf("GET %s: reading the answer: %w", redactQuery(path), err))
		}
		return counter.n, fmt.Errorf("GET %s: not the JSON expected: %w", redactQuery(path), err)
	}
	return counter.n, nil
}

// statusError maps an HTTP status to an error: 401 and 403 are refused
// logins (never retried), 5xx and 429 are worth a retry.
func statusError(resp *http.Response, path string) error {
	code := resp.StatusCode
	where := "GET " + redactQuery(path)
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return warm.AuthFailed(fmt.Errorf("%s: %s", where, resp.Status))
	case code >= 500 || code == http.StatusTooManyRequests:
		return warm.Transient(fmt.Errorf("%s: %s", where, resp.Status))
	}
	return fmt.Errorf("%s: %s", where, resp.Status)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// redactQuery keeps messages short: the path without its query.
func redactQuery(path string) string {
	p, _, _ := strings.Cut(path, "?")
	return p
}

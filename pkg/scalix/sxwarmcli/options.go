package sxwarmcli

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"provpipe/pkg/scalix/imapwarm"
	"provpipe/pkg/scalix/platform"
	"provpipe/pkg/scalix/warm"
	"provpipe/pkg/scalix/warmreport"
)

// warmer builds the IMAP or Platform API warmer and the check that its
// server can be reached.
// warmer checks the flags together and builds the warmer they describe.
// With askPassword false it makes every check but finding the password
// (--dry-run: everything a run checks before it connects, no prompt).
func (c *Command) warmer(askPassword bool) (warm.Warmer, func() error, error) {
	if c.Via == "platform" {
		if c.Fetch != "" || c.Profile != "default" || c.Check {
			return nil, nil, fmt.Errorf("--fetch, --profile and --check are for IMAP; the Platform API reads what it reads")
		}
		p, err := c.platform(askPassword)
		if err != nil {
			return nil, nil, err
		}
		return p, p.Probe, nil
	}
	if c.API != "" || c.Realm != "" {
		return nil, nil, fmt.Errorf("--api and --realm are for --via platform")
	}
	cfg, err := c.config(askPassword)
	if err != nil {
		return nil, nil, err
	}
	return cfg, func() error { return imapwarm.Probe(cfg) }, nil
}

// loginForm is how the admin logs in as user, as sent (without a password).
func (c *Command) loginForm(user string) string {
	if c.Via == "platform" {
		return fmt.Sprintf("HTTP user %q (--api-login %s)", strings.NewReplacer("{admin}", c.User, "{user}", user).Replace(c.APILogin), c.APILogin)
	}
	switch imapwarm.Auth(c.Auth) {
	case imapwarm.AuthAuthzid:
		return fmt.Sprintf("AUTHENTICATE PLAIN, authorization identity %q, authentication identity %q (--auth authzid)", user, c.User)
	case imapwarm.AuthUser:
		return fmt.Sprintf("LOGIN %q with the user's own password (--auth user)", user)
	}
	return fmt.Sprintf("LOGIN %q (--auth %s)", imapwarm.LoginName(imapwarm.Auth(c.Auth), c.User, user, c.MasterSep), c.Auth)
}

func skipSet(names []string) map[string]bool {
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out
}

func (c *Command) config(askPassword bool) (*imapwarm.Config, error) {
	cfg := &imapwarm.Config{
		Addr: hostPort(c.Host, c.SSL), ConnectTimeout: c.ConnectTimeout, Timeout: c.Timeout,
		Admin: c.User, Auth: imapwarm.Auth(c.Auth), MasterSep: c.MasterSep,
		AllFolders: c.AllFolders, LoginOnly: c.Check, Status: c.Status && !c.AllFolders,
	}
	var err error
	if cfg.Fetch, err = c.fetchItems(); err != nil {
		return nil, err
	}
	if c.Debug {
		cfg.Debug = c.env.Stderr
	}
	if cfg.Folders, err = c.foldersAndJobs(); err != nil {
		return nil, err
	}
	if err = c.tls(cfg); err != nil {
		return nil, err
	}
	if cfg.Auth == imapwarm.AuthUser {
		return cfg, nil
	}
	if c.User == "" {
		return nil, fmt.Errorf("--auth %s needs the admin account: -u ADMIN", c.Auth)
	}
	if !askPassword {
		return cfg, nil
	}
	pw, err := c.password()
	if err != nil {
		return nil, err
	}
	cfg.Password = pw
	return cfg, nil
}

// fetchItems is what each folder's FETCH asks for: --fetch, checked, or
// the --profile's items.
func (c *Command) fetchItems() (string, error) {
	if c.Fetch != "" {
		if c.Profile != "default" {
			return "", fmt.Errorf("give --fetch or --profile, not both")
		}
		items, err := imapwarm.CheckFetchItems(c.Fetch)
		if err != nil {
			return "", fmt.Errorf("--fetch: %w", err)
		}
		return items, nil
	}
	p, err := imapwarm.FindProfile(c.Profile)
	if err != nil {
		return "", fmt.Errorf("--profile: %w", err)
	}
	return p.Items, nil
}

// maxJobs bounds --jobs: each session costs a connection and buffers.
const maxJobs = 1000

// foldersAndJobs checks what both ways of warming need: something to warm
// and at least one session.
func (c *Command) foldersAndJobs() ([]string, error) {
	folders := splitList(c.Folders)
	if len(folders) == 0 && !c.AllFolders {
		return nil, fmt.Errorf("no folders to warm: give -F or --all-folders")
	}
	seen := map[string]bool{}
	for _, f := range folders {
		if seen[f] {
			return nil, fmt.Errorf("-F names folder %q twice", f)
		}
		seen[f] = true
	}
	if _, _, err := c.jobs(); err != nil {
		return nil, err
	}
	return folders, nil
}

// jobs reads -j: the sessions to start with and the most there may be
// (both N, or 1 and --max-jobs for auto).
func (c *Command) jobs() (start, most int, err error) {
	if c.MaxJobs < 1 || c.MaxJobs > maxJobs {
		return 0, 0, fmt.Errorf("--max-jobs must be between 1 and %d, not %d", maxJobs, c.MaxJobs)
	}
	if c.Jobs == "auto" {
		if c.AutoInterval < 100*time.Millisecond {
			return 0, 0, fmt.Errorf("--auto-interval must be at least 100ms, not %s", c.AutoInterval)
		}
		return 1, c.MaxJobs, nil
	}
	n, err := strconv.Atoi(c.Jobs)
	if err != nil || n < 1 || n > maxJobs {
		return 0, 0, fmt.Errorf("--jobs must be auto or between 1 and %d, not %q (more sessions than that overload any server; use GNU parallel across hosts)", maxJobs, c.Jobs)
	}
	return n, n, nil
}

func (c *Command) password() (string, error) {
	want := adminPassword
	want.Prompt = fmt.Sprintf("Password for %s: ", c.User)
	return c.Admin.Resolve(want, c.env, c.readsStdin())
}

func (c *Command) readsStdin() bool {
	if c.Users != "" {
		return false
	}
	if len(c.Files) == 0 {
		return true
	}
	for _, f := range c.Files {
		if f == "-" {
			return true
		}
	}
	return false
}

// tls sets how the connection is protected. A plain one gets the TLS
// settings too: to a host that is not loopback it is upgraded with
// STARTTLS when offered (or refused), unless --send-password-in-clear.
func (c *Command) tls(cfg *imapwarm.Config) error {
	switch {
	case c.SSL:
		cfg.TLS = imapwarm.ImplicitTLS
	case c.StartTLS:
		cfg.TLS = imapwarm.StartTLS
	}
	if c.SendPasswordInClear && cfg.TLS != imapwarm.Plain {
		return fmt.Errorf("--send-password-in-clear is for a plain connection; --ssl and --starttls protect the password")
	}
	cfg.CleartextOK = c.SendPasswordInClear
	host, _, _ := net.SplitHostPort(cfg.Addr)
	tc, err := c.TLSConfig(host)
	cfg.TLSConfig = tc
	return err
}

func hostPort(host string, ssl bool) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	port := "143"
	if ssl {
		port = "993"
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), port)
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// platform builds the Platform API warmer from the flags.
func (c *Command) platform(askPassword bool) (*platform.Client, error) {
	api, err := c.apiURL()
	if err != nil {
		return nil, err
	}
	if c.StartTLS {
		return nil, fmt.Errorf("--starttls is for IMAP; the Platform API uses https (--ssl or an https:// --api)")
	}
	if c.Auth != "mboxadmin" {
		return nil, fmt.Errorf("--auth is for IMAP; with --via platform the login is --api-login %q", c.APILogin)
	}
	if c.User == "" {
		return nil, fmt.Errorf("--via platform needs the admin account: -u ADMIN")
	}
	folders, err := c.foldersAndJobs()
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(api)
	tc, err := c.TLSConfig(u.Hostname())
	if err != nil {
		return nil, err
	}
	pw := ""
	if askPassword {
		if pw, err = c.password(); err != nil {
			return nil, err
		}
	}
	cfg := platform.Config{
		API: api, Admin: c.User, Password: pw, Login: c.APILogin, Realm: c.Realm,
		Folders: folders, All: c.AllFolders, PageSize: c.PageSize, Timeout: c.Timeout, Connect: c.ConnectTimeout, TLSConfig: tc,
		CleartextOK: c.SendPasswordInClear,
	}
	if c.Debug {
		cfg.Debug = c.env.Stderr
	}
	return platform.New(cfg)
}

// apiURL is --api as given, or built from HOST[:PORT] (http, or https with
// --ssl) and the path /api.
func (c *Command) apiURL() (string, error) {
	api := c.API
	if api == "" {
		return "", fmt.Errorf("--via platform needs --api URL (SWA's swa.platform.url, e.g. http://scalix.example.com:8080/api)")
	}
	if strings.Contains(api, "://") {
		if c.SSL && strings.HasPrefix(api, "http://") {
			return "", fmt.Errorf("--ssl with an http:// --api: give https:// or drop --ssl")
		}
		return api, nil
	}
	scheme := "http"
	if c.SSL {
		scheme = "https"
	}
	return scheme + "://" + strings.TrimSuffix(api, "/") + "/api", nil
}

// format is --format, with auto resolved: the seed's text lines for a
// person at a terminal, tsv for a pipe, a file or --append.
func (c *Command) format() string {
	switch {
	case c.Format != "auto":
		return c.Format
	case c.Append == "" && c.env.StdoutTerminal:
		return warmreport.Text
	}
	return warmreport.TSV
}

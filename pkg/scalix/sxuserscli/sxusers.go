// Package sxuserscli is the sxusers command: its flags, the one user
// source they name, and the stream of users it writes for sxwarm.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package sxuserscli

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"provpipe/pkg/scalix/directory"
	"provpipe/pkg/scalix/ldapdir"
	"provpipe/pkg/shared/cli"
	"provpipe/pkg/shared/field"
	"provpipe/pkg/shared/secret"
	"provpipe/pkg/shared/tlsconf"
)

// Command holds sxusers' flags.
type Command struct {
	cli.VersionFlag
	File     string `short:"f" placeholder:"FILE" help:"Read omsearch output from FILE (- is stdin) instead of running omsearch."`
	Users    string `short:"U" placeholder:"NAMES" help:"Comma-separated names, '[Given] Surname' or 'S=Surname[/G=Given]'; resolved against -f, --ldap or --omsearch when given, else written as given."`
	Omsearch string `placeholder:"PATH" help:"omsearch to run (default: omsearch on PATH, else /opt/scalix/bin/omsearch)."`

	LDAP                string `name:"ldap" placeholder:"URL" help:"Search this LDAP directory (ldap://HOST[:PORT] or ldaps://...)."`
	StartTLS            bool   `name:"starttls" help:"Upgrade the LDAP connection with StartTLS."`
	SendPasswordInClear bool   `help:"Bind with the password over ldap:// without --starttls to a host that is not this machine: only on a network you trust."`
	tlsconf.Flags
	Base        string        `default:"o=Scalix" help:"Search base."`
	BindDN      string        `name:"bind-dn" placeholder:"DN" help:"Bind as DN (Scalix: cn=sxqueryadmin,o=scalix); anonymous when empty."`
	Bind        secret.Flags  `kong:"embed,prefix='bind-',set='short=w',set='alt=p',set='what=bind password',set='envvar=SXUSERS_BIND_PASSWORD'"`
	Filter      string        `default:"${ldapfilter}" help:"LDAP filter selecting the people to list."`
	AttrLogin   string        `default:"cn" help:"Attribute holding the login name."`
	AttrCN      string        `name:"attr-cn" default:"cn" help:"Attribute holding the common name."`
	AttrSurname string        `default:"sn" help:"Attribute holding the surname."`
	AttrGiven   string        `default:"givenName" help:"Attribute holding the given name."`
	AttrMail    string        `default:"mail" help:"Attribute holding the mail address."`
	PageSize    uint32        `default:"500" help:"Entries per LDAP page (RFC 2696 paged results); 0 asks for everything at once."`
	Timeout     time.Duration `default:"30s" help:"LDAP connect and operation timeout."`
	Format      string        `enum:"lines,csv,jsonl" default:"lines" help:"Output: lines (login names), csv (login,cn,surname,given,mail,formal) or jsonl."`
	Exclude     []string      `placeholder:"NAME" help:"Leave out this login (repeatable)."`
	Match       string        `placeholder:"REGEX" help:"Keep only logins matching this regular expression."`
	Quiet       bool          `short:"q" help:"No 'Searching for users...' line on stderr."`

	directoryUsed string // names the directory -U names were resolved in
	env           *cli.Env
}

// Program names and describes sxusers.
var Program = cli.Program{Name: "sxusers", Vars: map[string]string{"ldapfilter": ldapdir.DefaultFilter},
	Fields: field.Names{"URL": "--ldap", "StartTLS": "--starttls", "Filter": "--filter", "Omsearch": "--omsearch", "CA": "--ca"},
	Description: `Find the users to warm and write them, one per line, for sxwarm.

Sources, one per run: omsearch (the default; run as root on the Scalix
server), -f FILE of omsearch output, --ldap URL, or -U NAMES. With -U and a
directory (-f, --ldap or --omsearch), each name is resolved to one person.`}

// Main runs sxusers with args and returns its exit status.
func Main(args []string, env *cli.Env) int {
	return cli.Main(Program, &Command{}, args, env)
}

var bindPassword = secret.Want{Tool: "sxusers", What: "bind password", Env: "SXUSERS_BIND_PASSWORD", Flags: "--bind-password, --bind-password-file"}

// Run lists the users; a signal stops the listing (omsearch, a file or
// stdin, LDAP) with nothing written.
func (c *Command) Run(ctx context.Context, env *cli.Env) error {
	c.env = env
	filter, err := c.filter()
	if err != nil {
		return err
	}
	specs, err := c.specs()
	if err != nil {
		return err
	}
	src, bad, closeSrc, err := c.source(ctx, specs != nil)
	if ctx.Err() != nil { // omsearch stopped by the signal, not refused; or stdin ended by it
		return cli.Interrupted(ctx, "no user written")
	}
	if err != nil {
		return err
	}
	defer closeSrc()
	for _, le := range bad {
		env.Warnf("sxusers", "%v", le)
	}
	entries, failed, err := c.collect(src, specs)
	if ctx.Err() != nil {
		return cli.Interrupted(ctx, "no user written")
	}
	if err != nil {
		// The directory failed as a whole (a refused search): nothing was done.
		return err
	}
	entries = directory.Dedup(entries)
	found := len(entries)
	entries = filter.Apply(entries)
	switch {
	case found == 0 && failed+len(bad) > 0:
		return fmt.Errorf("no users: every line or name was refused (%d), see above", failed+len(bad))
	case found == 0:
		// An empty list would warm nobody and look like success.
		return fmt.Errorf("%s: no users in it (empty, or comments only)", c.directoryName())
	case len(entries) == 0:
		return fmt.Errorf("no users left: --exclude and --match left out all %s from %s", cli.Count(found, "user"), c.directoryName())
	}
	if !c.Quiet {
		fmt.Fprintf(env.Stderr, "Searching for users... found %d.\n", len(entries))
	}
	if err := directory.Write(env.Stdout, c.Format, entries); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if failed += len(bad); failed > 0 {
		return &cli.PartialError{Failed: failed, Total: failed + len(entries)}
	}
	return nil
}

// collect lists the source, or resolves the -U names against it.
func (c *Command) collect(src directory.Source, specs []directory.Spec) ([]directory.Entry, int, error) {
	switch {
	case specs == nil:
		all, err := src.All()
		return c.dropNoLogin(all), 0, err
	case src == nil:
		out := make([]directory.Entry, len(specs))
		for i, s := range specs {
			out[i] = directory.Unresolved(s)
		}
		return out, 0, nil
	}
	return directory.ResolveAll(src, specs, func(err error) {
		c.env.Warnf("sxusers", "%v (in %s)", err, c.directoryUsed)
	})
}

// dropNoLogin leaves out entries without a login (an LDAP entry without the
// login attribute), naming each on stderr.
func (c *Command) dropNoLogin(all []directory.Entry) []directory.Entry {
	out := all[:0:0]
	for _, e := range all {
		if e.Login == "" {
			c.env.Warnf("sxusers", "%s: no %s attribute, left out", e.Source, c.AttrLogin)
			continue
		}
		out = append(out, e)
	}
	return out
}

func (c *Command) filter() (directory.Filter, error) {
	f := directory.Filter{Exclude: map[string]bool{}}
	for _, n := range c.Exclude {
		f.Exclude[n] = true
	}
	if c.Match != "" {
		re, err := regexp.Compile(c.Match)
		if err != nil {
			return f, fmt.Errorf("--match: %w", err)
		}
		f.Match = re
	}
	return f, nil
}

func (c *Command) specs() ([]directory.Spec, error) {
	if c.Users == "" {
		return nil, nil
	}
	return directory.ParseSpecList(c.Users)
}

// source opens the one directory the flags name. With -U and no directory
// named, it returns nil: the names are written as given.
func (c *Command) source(ctx context.Context, haveSpecs bool) (directory.Source, []*directory.LineError, func(), error) {
	noop := func() {}
	if c.File != "" && c.LDAP != "" {
		return nil, nil, noop, fmt.Errorf("-f and --ldap are two sources: give one")
	}
	switch {
	case c.LDAP != "":
		d, err := c.openLDAP()
		if err != nil {
			return nil, nil, noop, err
		}
		c.directoryUsed = c.LDAP
		return d, nil, func() { d.Close() }, nil
	case c.File != "":
		entries, bad, err := c.readFile()
		c.directoryUsed = c.File
		return directory.List(entries), bad, noop, err
	case haveSpecs && c.Omsearch == "":
		return nil, nil, noop, nil
	}
	path, err := directory.FindOmsearch(c.Omsearch)
	if err != nil {
		return nil, nil, noop, fmt.Errorf("%w; omsearch runs on the Scalix server as root. Elsewhere use -f FILE (omsearch output), --ldap URL or -U NAMES", err)
	}
	entries, bad, err := directory.RunOmsearch(ctx, path)
	if err != nil {
		return nil, nil, noop, fmt.Errorf("%w\nomsearch normally needs root: run sxusers as root (sudo), or use -f FILE, --ldap URL or -U NAMES", err)
	}
	c.directoryUsed = "omsearch"
	return directory.List(entries), bad, noop, nil
}

func (c *Command) readFile() ([]directory.Entry, []*directory.LineError, error) {
	in, name, err := cli.OpenInput(c.env, c.File)
	if err != nil {
		return nil, nil, fmt.Errorf("-f: %w", err)
	}
	defer in.Close()
	return directory.ParseOmsearch(in, name)
}

func (c *Command) openLDAP() (*ldapdir.Dir, error) {
	cfg := ldapdir.Config{
		URL: c.LDAP, StartTLS: c.StartTLS, BindDN: c.BindDN, Base: c.Base, Filter: c.Filter,
		Attrs:    ldapdir.Attributes{Login: c.AttrLogin, CN: c.AttrCN, Surname: c.AttrSurname, Given: c.AttrGiven, Mail: c.AttrMail},
		PageSize: c.PageSize, Timeout: c.Timeout,
	}
	// ldapdir fills in the server name from the URL.
	tlsConf, err := c.TLSConfig("")
	if err != nil {
		return nil, err
	}
	cfg.TLSConfig = tlsConf
	if c.BindDN != "" {
		if err := c.bindProtected(); err != nil {
			return nil, err
		}
		if cfg.BindPassword, err = c.Bind.Resolve(bindPassword, c.env, false); err != nil {
			return nil, err
		}
	}
	return ldapdir.Open(cfg)
}

// bindProtected refuses a simple bind that would send the bind password in
// clear to another machine: ldap:// without --starttls, to a host that is
// not loopback, unless --send-password-in-clear.
func (c *Command) bindProtected() error {
	u, err := url.Parse(c.LDAP)
	if err != nil || u.Scheme != "ldap" || c.StartTLS || c.SendPasswordInClear || tlsconf.IsLoopback(u.Hostname()) {
		return nil // ldapdir words a bad URL
	}
	return fmt.Errorf("--ldap %s: a bind to a host that is not this machine would send the bind password in clear; use --starttls or ldaps://, or --send-password-in-clear if the network between is trusted", c.LDAP)
}

// ManSections adds to the man page what --help has no room for.
func (c *Command) ManSections() []cli.ManSection {
	return []cli.ManSection{
		{Title: "omsearch output", Body: `Read from omsearch (run as root with -d SYSTEM -e 'ENTRY-TYPE=1' -m 'CN/IA-FORMAL' -s) or from -f FILE, one person per line:

  User0 Test0                          a plain CN
  User0 Test0/S=Test0/G=User0/OU1=n1   a CN, then the formal address
  S=Test0/G=User0/OU1=n1               the tagged form only (CN= or S= needed)

The CN is the text before the first '/'; blanks are trimmed and runs of blanks become one space. Blank lines, lines starting with #, and header lines (CN/IA-FORMAL, rules of - or =) are skipped. A line that cannot be read is reported with its line number and left out (exit status 1).`},
		{Title: "Names (-U)", Body: `'[Given] Surname' matches a person with that surname (and given name), or whose CN is exactly the text; 'S=Surname[/G=Given]' matches the names only. Case is ignored. A name matching nobody, or several people, is reported with the candidates and left out (exit status 1).`},
		{Title: "Environment", Body: `SXUSERS_BIND_PASSWORD: the LDAP bind password, when neither --bind-password nor --bind-password-file is given.`},
		{Title: "Examples", Body: `  sxusers | sxwarm -u sxadmin --password-file pw
  sxusers -f /tmp/users.list --exclude sxqueryadmin
  sxusers --ldap ldap://scalix.example.com --bind-dn cn=sxqueryadmin,o=scalix --bind-password-file q.pw --format csv
  sxusers -f users.list -U 'User0 Test0,S=Test3,S=Test4/G=User4'`},
	}
}

// directoryName names the source for messages.
func (c *Command) directoryName() string {
	if c.directoryUsed == "" {
		return "-U"
	}
	if c.directoryUsed == "-" {
		return "stdin"
	}
	return c.directoryUsed
}

// Package sxwarmcli is the sxwarm command: its flags, checked together
// (options.go), the user list they select (users.go) and a run of the
// warming engine with its output and summary (run.go).
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package sxwarmcli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"provpipe/pkg/scalix/imapwarm"
	"provpipe/pkg/scalix/platform"
	"provpipe/pkg/scalix/warm"
	"provpipe/pkg/scalix/warmreport"
	"provpipe/pkg/shared/cli"
	"provpipe/pkg/shared/field"
	"provpipe/pkg/shared/safetext"
	"provpipe/pkg/shared/secret"
	"provpipe/pkg/shared/tlsconf"
)

// Command holds sxwarm's flags; its methods check them together and
// build what the warming engine and its warmers take.
type Command struct {
	cli.VersionFlag
	Files []string `arg:"" optional:"" help:"Files of user names (one per line, or CSV with a login column); - is stdin (the default)."`
	Users string   `short:"U" placeholder:"A,B,C" help:"Comma-separated user names, instead of files."`
	Input string   `default:"auto" enum:"auto,lines,csv,jsonl" help:"Input format: auto (told by the first line), lines, csv (a login column) or jsonl (a login field), as sxusers writes them."`
	Match string   `placeholder:"REGEX" help:"Warm only the users whose login matches this regular expression (the others keep their place in N of M)."`

	Via                 string `default:"imap" enum:"imap,platform" help:"Warm over IMAP (the server's caches) or through the Scalix Platform API (PlatformDb, read by SWA and Mobile; its endpoints and admin login are as documented, not verified against a Scalix server: see the man page)."`
	Host                string `default:"localhost" help:"IMAP server HOST[:PORT] (port 143, or 993 with --ssl)."`
	SSL                 bool   `short:"S" help:"Implicit TLS for IMAP (port 993); https for --api HOST." xor:"tls"`
	StartTLS            bool   `name:"starttls" help:"Upgrade the connection with STARTTLS." xor:"tls"`
	SendPasswordInClear bool   `help:"Send the password without TLS to a host that is not this machine (IMAP LOGIN on a server without STARTTLS, the Platform API over http): only on a network you trust."`
	tlsconf.Flags
	ConnectTimeout time.Duration `default:"10s" help:"Timeout for connecting."`
	Timeout        time.Duration `default:"60s" help:"Fail an IMAP command that makes no progress for this long (with --via platform: one HTTP request)."`

	API      string `name:"api" placeholder:"URL" help:"Platform API base URL (http://HOST:8080/api), or HOST[:PORT] (http, https with --ssl); for --via platform."`
	APILogin string `name:"api-login" default:"${apilogin}" placeholder:"TEMPLATE" help:"Platform API user name; {admin} and {user} are replaced."`
	Realm    string `placeholder:"REALM" help:"Answer the Platform API's Digest challenge from this realm (default: Basic authentication)."`
	PageSize int    `default:"100" help:"Messages per Platform API page."`

	User      string       `short:"u" placeholder:"ADMIN" help:"Admin account that acts as each user."`
	Admin     secret.Flags `kong:"embed,set='short=w',set='alt=p',set='what=admin password',set='envvar=SXWARM_PASSWORD'"`
	Auth      string       `default:"mboxadmin" enum:"mboxadmin,master,authzid,user" help:"How the admin becomes each user: mboxadmin (Scalix), master (Dovecot master user), authzid (SASL PLAIN), user (own password from CSV)."`
	MasterSep string       `default:"*" help:"Separator of master-user logins (USER*ADMIN)."`

	Folders    string   `short:"F" default:"INBOX,Calendar,Contacts,Sent Items" help:"Comma-separated folders to warm."`
	AllFolders bool     `help:"Warm every selectable folder LIST returns."`
	Profile    string   `default:"default" enum:"${profiles}" help:"The FETCH of the client users will log in with: ${profiles} (see the man page; default covers them all)."`
	Fetch      string   `placeholder:"ITEMS" help:"FETCH these items instead of a profile's, e.g. 'UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]' (read-only items only)."`
	Status     bool     `default:"true" negatable:"" help:"After warming, ask STATUS of each user's other folders, as clients do on opening, so the server indexes them too (--no-status: only the -F folders)."`
	Strict     bool     `help:"Count a missing folder as a failure."`
	Exclude    []string `default:"sxqueryadmin" placeholder:"NAME,..." help:"Leave out this account (repeatable; as sxusers --exclude)."`

	Jobs         string        `short:"j" default:"4" placeholder:"N|auto" help:"Sessions at once; auto finds the level where more sessions stop adding messages warmed per second (up to --max-jobs)."`
	MaxJobs      int           `default:"64" placeholder:"N" help:"The most sessions -j auto tries."`
	AutoInterval time.Duration `default:"2s" help:"How often -j auto judges the messages warmed per second and decides (longer for a noisy server)."`
	Rate         float64       `default:"0" help:"At most N logins per second across all sessions (0: no cap)."`
	Retries      int           `default:"2" help:"Retries of a transient failure (connection lost, BYE, NO [UNAVAILABLE], timeout)."`
	MaxFailures  int           `placeholder:"N" help:"Stop starting new users after N failed users (users in flight finish); exit 1. 0: never stop."`

	Format string `enum:"auto,text,tsv,jsonl,csv" default:"auto" help:"Output: text (default on a terminal), tsv (default otherwise), jsonl, csv."`
	Header bool   `help:"Write a header line in tsv output."`
	Done   string `placeholder:"FILE" help:"Skip users fully warmed in this earlier tsv or jsonl output (may be missing when it is also the --append file)."`
	Append string `placeholder:"FILE" help:"Append results to FILE instead of stdout, one write per user (safe for several sxwarm at once, and for results of users finished after GNU parallel was interrupted)."`
	Debug  bool   `help:"Print the IMAP exchange (or the API requests) on stderr, credentials redacted."`
	Report bool   `help:"Read the FILEs as results (tsv or jsonl, e.g. the --append file of any number of jobs) and print the summary of the whole run, then the users that failed (a user list for the re-run); --format jsonl for JSON."`
	Check  bool   `help:"Only log in and out as every user, warming nothing: finds refused logins (and the right --auth) before the real run."`
	DryRun bool   `name:"dry-run" help:"List the users that would be warmed (after --done and --exclude), each with the login that would be sent; touch no server."`
	Quiet  bool   `short:"q" help:"No summary on stderr."`

	Capture  string `placeholder:"HOST:PORT" help:"Learn a client's FETCH list instead of warming: relay IMAP from this address to --host, and print the item lists the client sent as a --fetch argument (records no login, password, folder name or message)."`
	Sessions int    `default:"0" placeholder:"N" help:"With --capture: stop after N client sessions (0: at Ctrl-C)."`

	ProgressEvery time.Duration `placeholder:"DURATION" help:"Print a whole progress line to stderr this often (default: never when stderr is a log or GNU parallel; 10s on a terminal while stdout goes down a pipe, e.g. | tee), e.g. 30s."`

	env *cli.Env
}

// Program names and describes sxwarm.
var Program = cli.Program{Name: "sxwarm", Vars: map[string]string{"apilogin": platform.DefaultLogin, "profiles": imapwarm.ProfileNames()},
	Fields: field.Names{"API": "--api", "Login": "--api-login", "PageSize": "--page-size", "CA": "--ca"},
	Description: `Warm every user's IMAP folders before their first login.

For each user an admin logs in as that user, EXAMINEs each folder and FETCHes
every message's UID, flags, date, size, envelope and header, so the server
fills its caches. Nothing is changed: no flag is set, nothing is expunged.`}

// Main runs sxwarm with args and returns its exit status.
func Main(args []string, env *cli.Env) int {
	return cli.Main(Program, &Command{}, args, env)
}

var adminPassword = secret.Want{Tool: "sxwarm", What: "admin password", Env: "SXWARM_PASSWORD", Flags: "-w, --password-file"}

// Run warms the users, or with --dry-run, --report lists or reports them.
func (c *Command) Run(ctx context.Context, env *cli.Env) error {
	c.env = env
	if c.Capture != "" {
		return c.capture(ctx)
	}
	if c.Sessions != 0 {
		return fmt.Errorf("--sessions is for --capture")
	}
	if c.DryRun {
		return c.dryRun()
	}
	if c.Report {
		return c.report()
	}
	warmer, probe, err := c.warmer(true)
	if err != nil {
		return err
	}
	users, total, err := c.users()
	if err != nil {
		return err
	}
	if total == 0 { // an input that lists nobody on purpose: said so
		return nil
	}
	if err := probe(); err != nil {
		return err
	}
	return c.run(ctx, warmer, users, total)
}

// report summarises the results files of a whole run, each user's latest
// record counting once.
func (c *Command) report() error {
	files, err := cli.ExpandGlobs(c.Files)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("--report needs the results files: sxwarm --report done.tsv [more.tsv ...]")
	}
	done := &warmreport.Done{}
	for _, f := range files {
		if err := done.Read(f, "--report", c.warn); err != nil {
			return err
		}
	}
	rep := warmreport.NewReport(files, done.Results(c.Strict))
	if c.Format == "jsonl" {
		err = rep.WriteJSON(c.env.Stdout)
	} else {
		err = rep.WriteText(c.env.Stdout)
	}
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// dryRun lists the users a run would warm, with the login form of each,
// as TSV: user, then the login or "skipped". The flags get every check a
// run makes before it connects; no server is contacted and no password is
// asked for.
func (c *Command) dryRun() error {
	if _, _, err := c.warmer(false); err != nil {
		return err
	}
	users, total, err := c.users()
	if err != nil {
		return err
	}
	skip := skipSet(c.Exclude)
	var b strings.Builder
	for _, u := range users {
		what := c.loginForm(u.Login)
		if skip[u.Login] {
			what = "skipped (--exclude)"
		}
		fmt.Fprintf(&b, "%s\t%s\n", safetext.Escape(u.Login), what)
	}
	if _, err := io.WriteString(c.env.Stdout, b.String()); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if !c.Quiet {
		c.warn(fmt.Sprintf("dry run: %s of %d would be warmed; nothing was contacted", cli.Count(len(users)-countSkipped(users, skip), "user"), total))
	}
	return nil
}

func countSkipped(users []warm.User, skip map[string]bool) int {
	n := 0
	for _, u := range users {
		if skip[u.Login] {
			n++
		}
	}
	return n
}

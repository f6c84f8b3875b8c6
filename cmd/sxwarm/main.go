// Command sxwarm warms every user's folders over IMAP, as an admin acting as
// each user, and prints a timing line per user.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"golang.org/x/term"

	"provpipe/internal/scalix/platform"
	"provpipe/internal/scalix/userlist"
	"provpipe/internal/scalix/warm"
	"provpipe/internal/scalix/warmreport"
	"provpipe/internal/shared/cli"
	"provpipe/internal/shared/outfiles"
	"provpipe/internal/shared/safetext"
	"provpipe/internal/shared/secret"
	"provpipe/internal/shared/tlsconf"
)

type command struct {
	cli.VersionFlag
	Files []string `arg:"" optional:"" help:"Files of user names (one per line, or CSV with a login column); - is stdin (the default)."`
	Users string   `short:"U" placeholder:"A,B,C" help:"Comma-separated user names, instead of files."`
	Input string   `default:"auto" enum:"auto,lines,csv" help:"Input format: auto, lines or csv."`
	Match string   `placeholder:"REGEX" help:"Warm only the users whose login matches this regular expression (the others keep their place in N of M)."`

	Via      string `default:"imap" enum:"imap,platform" help:"Warm over IMAP (the server's caches) or through the Scalix Platform API (PlatformDb, read by SWA and Mobile)."`
	Host     string `default:"localhost" help:"IMAP server HOST[:PORT] (port 143, or 993 with --ssl)."`
	SSL      bool   `short:"S" help:"Implicit TLS for IMAP (port 993); https for --api HOST." xor:"tls"`
	StartTLS bool   `name:"starttls" help:"Upgrade the connection with STARTTLS." xor:"tls"`
	tlsconf.Flags
	ConnectTimeout time.Duration `default:"10s" help:"Timeout for connecting."`
	Timeout        time.Duration `default:"60s" help:"Fail an IMAP command that makes no progress for this long (with --via platform: one HTTP request)."`

	API      string `name:"api" placeholder:"URL" help:"Platform API base URL (http://HOST:8080/api), or HOST[:PORT] (http, https with --ssl); for --via platform."`
	APILogin string `name:"api-login" default:"${apilogin}" placeholder:"TEMPLATE" help:"Platform API user name; {admin} and {user} are replaced."`
	Realm    string `placeholder:"REALM" help:"Answer the Platform API's Digest challenge from this realm (default: Basic authentication)."`
	PageSize int    `default:"100" help:"Messages per Platform API page."`

	User         string `short:"u" placeholder:"ADMIN" help:"Admin account that acts as each user."`
	Password     string `short:"w" help:"Admin password (prefer --password-file or $${SXWARM_PASSWORD})."`
	PasswordFile string `type:"existingfile" placeholder:"FILE" help:"File whose first line is the admin password."`
	Auth         string `default:"mboxadmin" enum:"mboxadmin,master,authzid,user" help:"How the admin becomes each user: mboxadmin (Scalix), master (Dovecot master user), authzid (SASL PLAIN), user (own password from CSV)."`
	MasterSep    string `default:"*" help:"Separator of master-user logins (USER*ADMIN)."`

	Folders    string   `short:"F" default:"INBOX,Calendar,Contacts,Sent Items" help:"Comma-separated folders to warm."`
	AllFolders bool     `help:"Warm every selectable folder LIST returns."`
	Profile    string   `default:"default" enum:"default,thunderbird,roundcube,outlook,header" help:"The FETCH of the client users will log in with: default, thunderbird, roundcube, outlook, header (see the man page)."`
	Fetch      string   `placeholder:"ITEMS" help:"FETCH these items instead of a profile's, e.g. 'UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]' (read-only items only)."`
	Strict     bool     `help:"Count a missing folder as a failure."`
	Skip       []string `default:"sxqueryadmin" help:"Skip this account (repeatable)."`

	Jobs        int     `short:"j" default:"4" help:"Sessions at once."`
	Rate        float64 `default:"0" help:"At most N logins per second across all sessions (0: no cap)."`
	Retries     int     `default:"2" help:"Retries of a transient failure (connection lost, BYE, NO [UNAVAILABLE], timeout)."`
	MaxFailures int     `placeholder:"N" help:"Stop starting new users after N failed users (users in flight finish); exit 1. 0: never stop."`

	Format string `enum:"auto,text,tsv,jsonl,csv" default:"auto" help:"Output: text (default on a terminal), tsv (default otherwise), jsonl, csv."`
	Header bool   `help:"Write a header line in tsv output."`
	Done   string `placeholder:"FILE" help:"Skip users fully warmed in this earlier tsv or jsonl output (may be missing when it is also the --append file)."`
	Append string `placeholder:"FILE" help:"Append results to FILE instead of stdout, one write per user (safe for several sxwarm at once, and for results of users finished after GNU parallel was interrupted)."`
	Debug  bool   `help:"Print the IMAP exchange (or the API requests) on stderr, credentials redacted."`
	Report bool   `help:"Read the FILEs as results (tsv or jsonl, e.g. the --append file of any number of jobs) and print the summary of the whole run, then the users that failed (a user list for the re-run); --format jsonl for JSON."`
	Check  bool   `help:"Only log in and out as every user, warming nothing: finds refused logins (and the right --auth) before the real run."`
	DryRun bool   `name:"dry-run" help:"List the users that would be warmed (after --done and --skip), each with the login that would be sent; touch no server."`
	Quiet  bool   `short:"q" help:"No summary on stderr."`

	ProgressEvery time.Duration `placeholder:"DURATION" help:"Print a progress line to stderr this often when stderr is not a terminal (a log, GNU parallel), e.g. 30s."`
}

const description = `Warm every user's IMAP folders before their first login.

For each user an admin logs in as that user, EXAMINEs each folder and FETCHes
every message's UID, flags, date, size, envelope and header, so the server
fills its caches. Nothing is changed: no flag is set, nothing is expunged.`

func main() {
	vars := map[string]string{"apilogin": platform.DefaultLogin}
	os.Exit(cli.MainVars("sxwarm", description, &command{}, vars, os.Args[1:], os.Stderr))
}

func (c *command) Run() error {
	if c.DryRun {
		return c.dryRun()
	}
	if c.Report {
		return c.report()
	}
	warmer, probe, err := c.warmer()
	if err != nil {
		return cli.AsUsage(err)
	}
	users, total, err := c.users()
	if err != nil {
		return cli.AsUsage(err)
	}
	if total == 0 { // an input that lists nobody on purpose: said so
		return nil
	}
	if err := probe(); err != nil {
		return cli.AsUsage(err)
	}
	return c.run(warmer, users, total)
}

// warmer builds the IMAP or Platform API warmer and the check that its
// server can be reached.
func (c *command) warmer() (warm.Warmer, func() error, error) {
	if c.Via == "platform" {
		if c.Fetch != "" || c.Profile != "default" || c.Check {
			return nil, nil, fmt.Errorf("--fetch, --profile and --check are for IMAP; the Platform API reads what it reads")
		}
		p, err := c.platform()
		if err != nil {
			return nil, nil, err
		}
		return p, p.Probe, nil
	}
	if c.API != "" || c.Realm != "" {
		return nil, nil, fmt.Errorf("--api and --realm are for --via platform")
	}
	cfg, err := c.config()
	if err != nil {
		return nil, nil, err
	}
	return cfg, func() error { return warm.Probe(cfg) }, nil
}

func (c *command) run(w warm.Warmer, users []warm.User, total int) error {
	// SIGTERM too: GNU parallel and service managers stop jobs with it.
	signalled, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A failed write of the results stops the run too: warming on would
	// warm users whose results are lost.
	ctx, stopRun := context.WithCancel(signalled)
	defer stopRun()
	dest, closeDest, err := c.destination()
	if err != nil {
		return cli.AsUsage(err)
	}
	defer closeDest()
	format := c.Format
	if format == "auto" {
		format = warmreport.TSV
		if c.Append == "" && isatty.IsTerminal(os.Stdout.Fd()) {
			format = warmreport.Text
		}
	}
	out, err := warmreport.NewWriter(dest, os.Stderr, format, c.Header)
	if err != nil {
		return cli.AsUsage(err)
	}
	var sum warmreport.Summary
	progress := isatty.IsTerminal(os.Stderr.Fd()) && !c.Quiet
	start := time.Now()
	var writeErr error
	lost := 0
	var offered []string // the first user's folders, listed if one was missing
	plan := warm.Plan{Jobs: c.Jobs, Rate: c.Rate, Retries: c.Retries, Backoff: 200 * time.Millisecond,
		Skip: skipSet(c.Skip), Strict: c.Strict, Of: total, CheckFirst: true, MaxFailures: c.MaxFailures}
	var mu sync.Mutex // sum, shared with the --progress-every ticker
	if c.ProgressEvery > 0 && !progress {
		stopTicker := everyTick(c.ProgressEvery, func() {
			mu.Lock()
			line := warmreport.ProgressLine(&sum, len(users), start)
			mu.Unlock()
			io.WriteString(os.Stderr, line+"\n")
		})
		defer stopTicker()
	}
	runErr := warm.Run(ctx, w, plan, users, func(r warm.Result) {
		mu.Lock()
		defer mu.Unlock()
		sum.Add(r)
		if offered == nil && len(r.Offered) > 0 {
			offered = append([]string{r.User.Login}, r.Offered...)
		}
		if progress { // the result line must not start where the progress line is
			io.WriteString(os.Stderr, warmreport.ClearLine)
		}
		if writeErr != nil {
			lost++
		} else if writeErr = out.Write(r); writeErr != nil {
			lost++
			stopRun()
		}
		if progress {
			warmreport.Progress(os.Stderr, &sum, len(users), start)
		}
	})
	if progress {
		io.WriteString(os.Stderr, warmreport.ClearLine)
	}
	var lre *warm.LoginRefusedError
	if errors.As(runErr, &lre) {
		return cli.AsUsage(c.loginRefused(lre))
	}
	for _, f := range sum.MissingEverywhere() {
		hint := "--all-folders --debug shows the names LIST gives"
		if len(offered) > 0 {
			hint = fmt.Sprintf("%s has: %s", offered[0], safetext.Escape(strings.Join(offered[1:], ", ")))
		}
		c.warn(fmt.Sprintf("folder %q is missing for every user (%s): is -F spelt as the server names it? (%s)",
			f, cli.Count(sum.Tried(f), "user"), hint))
	}
	interrupted := signalled.Err() != nil
	stopped := errors.Is(runErr, warm.ErrMaxFailures) && !interrupted && writeErr == nil
	switch {
	case !c.Quiet:
		sum.Write(os.Stderr, time.Since(start), interrupted)
	case interrupted: // -q: the one line that says the output is incomplete
		io.WriteString(os.Stderr, warmreport.InterruptedNote)
	}
	switch {
	case stopped:
		return &cli.PartialError{Failed: sum.Failed + sum.Partial, Total: sum.Done(),
			Why: fmt.Sprintf("stopped (--max-failures): %v; users not started are not reported (resume with --done)", strings.TrimPrefix(runErr.Error(), warm.ErrMaxFailures.Error()+": "))}
	case writeErr != nil:
		return fmt.Errorf("write results: %w; stopped, with the results of %d users warmed but not recorded (the next run with --done warms them again)", writeErr, lost)
	case interrupted:
		return cli.ErrInterrupted
	case sum.Failed+sum.Partial > 0:
		return &cli.PartialError{Failed: sum.Failed + sum.Partial, Total: sum.Done()}
	}
	return nil
}

// destination is stdout, or the --append file: each user's result is one
// locked append, whole or not at all, so processes sharing the file never
// mix lines and a full disk leaves no torn record.
func (c *command) destination() (io.Writer, func(), error) {
	if c.Append == "" {
		return os.Stdout, func() {}, nil
	}
	if c.Format == "csv" || c.Header {
		return nil, nil, fmt.Errorf("--append writes no header: use --format tsv or jsonl, without --header")
	}
	f, err := outfiles.OpenAppend(c.Append, c.warn)
	if err != nil {
		return nil, nil, fmt.Errorf("--append: %w", err)
	}
	return f, func() { f.Close() }, nil
}

func (c *command) warn(msg string) { cli.Warnf(os.Stderr, "sxwarm", "%s", msg) }

// everyTick calls fn every d until the returned func is called.
func everyTick(d time.Duration, fn func()) (stop func()) {
	t := time.NewTicker(d)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-t.C:
				fn()
			case <-done:
				return
			}
		}
	}()
	return func() { t.Stop(); close(done) }
}

// loginRefused explains a refused first login: what was sent, and what to
// change. Nothing else was tried.
func (c *command) loginRefused(e *warm.LoginRefusedError) error {
	return fmt.Errorf("login check: %w\n  sent: %s\n  nothing else was tried: check the admin password and --auth "+
		"(mboxadmin: Scalix; master: Dovecot master user, --master-sep; authzid: SASL PLAIN on behalf of the user; "+
		"user: each user's own password); if only this user is wrong, --skip it", e, c.loginForm(e.User.Login))
}

// loginForm is how the admin logs in as user, as sent (without a password).
func (c *command) loginForm(user string) string {
	if c.Via == "platform" {
		return fmt.Sprintf("HTTP user %q (--api-login %s)", strings.NewReplacer("{admin}", c.User, "{user}", user).Replace(c.APILogin), c.APILogin)
	}
	switch warm.Auth(c.Auth) {
	case warm.AuthAuthzid:
		return fmt.Sprintf("AUTHENTICATE PLAIN, authorization identity %q, authentication identity %q (--auth authzid)", user, c.User)
	case warm.AuthUser:
		return fmt.Sprintf("LOGIN %q with the user's own password (--auth user)", user)
	}
	return fmt.Sprintf("LOGIN %q (--auth %s)", warm.LoginName(warm.Auth(c.Auth), c.User, user, c.MasterSep), c.Auth)
}

func skipSet(names []string) map[string]bool {
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out
}

func (c *command) config() (*warm.Config, error) {
	cfg := &warm.Config{
		Addr: hostPort(c.Host, c.SSL), ConnectTimeout: c.ConnectTimeout, Timeout: c.Timeout,
		Admin: c.User, Auth: warm.Auth(c.Auth), MasterSep: c.MasterSep,
		Folders: splitList(c.Folders), AllFolders: c.AllFolders, LoginOnly: c.Check,
	}
	var err error
	if cfg.Fetch, err = c.fetchItems(); err != nil {
		return nil, err
	}
	if c.Debug {
		cfg.Debug = os.Stderr
	}
	if _, err := c.foldersAndJobs(); err != nil {
		return nil, err
	}
	if err = c.tls(cfg); err != nil {
		return nil, err
	}
	if cfg.Auth == warm.AuthUser {
		return cfg, nil
	}
	if c.User == "" {
		return nil, fmt.Errorf("--auth %s needs the admin account: -u ADMIN", c.Auth)
	}
	pw, err := c.password()
	if err != nil {
		return nil, err
	}
	cfg.Password = pw
	return cfg, nil
}

// report summarises the results files of a whole run, each user's latest
// record counting once.
func (c *command) report() error {
	files, err := cli.ExpandGlobs(c.Files)
	if err != nil {
		return cli.AsUsage(err)
	}
	if len(files) == 0 {
		return cli.Usagef("--report needs the results files: sxwarm --report done.tsv [more.tsv ...]")
	}
	done := &warmreport.Done{}
	for _, f := range files {
		if err := done.Read(f, "--report", c.warn); err != nil {
			return cli.AsUsage(err)
		}
	}
	rep := warmreport.NewReport(files, done.Results(c.Strict))
	if c.Format == "jsonl" {
		err = rep.WriteJSON(os.Stdout)
	} else {
		err = rep.WriteText(os.Stdout)
	}
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// dryRun lists the users a run would warm, with the login form of each,
// as TSV: user, then the login or "skipped". No server is contacted and no
// password is needed.
func (c *command) dryRun() error {
	if _, err := c.foldersAndJobs(); err != nil {
		return cli.AsUsage(err)
	}
	if _, err := c.fetchItems(); err != nil {
		return cli.AsUsage(err)
	}
	users, total, err := c.users()
	if err != nil {
		return cli.AsUsage(err)
	}
	skip := skipSet(c.Skip)
	var b strings.Builder
	for _, u := range users {
		what := c.loginForm(u.Login)
		if skip[u.Login] {
			what = "skipped (--skip)"
		}
		fmt.Fprintf(&b, "%s\t%s\n", safetext.Escape(u.Login), what)
	}
	if _, err := io.WriteString(os.Stdout, b.String()); err != nil {
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

// fetchItems is what each folder's FETCH asks for: --fetch, checked, or
// the --profile's items.
func (c *command) fetchItems() (string, error) {
	if c.Fetch != "" {
		if c.Profile != "default" {
			return "", fmt.Errorf("give --fetch or --profile, not both")
		}
		return warm.CheckFetchItems(c.Fetch)
	}
	p, err := warm.FindProfile(c.Profile)
	return p.Items, err
}

// maxJobs bounds --jobs: each session costs a connection and buffers.
const maxJobs = 1000

// foldersAndJobs checks what both ways of warming need: something to warm
// and at least one session.
func (c *command) foldersAndJobs() ([]string, error) {
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
	if c.Jobs < 1 || c.Jobs > maxJobs {
		return nil, fmt.Errorf("--jobs must be between 1 and %d, not %d (more sessions than that overload any server; use GNU parallel across hosts)", maxJobs, c.Jobs)
	}
	return folders, nil
}

func (c *command) password() (string, error) {
	src := secret.Source{What: "admin password", Value: c.Password, File: c.PasswordFile, Env: "SXWARM_PASSWORD", Flags: "-w, --password-file"}
	pw, err := src.Resolve()
	if err == nil || !term.IsTerminal(int(os.Stdin.Fd())) || c.readsStdin() {
		return pw, err
	}
	fmt.Fprintf(os.Stderr, "Password for %s: ", c.User)
	b, rerr := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(os.Stderr)
	if rerr != nil {
		return "", fmt.Errorf("read password: %w", rerr)
	}
	return string(b), nil
}

func (c *command) readsStdin() bool {
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

func (c *command) tls(cfg *warm.Config) error {
	switch {
	case c.SSL:
		cfg.TLS = warm.ImplicitTLS
	case c.StartTLS:
		cfg.TLS = warm.StartTLS
	default:
		return nil
	}
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

// users reads the input, leaves out those --done names and returns the rest
// with the length of the whole input.
func (c *command) users() ([]warm.User, int, error) {
	entries, err := userlist.Inline(c.Users)
	if err != nil {
		return nil, 0, err
	}
	if c.Users == "" {
		entries, err = userlist.ReadFiles(c.Files, os.Stdin, userlist.Format(c.Input))
	}
	switch {
	case errors.Is(err, userlist.ErrEmpty) || err == nil && c.Users != "" && len(entries) == 0:
		return nil, 0, fmt.Errorf("no users on input (%s is empty): nothing to warm; did the command before the pipe fail?", c.inputName())
	case err != nil:
		return nil, 0, err
	case len(entries) == 0:
		// Comments or blank lines only: a list that is empty on purpose
		// (a --report of a run where nobody failed).
		c.warn(fmt.Sprintf("no users in %s (only comments or blank lines): nothing to warm", c.inputName()))
		return nil, 0, nil
	}
	entries, dropped := userlist.Dedupe(entries)
	for _, e := range dropped {
		cli.Warnf(os.Stderr, "sxwarm", "%s: user %q is listed again; warmed once", e.Source, e.Login)
	}
	users := make([]warm.User, len(entries))
	for i, e := range entries {
		if c.Auth == string(warm.AuthUser) && e.Password == "" {
			return nil, 0, fmt.Errorf("%s: user %q has no password; --auth user needs CSV input with a password column", e.Source, e.Login)
		}
		users[i] = warm.User{Login: e.Login, Password: e.Password, Index: i + 1}
	}
	if users, err = c.matching(users); err != nil {
		return nil, 0, err
	}
	if c.Done == "" || c.firstOfResumable() {
		return users, len(entries), nil
	}
	done, err := warmreport.ReadDone(c.Done, c.warn)
	if err != nil {
		return nil, 0, err
	}
	scope := warmreport.Scope{Folders: splitList(c.Folders), AllFolders: c.AllFolders, Strict: c.Strict}
	kept := done.Remaining(users, scope)
	// An account --skip names was reported skipped once already: it is
	// neither reported again nor counted as to go.
	skip := skipSet(c.Skip)
	kept = slices.DeleteFunc(kept, func(u warm.User) bool { return skip[u.Login] && done.Seen(u.Login) })
	if already := len(users) - len(kept); already > 0 {
		cli.Warnf(os.Stderr, "sxwarm", "--done: %s already warmed or skipped, %d to go", cli.Count(already, "user"), len(kept))
	}
	return kept, len(entries), nil
}

// matching keeps the users --match selects, in their input positions.
func (c *command) matching(users []warm.User) ([]warm.User, error) {
	if c.Match == "" {
		return users, nil
	}
	re, err := regexp.Compile(c.Match)
	if err != nil {
		return nil, fmt.Errorf("--match: %w", err)
	}
	return slices.DeleteFunc(users, func(u warm.User) bool { return !re.MatchString(u.Login) }), nil
}

// inputName names where the users came from, for messages.
func (c *command) inputName() string {
	switch {
	case c.Users != "":
		return "-U"
	case len(c.Files) == 0:
		return "stdin"
	}
	return strings.Join(c.Files, ", ")
}

// firstOfResumable: --done and --append name the same file, which does not
// exist yet. That is the first run of a resumable job, with nothing done.
func (c *command) firstOfResumable() bool {
	if c.Done != c.Append {
		return false
	}
	_, err := os.Stat(c.Done)
	return errors.Is(err, os.ErrNotExist)
}

// ManSections adds to the man page what --help has no room for.
func (c *command) ManSections() []cli.ManSection {
	return []cli.ManSection{
		{Title: "Output", Body: `text (the default on a terminal) is the documented tool's line per user:

  User0 Test0 (3 of 1022)... INBOX: 2.97 Calendar: 0.74 Contacts: 0.82 Sent Items: 0.87 Total: 5.40

tsv (the default otherwise) has one line per user and folder: user, folder, status (ok, missing, error), messages, bytes, seconds. jsonl has one object per user; csv is the tsv columns with a header. Each user's lines are written at once, so parallel --line-buffer never mixes them. A summary goes to stderr, progress too when stderr is a terminal.`},
		{Title: "Profiles", Body: profilesText()},
		{Title: "Environment", Body: `SXWARM_PASSWORD: the admin password, when neither -w nor --password-file is given.`},
		{Title: "Examples", Body: `  sxusers | sxwarm -u sxadmin --password-file /root/sxadmin.pw
  sxusers -f users.list | parallel --pipe -N 50 -j 4 --line-buffer sxwarm -u sxadmin --password-file pw >> done.tsv
  sxwarm -u sxadmin --password-file pw --done done.tsv users.list >> done.tsv
  sxwarm --host imap.example.com --starttls --auth master -u warmadmin -U 'user1,user2'`},
	}
}

// profilesText lists each --profile with its items and their source.
func profilesText() string {
	var b strings.Builder
	b.WriteString("Each folder gets one FETCH 1:* with the items of the profile (or of --fetch, to which RFC822.SIZE is added if missing). Servers such as Dovecot cache per item and header field as clients ask for them, so warming pays off most with the items the users' client asks for.\n")
	for _, p := range warm.Profiles {
		fmt.Fprintf(&b, "\n%s: %s\n  (%s)\n", p.Name, p.Items, p.Source)
	}
	return b.String()
}

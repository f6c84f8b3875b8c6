// Package ctxrowscli is the ctxrows command: its flags, and how they become
// a ctxrows.Spec and a run of the generator.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package ctxrowscli

import (
	"context"
	"fmt"
	"math"

	"provpipe/pkg/openxchange/ctxrows"
	"provpipe/pkg/openxchange/schemas"
	"provpipe/pkg/shared/cli"
	"provpipe/pkg/shared/secret"
)

// Command holds ctxrows' flags; their defaults are the ctxrows package's.
type Command struct {
	cli.VersionFlag
	Start int64 `short:"s" default:"1" placeholder:"ID" help:"First context id."`
	End   int64 `short:"e" placeholder:"ID" help:"Last context id (inclusive)." xor:"size"`
	Count int64 `placeholder:"N" help:"Number of contexts, instead of --end." xor:"size"`

	Schemas      string   `short:"d" placeholder:"FILE" help:"schemas.csv (- for stdin): its header names extra columns, its rows are cycled over the contexts."`
	Interleave   bool     `help:"Reorder schema rows round-robin across destination-database-id values."`
	SchemaColumn string   `default:"schema" enum:"schema,schema-name" help:"Name of the schema column written: schema (what createcontext reads) or schema-name (the pre-provisioning article's name, for releases that read it)."`
	NoPlacement  bool     `help:"Accept a schemas file without any placement column (schema, schema-strategy, destination-database-id, destination-store-id)."`
	Backslash    string   `default:"refuse" enum:"refuse,escape" help:"A value holding a backslash: refuse it (createcontext's reader would alter it), or escape it as opencsv 2.x reads it back."`
	SkipCreated  []string `placeholder:"LOG" sep:"none" help:"Leave out contexts createcontext's output reports as created or existing (its stdout and stderr); repeatable, a quoted glob, or - for stdin."`

	Username    string       `default:"${username}" help:"Context admin user name ({id} is the context id)."`
	Admin       secret.Flags `kong:"embed,set='short=p',set='alt=w',set='what=context admin password',set='envvar=CTXROWS_PASSWORD'"`
	DisplayName string       `name:"displayname" default:"${displayname}" help:"Admin display name template."`
	GivenName   string       `name:"givenname" default:"${givenname}" help:"Admin given name template."`
	Surname     string       `default:"${surname}" help:"Admin surname template."`
	Email       string       `default:"${email}" help:"Admin email template; {username} and {prefix} are replaced too."`
	Prefix      string       `name:"domain-prefix" default:"${prefix}" help:"What {prefix} is in the email templates: the mail domain before the context id."`
	Quota       string       `default:"${quota}" help:"Context filestore quota in MB."`
	Access      string       `name:"access-combination" default:"${access}" help:"Access combination name."`
	Language    string       `default:"${language}" help:"Language."`
	Timezone    string       `default:"${timezone}" help:"Time zone."`

	UsersPerContext int          `placeholder:"N" help:"Write createuser rows instead: N users in each context."`
	UserName        string       `name:"user-name" default:"${user_name}" help:"User name template ({id} context id, {n} user number)."`
	UserSecret      secret.Flags `kong:"embed,prefix='user-',set='what=password of the users',set='envvar=CTXROWS_USER_PASSWORD'"`
	UserDisplayName string       `name:"user-displayname" default:"${user_displayname}" help:"User display name template."`
	UserGivenName   string       `name:"user-givenname" default:"${user_givenname}" help:"User given name template."`
	UserSurname     string       `default:"${user_surname}" help:"User surname template."`
	UserEmail       string       `default:"${user_email}" help:"User email template."`

	Quote    string `default:"all" enum:"all,minimal" help:"Quote every field (all, as the documented script does) or only where needed (minimal)."`
	NoHeader bool   `help:"Do not write the header line."`
	Quiet    bool   `short:"q" help:"No notes on stderr (contexts left out, renamed columns); warnings still."`

	env *cli.Env
}

// Program names and describes ctxrows; the flags' defaults come from the
// ctxrows package, so the help shows what is generated.
var Program = cli.Program{Name: "ctxrows", Vars: defaultVars(), Description: `Generate createcontext CSV rows for Open-Xchange fast-mode pre-provisioning.

One row per context from --start to --end, the columns
contextid,username,password,displayname,givenname,surname,email,quota,
access-combination-name,language,timezone then those of the schemas file,
whose rows are cycled: row k goes to the k-th context, wrapping around.`}

// Main runs ctxrows with args and returns its exit status.
func Main(args []string, env *cli.Env) int {
	return cli.Main(Program, &Command{}, args, env)
}

// defaultVars are the values of the documented script, as flag defaults.
func defaultVars() map[string]string {
	c, u := ctxrows.DefaultContext(), ctxrows.DefaultUsers()
	return map[string]string{
		"username": c.Username, "displayname": c.DisplayName, "givenname": c.GivenName, "surname": c.Surname,
		"email": c.Email, "prefix": c.Prefix, "quota": c.Quota, "access": c.AccessCombination,
		"language": c.Language, "timezone": c.Timezone,
		"user_name": u.Username, "user_displayname": u.DisplayName, "user_givenname": u.GivenName,
		"user_surname": u.Surname, "user_email": u.Email,
	}
}

var (
	adminPassword = secret.Want{Tool: "ctxrows", What: "context admin password", Env: "CTXROWS_PASSWORD", Flags: "-p, --password-file"}
	usersPassword = secret.Want{Tool: "ctxrows", What: "users' password", Env: "CTXROWS_USER_PASSWORD", Flags: "--user-password, --user-password-file"}
)

// Run writes the rows on stdout until done or stopped by a signal (the
// output then ends with a whole row).
func (c *Command) Run(ctx context.Context, env *cli.Env) error {
	c.env = env
	spec, err := c.spec()
	if err != nil {
		return err
	}
	gen, err := ctxrows.Compile(spec)
	if err != nil {
		return err
	}
	if err := gen.Write(ctx, env.Stdout); err != nil {
		if ctx.Err() != nil {
			return cli.Interrupted(ctx, "the output ends with a whole row, not with the last context")
		}
		return err
	}
	return nil
}

func (c *Command) spec() (ctxrows.Spec, error) {
	var spec ctxrows.Spec
	var err error
	if spec.Start, spec.End, err = contextRange(c.Start, c.End, c.Count); err != nil {
		return spec, err
	}
	if spec.Style.Quote, err = ctxrows.ParseQuoting(c.Quote); err != nil {
		return spec, err
	}
	spec.Style.EscapeBackslash = c.Backslash == "escape"
	spec.SchemaColumn = c.SchemaColumn
	spec.NoHeader = c.NoHeader
	if spec.Context, err = c.context(); err != nil {
		return spec, err
	}
	if c.UsersPerContext > 0 {
		if spec.Users, err = c.users(); err != nil {
			return spec, err
		}
	}
	if spec.Schemas, err = c.schemas(); err != nil {
		return spec, err
	}
	spec.Skip, err = c.skipCreated(spec.Start, spec.End)
	return spec, err
}

// skipCreated reads the createcontext outputs named by --skip-created.
func (c *Command) skipCreated(start, end int64) (*ctxrows.IDSet, error) {
	if len(c.SkipCreated) == 0 {
		return nil, nil
	}
	if c.UsersPerContext > 0 {
		return nil, fmt.Errorf("--skip-created reads createcontext outputs; it does not apply to --users-per-context")
	}
	paths, err := cli.ExpandGlobs(c.SkipCreated)
	if err != nil {
		return nil, fmt.Errorf("--skip-created: %w", err)
	}
	set := ctxrows.NewIDSet(start, end)
	found := 0
	for _, p := range paths {
		log, err := c.readCreated(p, set)
		if err != nil {
			return nil, fmt.Errorf("--skip-created: %w", err)
		}
		if log.Created == 0 {
			c.env.Warnf("ctxrows", "warning: %s reports no context created", p)
		}
		found += log.Created
	}
	c.notef("leaving out %s already created (%d reported in %s)", cli.Count(set.Len(), "context"), found, cli.Count(len(paths), "log"))
	return set, nil
}

func (c *Command) readCreated(path string, set *ctxrows.IDSet) (ctxrows.CreatedLog, error) {
	in, name, err := cli.OpenInput(c.env, path)
	if err != nil {
		return ctxrows.CreatedLog{}, err
	}
	defer in.Close()
	return ctxrows.ReadCreated(in, name, set)
}

func (c *Command) context() (ctxrows.Context, error) {
	ctx := ctxrows.Context{
		Username: c.Username, DisplayName: c.DisplayName, GivenName: c.GivenName,
		Surname: c.Surname, Email: c.Email, Prefix: c.Prefix, Quota: c.Quota,
		AccessCombination: c.Access, Language: c.Language, Timezone: c.Timezone,
	}
	var err error
	ctx.Password, err = c.Admin.Resolve(adminPassword, c.env, false)
	return ctx, err
}

func (c *Command) users() (*ctxrows.Users, error) {
	u := &ctxrows.Users{
		PerContext: c.UsersPerContext, Username: c.UserName, DisplayName: c.UserDisplayName,
		GivenName: c.UserGivenName, Surname: c.UserSurname, Email: c.UserEmail,
	}
	var err error
	u.Password, err = c.UserSecret.Resolve(usersPassword, c.env, false)
	return u, err
}

// createcontextReads are the context columns createcontext's CSV import
// reads besides those ctxrows writes itself (its long option names).
var createcontextReads = map[string]bool{"contextname": true, "addmapping": true}

func (c *Command) schemas() (*schemas.Table, error) {
	if c.Schemas == "" {
		if c.Interleave {
			return nil, fmt.Errorf("--interleave needs a schemas file (-d)")
		}
		return nil, nil
	}
	in, name, err := cli.OpenInput(c.env, c.Schemas)
	if err != nil {
		return nil, fmt.Errorf("schemas file: %w", err)
	}
	defer in.Close()
	t, err := schemas.Parse(in, name, schemas.Options{AllowNoPlacement: c.NoPlacement})
	if err != nil {
		return nil, err
	}
	if c.Interleave {
		if err := t.Interleave(); err != nil {
			return nil, fmt.Errorf("--interleave: %s: %w", t.Name, err)
		}
	}
	for _, col := range t.Unknown {
		if !createcontextReads[col] {
			c.env.Warnf("ctxrows", "warning: %s: column %q is not one createcontext reads; it ignores it without a word", t.Name, col)
		}
	}
	if t.SchemaHeader != "" && t.SchemaHeader != c.SchemaColumn {
		c.notef("%s: its %s column is written as %s (--schema-column)", t.Name, t.SchemaHeader, c.SchemaColumn)
	}
	for _, w := range t.Warnings {
		c.env.Warnf("ctxrows", "warning: %s: %s", t.Name, w)
	}
	return t, nil
}

// ManSections adds to the man page what --help has no room for.
func (c *Command) ManSections() []cli.ManSection {
	return []cli.ManSection{
		{Title: "Schemas file", Body: `The file given with -d has a header and one row per destination; its rows are cycled over the contexts. Its placement columns are createcontext's: schema (or schema-name, the pre-provisioning article's name; both are written as --schema-column says), schema-strategy (automatic or in-memory, never beside a schema on one row), destination-database-id and destination-store-id. The file is checked before any row is written.`},
		{Title: "Environment", Body: `CTXROWS_PASSWORD: the context admin password, when neither -p nor --password-file is given.

CTXROWS_USER_PASSWORD: the users' password for --users-per-context.`},
		{Title: "Examples", Body: `  ctxrows --password-file pw -e 100000 -d schemas.csv | ctxsplit -n 8 --by schema
  ctxrows --password-file pw -e 100000 -d schemas.csv --skip-created 'logs/*.created' | ctxsplit -n 8 --by schema -o retry-
  ctxrows --password-file pw -s 5001 --count 1000 --quote minimal > more.csv`},
	}
}

// contextRange is -s with -e or --count, as the first and last context
// ids, guarding overflow: context ids are 32-bit in Open-Xchange.
func contextRange(start, end, count int64) (int64, int64, error) {
	if start < 1 {
		return 0, 0, fmt.Errorf("start context id must be at least 1, not %d", start)
	}
	switch {
	case count > 0 && end > 0:
		return 0, 0, fmt.Errorf("give either --end or --count, not both")
	case count > 0:
		if count-1 > math.MaxInt32-start {
			return 0, 0, fmt.Errorf("--count %d from %d goes past the largest context id %d", count, start, math.MaxInt32)
		}
		return start, start + count - 1, nil
	case end > 0:
		if end < start {
			return 0, 0, fmt.Errorf("end context id %d is below start %d", end, start)
		}
		if end > math.MaxInt32 {
			return 0, 0, fmt.Errorf("end context id %d is past the largest context id %d", end, math.MaxInt32)
		}
		return start, end, nil
	}
	return 0, 0, fmt.Errorf("say how many contexts: --end ID or --count N")
}

// notef writes a note on stderr unless -q: what the run did on its own
// that the operator may want to know. Warnings are written whatever -q.
func (c *Command) notef(format string, args ...any) {
	if !c.Quiet {
		c.env.Warnf("ctxrows", format, args...)
	}
}

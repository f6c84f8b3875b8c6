// Command ctxrows writes the CSV rows for Open-Xchange's
// `createcontext --csv-import`, one per context, or with
// --users-per-context the rows for `createuser --csv-import`.
package main

import (
	"os"

	"provpipe/pkg/cli"
	"provpipe/pkg/ctxrows"
	"provpipe/pkg/schemas"
	"provpipe/pkg/secret"
)

type command struct {
	cli.VersionFlag
	Start int64 `short:"s" default:"1" placeholder:"ID" help:"First context id."`
	End   int64 `short:"e" placeholder:"ID" help:"Last context id (inclusive)." xor:"size"`
	Count int64 `placeholder:"N" help:"Number of contexts, instead of --end." xor:"size"`

	Schemas    string `short:"d" type:"existingfile" placeholder:"FILE" help:"schemas.csv: its header names extra columns, its rows are cycled over the contexts."`
	Interleave bool   `help:"Reorder schema-name rows round-robin across destination-database-id values."`

	Username     string `default:"oxadmin" help:"Context admin user name ({id} is the context id)."`
	Password     string `short:"p" help:"Context admin password (prefer --password-file or $${CTXROWS_PASSWORD})."`
	PasswordFile string `type:"existingfile" placeholder:"FILE" help:"File whose first line is the context admin password."`
	DisplayName  string `name:"displayname" default:"Admin Context {id}" help:"Admin display name template."`
	GivenName    string `name:"givenname" default:"Admin" help:"Admin given name template."`
	Surname      string `default:"Context {id}" help:"Admin surname template."`
	Email        string `default:"{username}@{prefix}{id}" help:"Admin email template; {username} and {prefix} are replaced too."`
	Prefix       string `default:"context" help:"Context name prefix used in the email template."`
	Quota        string `default:"1000" help:"Context filestore quota in MB."`
	Access       string `name:"access-combination" default:"all" help:"Access combination name."`
	Language     string `default:"en_US" help:"Language."`
	Timezone     string `default:"Europe/Berlin" help:"Time zone."`

	UsersPerContext  int    `placeholder:"N" help:"Write createuser rows instead: N users in each context."`
	UserName         string `name:"user-name" default:"user{n}" help:"User name template ({id} context id, {n} user number)."`
	UserPassword     string `help:"Users' password (or --user-password-file, $${CTXROWS_USER_PASSWORD})."`
	UserPasswordFile string `type:"existingfile" placeholder:"FILE" help:"File whose first line is the users' password."`
	UserDisplayName  string `name:"user-displayname" default:"User {n} Context {id}" help:"User display name template."`
	UserGivenName    string `name:"user-givenname" default:"User {n}" help:"User given name template."`
	UserSurname      string `default:"Context {id}" help:"User surname template."`
	UserEmail        string `default:"{username}@{prefix}{id}" help:"User email template."`

	Quote    string `default:"all" enum:"all,minimal" help:"Quote every field (all, as the documented script does) or only where needed (minimal)."`
	NoHeader bool   `help:"Do not write the header line."`
}

const description = `Generate createcontext CSV rows for Open-Xchange fast-mode pre-provisioning.

One row per context from --start to --end, the columns
contextid,username,password,displayname,givenname,surname,email,quota,
access-combination-name,language,timezone then those of the schemas file,
whose rows are cycled: row k goes to the k-th context, wrapping around.`

func main() {
	os.Exit(cli.Main("ctxrows", description, &command{}, os.Args[1:], os.Stderr))
}

func (c *command) Run() error {
	spec, err := c.spec()
	if err != nil {
		return cli.AsUsage(err)
	}
	return ctxrows.Write(os.Stdout, spec)
}

func (c *command) spec() (ctxrows.Spec, error) {
	var spec ctxrows.Spec
	var err error
	if spec.Start, spec.End, err = ctxrows.Range(c.Start, c.End, c.Count); err != nil {
		return spec, err
	}
	if spec.Quoting, err = ctxrows.ParseQuoting(c.Quote); err != nil {
		return spec, err
	}
	spec.NoHeader = c.NoHeader
	if spec.Context, err = c.context(); err != nil {
		return spec, err
	}
	if c.UsersPerContext > 0 {
		if spec.Users, err = c.users(); err != nil {
			return spec, err
		}
	}
	spec.Schemas, err = c.schemas()
	return spec, err
}

func (c *command) context() (ctxrows.Context, error) {
	ctx := ctxrows.Context{
		Username: c.Username, DisplayName: c.DisplayName, GivenName: c.GivenName,
		Surname: c.Surname, Email: c.Email, Prefix: c.Prefix, Quota: c.Quota,
		AccessCombination: c.Access, Language: c.Language, Timezone: c.Timezone,
	}
	var err error
	ctx.Password, err = secret.Source{What: "context admin password", Value: c.Password, File: c.PasswordFile,
		Env: "CTXROWS_PASSWORD", Flags: "-p, --password-file"}.Resolve()
	return ctx, err
}

func (c *command) users() (*ctxrows.Users, error) {
	u := &ctxrows.Users{
		PerContext: c.UsersPerContext, Username: c.UserName, DisplayName: c.UserDisplayName,
		GivenName: c.UserGivenName, Surname: c.UserSurname, Email: c.UserEmail,
	}
	var err error
	u.Password, err = secret.Source{What: "users' password", Value: c.UserPassword, File: c.UserPasswordFile,
		Env: "CTXROWS_USER_PASSWORD", Flags: "--user-password, --user-password-file"}.Resolve()
	return u, err
}

func (c *command) schemas() (*schemas.Table, error) {
	if c.Schemas == "" {
		if c.Interleave {
			return nil, cli.Usagef("--interleave needs a schemas file (-d)")
		}
		return nil, nil
	}
	t, err := schemas.Load(c.Schemas)
	if err != nil {
		return nil, err
	}
	if c.Interleave {
		if err := t.Interleave(); err != nil {
			return nil, err
		}
	}
	for _, col := range t.Unknown {
		cli.Warnf(os.Stderr, "ctxrows", "%s: column %q is not a placement column (%s, %s, %s, %s); passed through to createcontext as it is",
			t.Name, col, schemas.SchemaName, schemas.SchemaStrategy, schemas.DatabaseID, schemas.StoreID)
	}
	return t, nil
}

// ManSections adds to the man page what --help has no room for.
func (c *command) ManSections() []cli.ManSection {
	return []cli.ManSection{
		{Title: "Schemas file", Body: `The file given with -d has a header and one row per destination; its rows are cycled over the contexts. Three shapes are recognised, as in the Open-Xchange documentation: schema-name mode (destination-database-id,schema-name,destination-store-id), in-memory mode (destination-database-id,schema-strategy=in-memory,...) and automatic mode. The file is checked before any row is written.`},
		{Title: "Environment", Body: `CTXROWS_PASSWORD: the context admin password, when neither -p nor --password-file is given.

CTXROWS_USER_PASSWORD: the users' password for --users-per-context.`},
		{Title: "Examples", Body: `  ctxrows --password-file pw -e 100000 -d schemas.csv | ctxsplit -n 8 --by schema-name
  ctxrows --password-file pw -s 5001 --count 1000 --quote minimal > more.csv`},
	}
}

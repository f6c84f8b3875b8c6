// Package ctxrows generates the CSV rows that Open-Xchange's
// `createcontext --csv-import` (or `createuser --csv-import`) reads: one row
// per context, or N per context for users, the rows of a schemas table cycled
// over the contexts exactly as the documented fast-mode script does.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package ctxrows

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"

	"provpipe/pkg/openxchange/schemas"
)

// ContextColumns is the createcontext header, in the documented order.
var ContextColumns = []string{"contextid", "username", "password", "displayname", "givenname",
	"surname", "email", "quota", "access-combination-name", "language", "timezone"}

// UserColumns is the createuser header.
var UserColumns = []string{"contextid", "adminuser", "adminpass", "username", "displayname",
	"givenname", "surname", "password", "email", "language", "timezone"}

// Context holds the per-context values; templates may use {id}.
type Context struct {
	Username          string
	Password          string
	DisplayName       string
	GivenName         string
	Surname           string
	Email             string // may also use {username} and {prefix}
	Prefix            string // context name prefix used by the default email
	Quota             string
	AccessCombination string
	Language          string
	Timezone          string
}

// DefaultContext returns the values the documented script writes.
func DefaultContext() Context {
	return Context{
		Username:          "oxadmin",
		DisplayName:       "Admin Context {id}",
		GivenName:         "Admin",
		Surname:           "Context {id}",
		Email:             "{username}@{prefix}{id}",
		Prefix:            "context",
		Quota:             "1000",
		AccessCombination: "all",
		Language:          "en_US",
		Timezone:          "Europe/Berlin",
	}
}

// Users holds the per-user templates; they may use {id} and {n}.
type Users struct {
	PerContext  int
	Username    string
	Password    string
	DisplayName string
	GivenName   string
	Surname     string
	Email       string // may also use {username} and {prefix}
}

// DefaultUsers returns the default user templates.
func DefaultUsers() Users {
	return Users{
		Username:    "user{n}",
		DisplayName: "User {n} Context {id}",
		GivenName:   "User {n}",
		Surname:     "Context {id}",
		Email:       "{username}@{prefix}{id}",
	}
}

// Spec says what to generate.
type Spec struct {
	Start, End int64 // inclusive context ids
	Context    Context
	Users      *Users         // nil: context rows; else user rows
	Schemas    *schemas.Table // nil: no extra columns
	// SchemaColumn is the name the schema column is written under:
	// schemas.Schema for current releases, schemas.LegacySchema for those
	// that read the article's name.
	SchemaColumn string
	Style        Style
	NoHeader     bool
	// Skip holds contexts already created; their rows are left out, and
	// the others keep the schema row they would have had.
	Skip *IDSet
}

// Generator is a compiled Spec, ready to write.
type Generator struct {
	fields   []field
	extras   [][]byte // encoded schema rows, each starting with a comma
	row      rowPlan  // fields and extras flattened, what rows are rendered from
	perCtx   int64
	header   []byte
	start    int64
	end      int64
	columns  []string
	skip     *IDSet
	noHeader bool
}

// Write writes the header (unless left out) and every row into w, until
// ctx is done.
func (g *Generator) Write(ctx context.Context, w io.Writer) error {
	if !g.noHeader {
		if _, err := w.Write(g.header); err != nil {
			return fmt.Errorf("write header: %w", err)
		}
	}
	return g.rowsParallel(ctx, w)
}

// Compile checks a Spec and prepares its rows; every refusal (an unknown
// placeholder, a value createcontext would misread, a bad quota) comes from
// here, before anything is written.
func Compile(spec Spec) (*Generator, error) {
	g := &Generator{start: spec.Start, end: spec.End, perCtx: 1, noHeader: spec.NoHeader}
	var err error
	if spec.Users != nil {
		if spec.Schemas != nil {
			return nil, fmt.Errorf("a schemas file places contexts; user rows take none")
		}
		if spec.Users.PerContext < 1 || spec.Users.PerContext > math.MaxInt32 {
			return nil, fmt.Errorf("users per context must be between 1 and %d, not %d", math.MaxInt32, spec.Users.PerContext)
		}
		g.perCtx = int64(spec.Users.PerContext)
		g.columns = UserColumns
		g.fields, err = compileUsers(spec.Context, *spec.Users, spec.Style)
	} else {
		g.columns = ContextColumns
		g.fields, err = compileContext(spec.Context, spec.Style)
	}
	if err != nil {
		return nil, err
	}
	header := append([]string(nil), g.columns...)
	if t := spec.Schemas; t != nil {
		if err := checkClash(t.Columns, g.columns); err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
		column := spec.SchemaColumn
		if column == "" {
			column = schemas.Schema
		}
		header = append(header, t.Header(column)...)
		if err := checkRows(t, spec); err != nil {
			return nil, err
		}
		g.extras = encodeRows(t.Rows, spec.Style)
	}
	g.skip = spec.Skip
	g.header = encodeHeader(header)
	g.row = planRow(g.fields, g.extras)
	return g, nil
}

func checkClash(extra, base []string) error {
	for _, c := range extra {
		for _, b := range base {
			if c == b {
				return fmt.Errorf("column %q is already generated; remove it from the schemas file", c)
			}
		}
	}
	return nil
}

func encodeRows(rows [][]string, st Style) [][]byte {
	out := make([][]byte, len(rows))
	for i, row := range rows {
		var b []byte
		for _, v := range row {
			b = append(b, ',')
			b = append(b, encodeValue(v, st)...)
		}
		out[i] = b
	}
	return out
}

// encodeHeader writes column names unquoted, as the script's `sed 1i` did,
// unless a name needs quotes.
func encodeHeader(columns []string) []byte {
	var b []byte
	for i, c := range columns {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, encodeValue(c, Style{Quote: QuoteMinimal})...)
	}
	return append(b, '\n')
}

// template pairs a column with its template text.
type template struct {
	column, text string
	vars         []Variable
}

func compileAll(ts []template, st Style) ([]field, error) {
	fields := make([]field, len(ts))
	for i, t := range ts {
		if err := checkValue(t.text, st); err != nil {
			return nil, &ValueError{Column: t.column, Where: "every row", Err: err}
		}
		if t.vars == nil { // a password: taken literally, never echoed in an error
			fields[i] = literal(t.text, st)
			continue
		}
		f, err := compile(t.column, t.text, st, t.vars...)
		if err != nil {
			return nil, err
		}
		fields[i] = f
	}
	return fields, nil
}

// expandEmail resolves {username} and {prefix} in an email template; the
// result may still hold {id} and {n}.
func expandEmail(email, username, prefix string) string {
	return strings.NewReplacer("{username}", username, "{prefix}", prefix).Replace(email)
}

func compileContext(c Context, st Style) ([]field, error) {
	if err := checkQuota(c.Quota); err != nil {
		return nil, err
	}
	id := []Variable{VarContext}
	return compileAll([]template{
		{"contextid", "{id}", id},
		{"username", c.Username, id},
		{"password", c.Password, nil},
		{"displayname", c.DisplayName, id},
		{"givenname", c.GivenName, id},
		{"surname", c.Surname, id},
		{"email", expandEmail(c.Email, c.Username, c.Prefix), id},
		{"quota", c.Quota, id},
		{"access-combination-name", c.AccessCombination, id},
		{"language", c.Language, id},
		{"timezone", c.Timezone, id},
	}, st)
}

func compileUsers(c Context, u Users, st Style) ([]field, error) {
	id := []Variable{VarContext}
	both := []Variable{VarContext, VarUser}
	return compileAll([]template{
		{"contextid", "{id}", id},
		{"adminuser", c.Username, id},
		{"adminpass", c.Password, nil},
		{"username", u.Username, both},
		{"displayname", u.DisplayName, both},
		{"givenname", u.GivenName, both},
		{"surname", u.Surname, both},
		{"password", u.Password, nil},
		{"email", expandEmail(u.Email, u.Username, c.Prefix), both},
		{"language", c.Language, id},
		{"timezone", c.Timezone, id},
	}, st)
}

package oxsim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"

	"provpipe/internal/testserver/oxsim/opencsv"
)

// Required are the columns createcontext's CSV import insists on, in the
// order checkRequired looks for them.
var Required = []string{"contextid", "username", "displayname", "givenname", "surname", "password", "email", "quota"}

// known are the other columns createcontext reads; anything else is ignored.
var known = map[string]bool{
	"contextname": true, "addmapping": true, "schema": true, "schema-strategy": true,
	"destination-store-id": true, "destination-database-id": true,
	"access-combination-name": true, "language": true, "timezone": true,
}

func isRequired(col string) bool { return slices.Contains(Required, col) }

// columns maps a column name to its index in the header.
type columns map[string]int

// header reads the column names as csvParsingCommon does: a later column
// of the same name replaces an earlier one, then every required column
// must be there.
func (imp *importer) header(r *opencsv.Reader) (columns, *javaException) {
	head, _, err := r.Next()
	if err != nil {
		return nil, imp.client.adminException(invalidData, "no columnnames found",
			"com.openexchange.admin.console.user.UserAbstraction.csvParsingCommon(UserAbstraction.java)")
	}
	cols := columns{}
	for i, c := range head {
		cols[c] = i
		if !known[c] && !isRequired(c) {
			imp.note("unknown-column", c)
		}
	}
	for _, c := range Required {
		if _, ok := cols[c]; !ok {
			return nil, imp.client.adminException(invalidData, fmt.Sprintf("The required column %q is missing", c),
				"com.openexchange.admin.console.user.UserAbstraction.checkRequired(UserAbstraction.java)")
		}
	}
	return cols, nil
}

// row is one record with the header's columns.
type row struct {
	rec  []string
	cols columns
}

// value reads a column as setValue does: present is false when the header
// lacks the column or the value is empty; a row too short for the column's
// index throws.
func (r row) value(col string) (v string, present bool, e *javaException) {
	i, ok := r.cols[col]
	if !ok {
		return "", false, nil
	}
	if i >= len(r.rec) {
		return "", false, indexError(i, len(r.rec))
	}
	return r.rec[i], r.rec[i] != "", nil
}

// outcome of one row: created, refused (the import goes on) or fatal (it ends).
type outcome struct {
	refused *javaException
	fatal   *javaException
}

// create runs one row through getContext, getSchemaSelectStrategy, getUser
// and the server's create, and prints its line; an exception that ends the
// import is returned.
func (imp *importer) create(r row) *javaException {
	ctx, fatal := imp.contextOf(r)
	if fatal != nil {
		return fatal
	}
	out := imp.adminUserOf(r, ctx)
	if out.fatal != nil {
		return out.fatal
	}
	if out.refused == nil {
		out.refused = imp.store(ctx)
	}
	if imp.interrupted() {
		return nil // committed or not, the console is gone
	}
	if out.refused != nil {
		fmt.Fprintf(imp.env.Stderr, "Failed to create context %d: %s\n", ctx.ID, out.refused)
		return nil
	}
	fmt.Fprintf(imp.env.Stdout, "Context %d successfully created\n", ctx.ID)
	return nil
}

// contextOf is getContext and getSchemaSelectStrategy: every exception they
// throw escapes csvparsing's per-row catches.
func (imp *importer) contextOf(r row) (*Context, *javaException) {
	c := &Context{File: imp.opts.file, Started: imp.started}
	ints := []struct {
		col    string
		set    func(int64)
		bits   int
		ignore bool
	}{
		{col: "contextid", set: func(v int64) { c.ID = int(v) }, bits: 32},
		{col: "contextname", ignore: true},
		{col: "addmapping", ignore: true},
		{col: "quota", set: func(v int64) { c.Quota = v }, bits: 64},
		{col: "destination-database-id", set: func(v int64) { c.Database = int(v) }, bits: 32},
		{col: "destination-store-id", set: func(v int64) { c.Store = int(v) }, bits: 32},
	}
	for _, f := range ints {
		v, present, e := r.value(f.col)
		switch {
		case e != nil:
			return nil, e
		case !present && isRequired(f.col):
			return nil, imp.dataError(fmt.Sprintf("Field %s required but not set.", f.col))
		case !present || f.ignore:
			continue
		}
		n, err := strconv.ParseInt(v, 10, f.bits)
		if err != nil {
			return nil, imp.dataError(fmt.Sprintf("Value in field %s is no integer", f.col))
		}
		f.set(n)
	}
	return c, imp.strategyOf(r, c)
}

// strategyOf is getSchemaSelectStrategy.
func (imp *importer) strategyOf(r row, c *Context) *javaException {
	schema, hasSchema, e := r.value("schema")
	if e != nil {
		return e
	}
	strategy, hasStrategy, e := r.value("schema-strategy")
	if e != nil {
		return e
	}
	switch {
	case hasSchema && hasStrategy:
		return imp.dataError(`You can not specify "schema" and "schema-strategy" at the same time.`)
	case hasSchema:
		c.Schema = schema
	case hasStrategy && strategy != "automatic" && strategy != "in-memory":
		return imp.dataError(`Invalid value for "schema". Available values: "automatic", "in-memory"`)
	case hasStrategy:
		c.Strategy = strategy
	}
	return nil
}

func (imp *importer) dataError(msg string) *javaException {
	return imp.client.adminException(invalidData, msg,
		"com.openexchange.admin.console.context.ContextAbstraction.getContext(ContextAbstraction.java)")
}

// adminUserOf is getUser (in setValue's order) and the access combination:
// an empty required value is a per-row refusal, a short row still ends the
// import.
func (imp *importer) adminUserOf(r row, c *Context) outcome {
	for _, col := range []string{"username", "password", "email", "displayname", "surname", "givenname", "language", "timezone"} {
		v, present, e := r.value(col)
		if e != nil {
			return outcome{fatal: e}
		}
		if !present && isRequired(col) {
			return outcome{refused: imp.client.adminException(invalidData, fmt.Sprintf("Field %s required but not set.", col))}
		}
		c.set(col, v)
	}
	if _, _, e := r.value("access-combination-name"); e != nil {
		return outcome{fatal: e}
	}
	return outcome{}
}

// set records an admin user's value.
func (c *Context) set(col, v string) {
	switch col {
	case "username":
		c.Username = v
	case "password":
		sum := sha256.Sum256([]byte(v))
		c.PasswordSHA256 = hex.EncodeToString(sum[:])
	case "email":
		c.Email = v
	case "displayname":
		c.DisplayName = v
	case "surname":
		c.Surname = v
	case "givenname":
		c.GivenName = v
	}
}

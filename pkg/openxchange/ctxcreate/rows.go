// Package ctxcreate creates Open-Xchange contexts over the SOAP API, from
// the rows createcontext --csv-import reads: a pool of streams that never
// sends two creates into one schema at once, the first context alone as the
// login check, transient faults retried, and a lost answer resolved by
// asking the server before anything is sent again.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package ctxcreate

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"provpipe/pkg/openxchange/oxsoap"
	"provpipe/pkg/shared/csvstream"
)

// Job is one row: the context to create and where its row came from.
type Job struct {
	Request oxsoap.CreateRequest
	Line    int    // the row's line in its input
	Source  string // the input's name
	unit    string // the scheduler's unit for it
}

// ID is the context id as the row has it.
func (j *Job) ID() string { return j.Request.Context.ID }

// Unit is what two streams must not create into at once: the row's
// schema, else its database (automatic placement there), else nothing
// (OX places it; the server's own locks decide).
func (j *Job) Unit() string {
	if s := j.Request.Strategy.SchemaName; s != "" {
		return "schema " + s
	}
	if db := j.Request.Context.DatabaseID; db != "" {
		return "database " + db
	}
	return ""
}

// required are the columns createcontext's CSV import requires
// (CreateCore.csvparsing's checkRequired).
var required = []string{"contextid", "username", "displayname", "givenname", "surname", "password", "email", "quota"}

// columns maps each column createcontext reads to its index.
type columns map[string]int

func (c columns) get(fields []string, name string) string {
	if i, ok := c[name]; ok && i < len(fields) {
		return fields[i]
	}
	return ""
}

// Reader reads jobs from createcontext CSV, as createcontext reads it:
// columns by exact name, a later column of a name winning over an earlier
// one, empty lines skipped.
type Reader struct {
	csv  *csvstream.Reader
	name string
	cols columns
}

// NewReader reads the header of r; name is the input's name in errors.
func NewReader(r io.Reader, name string) (*Reader, error) {
	cr := csvstream.NewReader(r, name)
	head, err := cr.Next()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty input: no header line", name)
	}
	if err != nil {
		return nil, err
	}
	cols := columns{}
	for i, c := range head.Fields() {
		cols[c] = i
	}
	for _, c := range required {
		if _, ok := cols[c]; !ok {
			return nil, fmt.Errorf("%s:%d: the required column %q is missing (createcontext refuses the file)", name, head.Line, c)
		}
	}
	return &Reader{csv: cr, name: name, cols: cols}, nil
}

// Next returns the next row's job, or io.EOF.
func (r *Reader) Next() (*Job, error) {
	rec, err := r.csv.Next()
	if err != nil {
		return nil, err
	}
	f := rec.Fields()
	if bytes.IndexByte(rec.Raw, '\\') >= 0 {
		// createcontext's reader (opencsv 2.0) takes a backslash as an
		// escape: what it would create is not what the row says.
		return nil, fmt.Errorf("%s:%d: a value holds a backslash, which createcontext's CSV reader would alter; ctxcreate refuses the row rather than create something else", r.name, rec.Line)
	}
	get := func(c string) string { return r.cols.get(f, c) }
	schema := get("schema")
	if schema == "" {
		schema = get("schema-name")
	}
	j := &Job{Line: rec.Line, Source: r.name, Request: oxsoap.CreateRequest{
		Context: oxsoap.Context{ID: get("contextid"), Name: get("contextname"), MaxQuota: get("quota"),
			FilestoreID: get("destination-store-id"), DatabaseID: get("destination-database-id")},
		Admin: oxsoap.User{Name: get("username"), Password: get("password"), DisplayName: get("displayname"),
			GivenName: get("givenname"), SurName: get("surname"), Email: get("email"),
			Language: get("language"), Timezone: get("timezone")},
		Strategy: oxsoap.Strategy{SchemaName: schema, Strategy: get("schema-strategy")},
		Access:   get("access-combination-name"),
	}}
	if j.ID() == "" {
		return nil, fmt.Errorf("%s:%d: empty contextid", r.name, rec.Line)
	}
	return j, nil
}

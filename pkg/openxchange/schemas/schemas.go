// Package schemas reads and validates the schemas.csv file of Open-Xchange
// fast-mode pre-provisioning. Its header names extra createcontext columns;
// its rows say where contexts go, and are cycled over the contexts.
//
// The placement columns are createcontext's long option names, which its CSV
// import matches exactly: schema, schema-strategy, destination-database-id
// and destination-store-id. The pre-provisioning article and older releases
// say schema-name; a file may use either name for the schema column, and the
// table keeps it under one name (Schema) so the writer chooses what to call it.
// A row places its context by one of the modes the documentation describes:
//   - schema fast mode: a schema and the destination-database-id it lives in;
//   - schema-strategy: "in-memory" (fast mode; ignored from 7.10 on) or
//     "automatic";
//   - automatic mode: only database and/or store ids.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package schemas

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"provpipe/pkg/shared/csvstream"
)

// Column names createcontext --csv-import understands for placement.
const (
	Schema         = "schema"
	LegacySchema   = "schema-name" // the article's name; older releases may read it
	SchemaStrategy = "schema-strategy"
	DatabaseID     = "destination-database-id"
	StoreID        = "destination-store-id"
)

// Strategies createcontext accepts in schema-strategy.
const (
	StrategyAutomatic = "automatic"
	StrategyInMemory  = "in-memory"
)

// Mode is how createcontext chooses a context's schema.
type Mode int

const (
	Automatic Mode = iota
	SchemaMode
	InMemory
)

func (m Mode) String() string {
	switch m {
	case SchemaMode:
		return "schema fast mode"
	case InMemory:
		return "in-memory fast mode"
	}
	return "automatic mode"
}

// Table is a validated schemas.csv.
type Table struct {
	Name string // file name, for messages
	// Columns is the header, with the schema column called Schema whatever
	// the file called it.
	Columns []string
	Rows    [][]string // data rows, in the order they are cycled
	Lines   []int      // line each row came from
	Mode    Mode       // the mode of the first row, for messages
	// SchemaHeader is the name the file gave its schema column, or "".
	SchemaHeader string
	// Unknown lists header columns createcontext does not read for
	// placement; they are passed through unchanged.
	Unknown []string
	// Warnings are worth telling the operator but stop nothing.
	Warnings []string
}

// Options changes what Parse accepts.
type Options struct {
	// AllowNoPlacement accepts a file without any placement column (it
	// only adds columns).
	AllowNoPlacement bool
}

// Error is a problem in a schemas file, with its line.
type Error = csvstream.ParseError

// Parse reads and validates schemas CSV from r.
func Parse(r io.Reader, name string, opt Options) (*Table, error) {
	cr := csvstream.NewReader(r, name)
	cr.MaxRecord = 1 << 20
	cr.ValidateUTF8 = true
	head, err := cr.Next()
	if err == io.EOF {
		return nil, &Error{Name: name, Line: 1, Msg: "empty schemas file: expected a header line and at least one row"}
	}
	if err != nil {
		return nil, err
	}
	t := &Table{Name: name, Columns: trimAll(head.Fields())}
	if err := t.checkHeader(head.Line, opt); err != nil {
		return nil, err
	}
	for {
		rec, err := cr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if rec.NumFields() != len(t.Columns) {
			return nil, &Error{Name: name, Line: rec.Line,
				Msg: fmt.Sprintf("row has %d fields, the header has %d (%s)", rec.NumFields(), len(t.Columns), strings.Join(t.Columns, ","))}
		}
		t.Rows = append(t.Rows, trimAll(rec.Fields()))
		t.Lines = append(t.Lines, rec.Line)
	}
	if len(t.Rows) == 0 {
		return nil, &Error{Name: name, Line: head.Line, Msg: "schemas file has a header but no rows"}
	}
	if err := t.validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// trimAll drops the spaces around values, as the seed's `read` did.
func trimAll(fields []string) []string {
	for i, f := range fields {
		fields[i] = strings.TrimSpace(f)
	}
	return fields
}

// placement are the columns that say where a context goes.
var placement = map[string]bool{Schema: true, SchemaStrategy: true, DatabaseID: true, StoreID: true}

func (t *Table) checkHeader(line int, opt Options) error {
	seen := map[string]bool{}
	for i, c := range t.Columns {
		if c == "" {
			return &Error{Name: t.Name, Line: line, Msg: "header has an empty column name"}
		}
		if err := checkText(c); err != nil {
			return &Error{Name: t.Name, Line: line, Msg: fmt.Sprintf("column name %q: %v", c, err)}
		}
		if c == Schema || c == LegacySchema {
			if t.SchemaHeader != "" {
				return &Error{Name: t.Name, Line: line, Msg: fmt.Sprintf("header names the schema column twice (%s and %s)", t.SchemaHeader, c)}
			}
			t.SchemaHeader, c = c, Schema
			t.Columns[i] = c
		}
		if seen[c] {
			return &Error{Name: t.Name, Line: line, Msg: fmt.Sprintf("header names column %q twice", c)}
		}
		seen[c] = true
		if !placement[c] {
			t.Unknown = append(t.Unknown, c)
		}
	}
	if len(t.Unknown) == len(t.Columns) && !opt.AllowNoPlacement {
		return &Error{Name: t.Name, Line: line, Msg: fmt.Sprintf("no placement column (%s, %s, %s or %s): "+
			"every context would go where createcontext's automatic strategy puts it; "+
			"if that is what you want, say so with --no-placement", Schema, SchemaStrategy, DatabaseID, StoreID)}
	}
	if seen[Schema] && !seen[DatabaseID] {
		return &Error{Name: t.Name, Line: line, Msg: fmt.Sprintf("a %s column needs a %s column: a schema lives in one database", t.SchemaHeader, DatabaseID)}
	}
	return nil
}

// checkText refuses what no schema name, id or column name may hold.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("invalid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("control character %U", r)
		}
	}
	return nil
}

// Index returns the position of a column, or -1.
func (t *Table) Index(column string) int {
	for i, c := range t.Columns {
		if c == column {
			return i
		}
	}
	return -1
}

// Header returns the columns as they are to be written, the schema column
// named schemaColumn.
func (t *Table) Header(schemaColumn string) []string {
	out := append([]string(nil), t.Columns...)
	if i := t.Index(Schema); i >= 0 {
		out[i] = schemaColumn
	}
	return out
}

func (t *Table) validate() error {
	ids := []int{t.Index(DatabaseID), t.Index(StoreID)}
	name, strategy := t.Index(Schema), t.Index(SchemaStrategy)
	firstSeen := map[string]int{}
	inMemory := 0
	for k, row := range t.Rows {
		line := t.Lines[k]
		for i, v := range row {
			if err := checkText(v); err != nil {
				return &Error{Name: t.Name, Line: line, Msg: fmt.Sprintf("%s %q: %v", t.Columns[i], v, err)}
			}
		}
		schema, strat := field(row, name), field(row, strategy)
		if err := t.checkRow(row, ids, schema, strat, line); err != nil {
			return err
		}
		if k == 0 {
			t.Mode = modeOf(schema, strat)
		}
		if strat == StrategyInMemory {
			inMemory++
		}
		if schema == "" {
			continue
		}
		if prev, dup := firstSeen[schema]; dup {
			return &Error{Name: t.Name, Line: line, Msg: fmt.Sprintf("schema %q already listed on line %d", schema, prev)}
		}
		firstSeen[schema] = line
	}
	if inMemory > 0 {
		t.Warnings = append(t.Warnings, fmt.Sprintf("%d rows ask for schema-strategy in-memory: Open-Xchange 7.10 and later "+
			"ignore it and place the context automatically; pre-create schemas (createschemas) and name them in a %s column", inMemory, Schema))
	}
	return nil
}

func field(row []string, i int) string {
	if i < 0 {
		return ""
	}
	return row[i]
}

func modeOf(schema, strategy string) Mode {
	switch {
	case schema != "":
		return SchemaMode
	case strategy == StrategyInMemory:
		return InMemory
	}
	return Automatic
}

// checkRow applies createcontext's per-row rules ahead of it.
func (t *Table) checkRow(row []string, ids []int, schema, strategy string, line int) error {
	for _, i := range ids {
		if err := t.checkID(row, i, line, schema != ""); err != nil {
			return err
		}
	}
	switch {
	case schema != "" && strategy != "":
		return &Error{Name: t.Name, Line: line, Msg: fmt.Sprintf("both %s %q and schema-strategy %q: createcontext refuses a row with both", t.SchemaHeader, schema, strategy)}
	case strategy != "" && strategy != StrategyAutomatic && strategy != StrategyInMemory:
		return &Error{Name: t.Name, Line: line, Msg: fmt.Sprintf("schema-strategy is %q; createcontext takes %q or %q", strategy, StrategyAutomatic, StrategyInMemory)}
	}
	return nil
}

// checkID requires a positive integer id. A row naming a schema needs its
// database id; elsewhere an empty id lets createcontext choose.
func (t *Table) checkID(row []string, i, line int, hasSchema bool) error {
	if i < 0 {
		return nil
	}
	v := row[i]
	if v == "" {
		if hasSchema && t.Columns[i] == DatabaseID {
			return &Error{Name: t.Name, Line: line, Msg: fmt.Sprintf("empty %s: a row naming a schema needs the database it lives in", DatabaseID)}
		}
		return nil
	}
	if n, err := strconv.ParseUint(v, 10, 31); err != nil || n == 0 {
		return &Error{Name: t.Name, Line: line, Msg: fmt.Sprintf("%s %q is not a positive integer", t.Columns[i], v)}
	}
	return nil
}

// Interleave reorders schema-name rows round-robin across database ids: one
// row of the first database, one of the second, ..., then again, so that
// consecutive contexts go to different database hosts. The order within a
// database, and of the databases (by first appearance), is kept.
func (t *Table) Interleave() error {
	db := t.Index(DatabaseID)
	if db < 0 {
		return errors.New("interleaving needs a destination-database-id column")
	}
	var order []string
	groups := map[string][]int{}
	for k, row := range t.Rows {
		if _, seen := groups[row[db]]; !seen {
			order = append(order, row[db])
		}
		groups[row[db]] = append(groups[row[db]], k)
	}
	rows := make([][]string, 0, len(t.Rows))
	lines := make([]int, 0, len(t.Rows))
	for round := 0; len(rows) < len(t.Rows); round++ {
		for _, id := range order {
			if g := groups[id]; round < len(g) {
				rows = append(rows, t.Rows[g[round]])
				lines = append(lines, t.Lines[g[round]])
			}
		}
	}
	t.Rows, t.Lines = rows, lines
	return nil
}

// Package schemas reads and validates the schemas.csv file of Open-Xchange
// fast-mode pre-provisioning. Its header names extra createcontext columns;
// its rows say where contexts go, and are cycled over the contexts.
//
// Three modes exist, as the Open-Xchange documentation describes them:
//   - schema-name fast mode: every row names a schema-name, the
//     destination-database-id that schema lives in, and a destination-store-id;
//   - in-memory fast mode: schema-strategy is "in-memory" on every row;
//   - automatic mode: only database and/or store ids, or no file at all.
package schemas

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"provpipe/pkg/csvstream"
)

// Column names createcontext --csv-import understands for placement.
const (
	SchemaName     = "schema-name"
	SchemaStrategy = "schema-strategy"
	DatabaseID     = "destination-database-id"
	StoreID        = "destination-store-id"
)

// Mode is how createcontext chooses a context's schema.
type Mode int

const (
	Automatic Mode = iota
	SchemaNameMode
	InMemory
)

func (m Mode) String() string {
	switch m {
	case SchemaNameMode:
		return "schema-name fast mode"
	case InMemory:
		return "in-memory fast mode"
	}
	return "automatic mode"
}

// Table is a validated schemas.csv.
type Table struct {
	Name    string     // file name, for messages
	Columns []string   // header
	Rows    [][]string // data rows, in the order they are cycled
	Lines   []int      // line each row came from
	Mode    Mode
	// Unknown lists header columns that are not placement columns; they are
	// passed through to createcontext unchanged.
	Unknown []string
}

// Error is a problem in a schemas file, with its line.
type Error = csvstream.ParseError

// Load reads and validates a schemas file.
func Load(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("schemas file: %w", err)
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads and validates schemas CSV from r.
func Parse(r io.Reader, name string) (*Table, error) {
	cr := csvstream.NewReader(r, name)
	cr.MaxRecord = 1 << 20
	head, err := cr.Next()
	if err == io.EOF {
		return nil, &Error{Name: name, Line: 1, Msg: "empty schemas file: expected a header line and at least one row"}
	}
	if err != nil {
		return nil, err
	}
	t := &Table{Name: name, Columns: trimAll(head.Fields())}
	if err := t.checkHeader(head.Line); err != nil {
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

// known are the placement columns; others pass through with a warning.
var known = map[string]bool{SchemaName: true, SchemaStrategy: true, DatabaseID: true, StoreID: true}

func (t *Table) checkHeader(line int) error {
	seen := map[string]bool{}
	for _, c := range t.Columns {
		if c == "" {
			return &Error{Name: t.Name, Line: line, Msg: "header has an empty column name"}
		}
		if seen[c] {
			return &Error{Name: t.Name, Line: line, Msg: fmt.Sprintf("header names column %q twice", c)}
		}
		seen[c] = true
		if !known[c] {
			t.Unknown = append(t.Unknown, c)
		}
	}
	switch {
	case seen[SchemaName] && seen[SchemaStrategy]:
		return &Error{Name: t.Name, Line: line, Msg: "header has both schema-name and schema-strategy; choose one fast mode"}
	case seen[SchemaName]:
		t.Mode = SchemaNameMode
		for _, need := range []string{DatabaseID, StoreID} {
			if !seen[need] {
				return &Error{Name: t.Name, Line: line, Msg: fmt.Sprintf("schema-name fast mode needs a %s column", need)}
			}
		}
	case seen[SchemaStrategy]:
		t.Mode = InMemory
	default:
		t.Mode = Automatic
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

func (t *Table) validate() error {
	ids := []int{t.Index(DatabaseID), t.Index(StoreID)}
	name, strategy := t.Index(SchemaName), t.Index(SchemaStrategy)
	firstSeen := map[string]int{}
	for k, row := range t.Rows {
		line := t.Lines[k]
		for _, i := range ids {
			if err := t.checkID(row, i, line); err != nil {
				return err
			}
		}
		if strategy >= 0 && row[strategy] != "in-memory" {
			return &Error{Name: t.Name, Line: line, Msg: fmt.Sprintf("schema-strategy is %q; fast mode needs \"in-memory\"", row[strategy])}
		}
		if name < 0 {
			continue
		}
		if row[name] == "" {
			return &Error{Name: t.Name, Line: line, Msg: "empty schema-name"}
		}
		if prev, dup := firstSeen[row[name]]; dup {
			return &Error{Name: t.Name, Line: line, Msg: fmt.Sprintf("schema %q already listed on line %d", row[name], prev)}
		}
		firstSeen[row[name]] = line
	}
	return nil
}

// checkID requires a positive integer id; in schema-name mode ids may not be
// empty, elsewhere an empty id lets createcontext choose.
func (t *Table) checkID(row []string, i, line int) error {
	if i < 0 {
		return nil
	}
	v := row[i]
	if v == "" {
		if t.Mode == SchemaNameMode {
			return &Error{Name: t.Name, Line: line, Msg: fmt.Sprintf("empty %s (schema-name fast mode needs it on every row)", t.Columns[i])}
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
		return errors.New("--interleave needs a destination-database-id column")
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

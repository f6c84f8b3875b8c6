package schemas

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseModes(t *testing.T) {
	cases := []struct {
		name, in     string
		mode         Mode
		rows         int
		unknown      []string
		schemaHeader string
		warnings     int
	}{
		{"schema", "destination-database-id,schema,destination-store-id\n3,s1,2\n6,s2,2\n", SchemaMode, 2, nil, "schema", 0},
		{"schema-name as in the article", "destination-database-id,schema-name,destination-store-id\n3,s1,2\n", SchemaMode, 1, nil, "schema-name", 0},
		{"schema without store", "destination-database-id,schema\n3,s1\n", SchemaMode, 1, nil, "schema", 0},
		{"in-memory warns", "schema-strategy,destination-database-id,destination-store-id\nin-memory,3,2\n", InMemory, 1, nil, "", 1},
		{"automatic strategy", "schema-strategy\nautomatic\n", Automatic, 1, nil, "", 0},
		{"schema or strategy per row", "destination-database-id,schema,schema-strategy\n3,s1,\n6,,automatic\n", SchemaMode, 2, nil, "schema", 0},
		{"automatic", "destination-database-id,destination-store-id\n3,2\n6,\n", Automatic, 2, nil, "", 0},
		{"store only", "destination-store-id\n2\n", Automatic, 1, nil, "", 0},
		{"spaces trimmed", " destination-store-id \n 2 \n", Automatic, 1, nil, "", 0},
		{"extra column", "destination-store-id,contextname\n2,x\n", Automatic, 1, []string{"contextname"}, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tab, err := Parse(strings.NewReader(c.in), "schemas.csv", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if tab.Mode != c.mode || len(tab.Rows) != c.rows || !reflect.DeepEqual(tab.Unknown, c.unknown) ||
				tab.SchemaHeader != c.schemaHeader || len(tab.Warnings) != c.warnings {
				t.Errorf("mode %v rows %d unknown %v header %q warnings %q; want %v %d %v %q %d",
					tab.Mode, len(tab.Rows), tab.Unknown, tab.SchemaHeader, tab.Warnings, c.mode, c.rows, c.unknown, c.schemaHeader, c.warnings)
			}
			if tab.SchemaHeader != "" && tab.Index(Schema) < 0 {
				t.Errorf("schema column not kept as %q: %v", Schema, tab.Columns)
			}
		})
	}
}

func TestHeaderNamesSchemaColumn(t *testing.T) {
	tab, err := Parse(strings.NewReader("destination-database-id,schema-name\n3,s1\n"), "x", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"schema", "schema-name"} {
		if got := tab.Header(name); !reflect.DeepEqual(got, []string{"destination-database-id", name}) {
			t.Errorf("Header(%q) = %v", name, got)
		}
	}
}

func TestNoPlacementNeedsConsent(t *testing.T) {
	in := "contextname\nx\n"
	if _, err := Parse(strings.NewReader(in), "s.csv", Options{}); err == nil || !strings.Contains(err.Error(), "s.csv:1: no placement column") {
		t.Errorf("error %v, want a refusal naming the file", err)
	}
	if _, err := Parse(strings.NewReader(in), "s.csv", Options{AllowNoPlacement: true}); err != nil {
		t.Errorf("refused with AllowNoPlacement: %v", err)
	}
}

func TestParseRejects(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty file", "", "schemas.csv:1: empty schemas file"},
		{"header only", "destination-store-id\n", "schemas.csv:1: schemas file has a header but no rows"},
		{"short row", "destination-database-id,schema,destination-store-id\n3,s1,2\n6,s2\n", "schemas.csv:3: row has 2 fields, the header has 3"},
		{"long row", "destination-store-id\n2\n2,3\n", "schemas.csv:3: row has 2 fields, the header has 1"},
		{"duplicate schema", "destination-database-id,schema,destination-store-id\n3,s1,2\n6,s2,2\n9,s1,2\n", `schemas.csv:4: schema "s1" already listed on line 2`},
		{"schema without db column", "schema-name,destination-store-id\ns1,2\n", "schemas.csv:1: a schema-name column needs a destination-database-id column"},
		{"empty db beside a schema", "destination-database-id,schema,destination-store-id\n,s1,2\n", "schemas.csv:2: empty destination-database-id"},
		{"bad id", "destination-database-id\nthree\n", `schemas.csv:2: destination-database-id "three" is not a positive integer`},
		{"zero id", "destination-store-id\n0\n", `schemas.csv:2: destination-store-id "0" is not a positive integer`},
		{"unknown strategy", "schema-strategy\nfast\n", `schemas.csv:2: schema-strategy is "fast"; createcontext takes "automatic" or "in-memory"`},
		{"schema and strategy on one row", "destination-database-id,schema,schema-strategy\n3,s,in-memory\n", "schemas.csv:2: both schema \"s\" and schema-strategy \"in-memory\""},
		{"both schema names", "destination-database-id,schema,schema-name\n3,a,b\n", "schemas.csv:1: header names the schema column twice"},
		{"duplicate column", "destination-store-id,destination-store-id\n1,2\n", `schemas.csv:1: header names column "destination-store-id" twice`},
		{"unterminated quote", "destination-store-id\n\"2\n", "schemas.csv:2: unterminated quoted field"},
		{"NUL in schema", "destination-database-id,schema\n3,\"a\x00b\"\n", "schemas.csv:2: schema \"a\\x00b\": control character U+0000"},
		{"newline in schema", "destination-database-id,schema\n3,\"a\nb\"\n", "control character U+000A"},
		{"invalid UTF-8", "destination-database-id,schema\n3,a\xffb\n", "schemas.csv:2: invalid UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(c.in), "schemas.csv", Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestInterleave(t *testing.T) {
	in := "destination-database-id,schema-name,destination-store-id\n" +
		"3,s1,2\n3,s4,2\n3,s7,2\n6,s2,2\n6,s5,2\n9,s3,2\n9,s6,2\n9,s9,2\n9,s12,2\n"
	tab, err := Parse(strings.NewReader(in), "schemas.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.Interleave(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range tab.Rows {
		got = append(got, r[1])
	}
	want := []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s9", "s12"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("interleaved %v, want %v", got, want)
	}
	if tab.Lines[1] != 5 { // s2 came from line 5
		t.Errorf("line numbers not carried: %v", tab.Lines)
	}
}

func TestInterleaveNeedsDatabase(t *testing.T) {
	tab, err := Parse(strings.NewReader("schema-strategy\nin-memory\n"), "x", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.Interleave(); err == nil {
		t.Error("interleave without database ids accepted")
	}
}

// FuzzParse checks that Parse never panics, and that an accepted table is
// consistent: every row as wide as the header, schema names unique.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"destination-database-id,schema-name,destination-store-id\n3,s1,2\n", "destination-database-id,schema\n3,s\n",
		"schema-strategy\nin-memory\n", "destination-store-id\n2\n", "", "a\n\"", "schema-name\n\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tab, err := Parse(strings.NewReader(in), "fuzz", Options{})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz:") {
				t.Fatalf("error %q does not name the file and line", err)
			}
			return
		}
		names := map[string]bool{}
		col, strat := tab.Index(Schema), tab.Index(SchemaStrategy)
		for _, r := range tab.Rows {
			if col >= 0 && strat >= 0 && r[col] != "" && r[strat] != "" {
				t.Fatalf("row %v has both a schema and a strategy", r)
			}
			if len(r) != len(tab.Columns) {
				t.Fatalf("row %v wider or narrower than header %v", r, tab.Columns)
			}
			if col >= 0 {
				if names[r[col]] {
					t.Fatalf("duplicate schema %q accepted", r[col])
				}
				names[r[col]] = true
			}
		}
		if len(tab.Rows) == 0 {
			t.Fatal("accepted a table without rows")
		}
	})
}

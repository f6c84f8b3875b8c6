package schemas

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseModes(t *testing.T) {
	cases := []struct {
		name, in string
		mode     Mode
		rows     int
		unknown  []string
	}{
		{"schema-name", "destination-database-id,schema-name,destination-store-id\n3,s1,2\n6,s2,2\n", SchemaNameMode, 2, nil},
		{"in-memory", "schema-strategy,destination-database-id,destination-store-id\nin-memory,3,2\n", InMemory, 1, nil},
		{"in-memory alone", "schema-strategy\nin-memory\n", InMemory, 1, nil},
		{"automatic", "destination-database-id,destination-store-id\n3,2\n6,\n", Automatic, 2, nil},
		{"store only", "destination-store-id\n2\n", Automatic, 1, nil},
		{"spaces trimmed", " destination-store-id \n 2 \n", Automatic, 1, nil},
		{"extra column", "destination-store-id,quota\n2,500\n", Automatic, 1, []string{"quota"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tab, err := Parse(strings.NewReader(c.in), "schemas.csv")
			if err != nil {
				t.Fatal(err)
			}
			if tab.Mode != c.mode || len(tab.Rows) != c.rows || !reflect.DeepEqual(tab.Unknown, c.unknown) {
				t.Errorf("mode %v rows %d unknown %v; want %v %d %v", tab.Mode, len(tab.Rows), tab.Unknown, c.mode, c.rows, c.unknown)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty file", "", "schemas.csv:1: empty schemas file"},
		{"header only", "destination-store-id\n", "schemas.csv:1: schemas file has a header but no rows"},
		{"short row", "destination-database-id,schema-name,destination-store-id\n3,s1,2\n6,s2\n", "schemas.csv:3: row has 2 fields, the header has 3"},
		{"long row", "destination-store-id\n2\n2,3\n", "schemas.csv:3: row has 2 fields, the header has 1"},
		{"duplicate schema", "destination-database-id,schema-name,destination-store-id\n3,s1,2\n6,s2,2\n9,s1,2\n", `schemas.csv:4: schema "s1" already listed on line 2`},
		{"schema without db column", "schema-name,destination-store-id\ns1,2\n", "schemas.csv:1: schema-name fast mode needs a destination-database-id column"},
		{"schema without store column", "schema-name,destination-database-id\ns1,2\n", "schemas.csv:1: schema-name fast mode needs a destination-store-id column"},
		{"empty schema", "destination-database-id,schema-name,destination-store-id\n3,,2\n", "schemas.csv:2: empty schema-name"},
		{"empty db in schema mode", "destination-database-id,schema-name,destination-store-id\n,s1,2\n", "schemas.csv:2: empty destination-database-id"},
		{"bad id", "destination-database-id\nthree\n", `schemas.csv:2: destination-database-id "three" is not a positive integer`},
		{"zero id", "destination-store-id\n0\n", `schemas.csv:2: destination-store-id "0" is not a positive integer`},
		{"wrong strategy", "schema-strategy\nautomatic\n", `schemas.csv:2: schema-strategy is "automatic"`},
		{"both modes", "schema-name,schema-strategy\ns,in-memory\n", "schemas.csv:1: header has both schema-name and schema-strategy"},
		{"duplicate column", "destination-store-id,destination-store-id\n1,2\n", `schemas.csv:1: header names column "destination-store-id" twice`},
		{"unterminated quote", "destination-store-id\n\"2\n", "schemas.csv:2: unterminated quoted field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(c.in), "schemas.csv")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestInterleave(t *testing.T) {
	in := "destination-database-id,schema-name,destination-store-id\n" +
		"3,s1,2\n3,s4,2\n3,s7,2\n6,s2,2\n6,s5,2\n9,s3,2\n9,s6,2\n9,s9,2\n9,s12,2\n"
	tab, err := Parse(strings.NewReader(in), "schemas.csv")
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
	tab, err := Parse(strings.NewReader("schema-strategy\nin-memory\n"), "x")
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
		"destination-database-id,schema-name,destination-store-id\n3,s1,2\n",
		"schema-strategy\nin-memory\n", "destination-store-id\n2\n", "", "a\n\"", "schema-name\n\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tab, err := Parse(strings.NewReader(in), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz:") {
				t.Fatalf("error %q does not name the file and line", err)
			}
			return
		}
		names := map[string]bool{}
		col := tab.Index(SchemaName)
		for _, r := range tab.Rows {
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

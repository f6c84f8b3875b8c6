package ctxrows

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"provpipe/pkg/openxchange/schemas"
)

func generate(t *testing.T, spec Spec) [][]string {
	t.Helper()
	var out bytes.Buffer
	if err := writeSpec(&out, spec); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(&out)
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("output is not valid CSV: %v", err)
	}
	return recs
}

func baseSpec(start, end int64) Spec {
	c := DefaultContext()
	c.Password = "secret"
	return Spec{Start: start, End: end, Context: c}
}

func TestDefaultsMatchTheDocumentedScript(t *testing.T) {
	recs := generate(t, baseSpec(7, 8))
	if !reflect.DeepEqual(recs[0], ContextColumns) {
		t.Errorf("header %v", recs[0])
	}
	want := []string{"7", "oxadmin", "secret", "Admin Context 7", "Admin", "Context 7", "oxadmin@context7", "1000", "all", "en_US", "Europe/Berlin"}
	if !reflect.DeepEqual(recs[1], want) {
		t.Errorf("row %v, want %v", recs[1], want)
	}
	if len(recs) != 3 || recs[2][0] != "8" {
		t.Errorf("rows %v", recs)
	}
}

func TestQuoting(t *testing.T) {
	spec := baseSpec(1, 1)
	spec.Context.DisplayName = `Kunde "A", Köln {id}`
	spec.Context.Password = "p{w}\nd"
	for _, q := range []Quoting{QuoteAll, QuoteMinimal} {
		spec.Style.Quote = q
		var out bytes.Buffer
		if err := writeSpec(&out, spec); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(out.Bytes())).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if recs[1][3] != `Kunde "A", Köln 1` || recs[1][2] != "p{w}\nd" {
			t.Errorf("quoting %v: values %q %q", q, recs[1][3], recs[1][2])
		}
		line := strings.SplitN(out.String(), "\n", 3)[1]
		if q == QuoteMinimal && !strings.HasPrefix(line, "1,oxadmin,") {
			t.Errorf("minimal quoting quoted plain fields: %s", line)
		}
		if q == QuoteAll && !strings.HasPrefix(line, `"1","oxadmin",`) {
			t.Errorf("all quoting left fields bare: %s", line)
		}
	}
}

func TestTemplates(t *testing.T) {
	spec := baseSpec(41, 41)
	spec.Context.Username = "admin{id}"
	spec.Context.Email = "{username}@{prefix}{id}.example.com"
	spec.Context.Prefix = "ctx"
	recs := generate(t, spec)
	if got := recs[1][6]; got != "admin41@ctx41.example.com" {
		t.Errorf("email %q", got)
	}
	spec.Context.Surname = "Context {ID}"
	if err := writeSpec(&bytes.Buffer{}, spec); err == nil || !strings.Contains(err.Error(), "unknown placeholder {ID}") {
		t.Errorf("typo placeholder accepted: %v", err)
	}
	for _, typo := range []string{"{id2}", "{ id }", "{a-b}", "{}"} {
		spec.Context.Surname = "Context " + typo
		if err := writeSpec(&bytes.Buffer{}, spec); err == nil || !strings.Contains(err.Error(), "unknown placeholder "+typo) {
			t.Errorf("typo %s accepted: %v", typo, err)
		}
	}
	spec.Context.Surname = "Context {n}"
	if err := writeSpec(&bytes.Buffer{}, spec); err == nil || !strings.Contains(err.Error(), "unknown placeholder {n}") {
		t.Errorf("{n} accepted outside user rows: %v", err)
	}
}

func TestSchemasAreCycled(t *testing.T) {
	tab, err := schemas.Parse(strings.NewReader("destination-database-id,schema-name,destination-store-id\n3,s1,2\n6,s2,2\n9,\"s,3\",2\n"), "s.csv", schemas.Options{})
	if err != nil {
		t.Fatal(err)
	}
	spec := baseSpec(10, 17)
	spec.Schemas = tab
	recs := generate(t, spec)
	if got, want := recs[0][11:], []string{"destination-database-id", "schema", "destination-store-id"}; !reflect.DeepEqual(got, want) {
		t.Errorf("header tail %v, want %v (schema-name written as createcontext's schema)", got, want)
	}
	for k, rec := range recs[1:] {
		want := tab.Rows[k%3]
		if !reflect.DeepEqual(rec[11:], want) {
			t.Errorf("context %s got %v, want schema row %v", rec[0], rec[11:], want)
		}
	}
}

func TestSchemaColumnClash(t *testing.T) {
	tab, err := schemas.Parse(strings.NewReader("quota\n5\n"), "s.csv", schemas.Options{AllowNoPlacement: true})
	if err != nil {
		t.Fatal(err)
	}
	spec := baseSpec(1, 2)
	spec.Schemas = tab
	if err := writeSpec(&bytes.Buffer{}, spec); err == nil || !strings.Contains(err.Error(), `column "quota" is already generated`) {
		t.Errorf("clash accepted: %v", err)
	}
}

func TestUserRows(t *testing.T) {
	spec := baseSpec(5, 6)
	u := DefaultUsers()
	u.PerContext = 3
	u.Password = "userpw"
	spec.Users = &u
	recs := generate(t, spec)
	if !reflect.DeepEqual(recs[0], UserColumns) {
		t.Errorf("header %v", recs[0])
	}
	if len(recs) != 1+2*3 {
		t.Fatalf("%d rows", len(recs)-1)
	}
	want := []string{"6", "oxadmin", "secret", "user2", "User 2 Context 6", "User 2", "Context 6", "userpw", "user2@context6", "en_US", "Europe/Berlin"}
	if !reflect.DeepEqual(recs[5], want) {
		t.Errorf("row %v, want %v", recs[5], want)
	}
}

func TestNoHeader(t *testing.T) {
	spec := baseSpec(1, 3)
	spec.NoHeader = true
	recs := generate(t, spec)
	if len(recs) != 3 || recs[0][0] != "1" {
		t.Errorf("rows %v", recs)
	}
}

func BenchmarkWrite(b *testing.B) {
	tab, err := schemas.Parse(strings.NewReader("destination-database-id,schema-name,destination-store-id\n3,s1,2\n6,s2,2\n9,s3,2\n"), "s.csv", schemas.Options{})
	if err != nil {
		b.Fatal(err)
	}
	spec := baseSpec(1, 100000)
	spec.Schemas = tab
	var n countingWriter
	b.ReportAllocs()
	for b.Loop() {
		if err := writeSpec(&n, spec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*100000)/b.Elapsed().Seconds(), "rows/s")
	b.SetBytes(int64(n) / int64(b.N))
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// TestBlocksSplitAnywhere: rows are rendered in blocks of rowsPerBlock; a
// block may end inside a context's users or inside the schema cycle, and
// the output is still every (context, user) once, in order, each context
// with its schema row.
func TestBlocksSplitAnywhere(t *testing.T) {
	tab, err := schemas.Parse(strings.NewReader("destination-database-id,schema-name\n3,s1\n6,s2\n9,s3\n"), "s.csv", schemas.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name         string
		contexts     int64
		perCtx       int
		withSchemas  bool
		skipEveryNth int64
	}{
		{"contexts across blocks", 3*rowsPerBlock + 7, 0, true, 0},
		{"contexts across blocks, some created", 3*rowsPerBlock + 7, 0, true, 5},
		{"users just under a block", 3, rowsPerBlock - 1, false, 0},
		{"users just over a block", 3, rowsPerBlock + 1, false, 0},
		{"users over several blocks", 2, 3*rowsPerBlock + 11, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec := baseSpec(100, 100+c.contexts-1)
			perCtx := 1
			if c.perCtx > 0 {
				u := DefaultUsers()
				u.PerContext, perCtx = c.perCtx, c.perCtx
				spec.Users = &u
			}
			if c.withSchemas {
				spec.Schemas = tab
			}
			skipped := func(id int64) bool { return c.skipEveryNth > 0 && (id-100)%c.skipEveryNth == 0 }
			if c.skipEveryNth > 0 {
				spec.Skip = NewIDSet(100, 100+c.contexts-1)
				for id := int64(100); id < 100+c.contexts; id++ {
					if skipped(id) {
						spec.Skip.Add(id)
					}
				}
			}
			recs := generate(t, spec)[1:]
			i := 0
			for id := int64(100); id < 100+c.contexts; id++ {
				if skipped(id) {
					continue
				}
				for n := 1; n <= perCtx; n++ {
					if i >= len(recs) {
						t.Fatalf("%d rows, ran out at context %d user %d", len(recs), id, n)
					}
					rec := recs[i]
					i++
					if rec[0] != fmt.Sprint(id) {
						t.Fatalf("row %d: context %s, want %d", i, rec[0], id)
					}
					if c.perCtx > 0 && rec[3] != fmt.Sprintf("user%d", n) {
						t.Fatalf("row %d: user %s, want user%d", i, rec[3], n)
					}
					if c.withSchemas && rec[12] != tab.Rows[(id-100)%3][1] {
						t.Fatalf("context %d: schema %s, want %s", id, rec[12], tab.Rows[(id-100)%3][1])
					}
				}
			}
			if i != len(recs) {
				t.Errorf("%d rows, want %d", len(recs), i)
			}
		})
	}
}

// writeSpec compiles spec and writes all its rows into w.
func writeSpec(w io.Writer, spec Spec) error {
	g, err := Compile(spec)
	if err != nil {
		return err
	}
	return g.Write(context.Background(), w)
}

// TestStampedRowsAsRendered: context rows stamped from a row rendered once
// are byte for byte the rows rendered field by field, wherever the ids
// gain a digit (a block starting at each width too), past the widest id a
// stamp holds, with schema rows cycling, created contexts left out, and
// templates that hold the id once or in every column.
func TestStampedRowsAsRendered(t *testing.T) {
	tab, err := schemas.Parse(strings.NewReader("destination-database-id,schema-name\n3,s1\n6,s2\n9,s3\n"), "s.csv", schemas.Options{})
	if err != nil {
		t.Fatal(err)
	}
	everywhere := DefaultContext()
	everywhere.Password, everywhere.Username, everywhere.Language = "pw{id}", "u{id}", "l{id}x"
	type span struct{ start, end int64 }
	var spans []span
	for w := int64(1); w <= 1e9; w *= 10 {
		spans = append(spans, span{max(1, w-3), w + 3}, span{w, w + 1})
	}
	spans = append(spans, span{1, 3*rowsPerBlock + 5})
	for _, sp := range spans {
		for _, c := range []Context{baseSpec(0, 0).Context, everywhere} {
			spec := baseSpec(sp.start, sp.end)
			spec.Context = c
			spec.Schemas = tab
			spec.Skip = NewIDSet(sp.start, sp.end)
			spec.Skip.Add(sp.start + 1)
			var stamped, rendered bytes.Buffer
			if err := writeSpec(&stamped, spec); err != nil {
				t.Fatal(err)
			}
			stampRows = false
			err := writeSpec(&rendered, spec)
			stampRows = true
			if err != nil {
				t.Fatal(err)
			}
			if stamped.String() != rendered.String() {
				t.Fatalf("ids %d to %d: stamped rows differ from rendered ones:\n%.300s\nwant\n%.300s", sp.start, sp.end, stamped.String(), rendered.String())
			}
		}
	}
}

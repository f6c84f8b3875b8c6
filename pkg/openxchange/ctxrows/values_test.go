package ctxrows

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"provpipe/internal/testserver/oxsim/opencsv"
	"provpipe/pkg/openxchange/schemas"
)

// readAsOX parses ctxrows output with the rules of createcontext's reader.
func readAsOX(t testing.TB, b []byte) [][]string {
	t.Helper()
	out, err := opencsv.ReadAll(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestValuesReachOXUnchanged: every value either reaches createcontext's
// reader exactly as given, or is refused before anything is written.
func TestValuesReachOXUnchanged(t *testing.T) {
	values := []struct {
		name, v       string
		refused       bool // by default
		refusedAlways bool
	}{
		{"plain", "secret", false, false},
		{"quote", `pa"ss`, false, false},
		{"comma", "pa,ss", false, false},
		{"newline", "pa\nss", false, false},
		{"non-ASCII", "pässwörd€", false, false},
		{"backslash inside", `pa\ss`, true, false},
		{"trailing backslash", `secret\`, true, false},
		{"backslash quote", `a\"b`, true, false},
		{"double backslash", `a\\b`, true, false},
		{"carriage return", "pa\rss", true, true},
	}
	for _, style := range []Style{{QuoteAll, false}, {QuoteMinimal, false}, {QuoteAll, true}, {QuoteMinimal, true}} {
		for _, c := range values {
			spec := baseSpec(1, 3)
			spec.Style = style
			spec.Context.Password = c.v
			spec.Context.DisplayName = c.v + " {id}"
			var out bytes.Buffer
			err := writeSpec(&out, spec)
			wantRefused := c.refusedAlways || (c.refused && !style.EscapeBackslash)
			if wantRefused {
				var ve *ValueError
				if !errors.As(err, &ve) || out.Len() != 0 {
					t.Errorf("%v %s: error %v, %d bytes written; want a refusal and nothing written", style, c.name, err, out.Len())
				} else if strings.Contains(err.Error(), c.v) {
					t.Errorf("%v %s: the refusal echoes the value: %v", style, c.name, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%v %s: %v", style, c.name, err)
				continue
			}
			recs := readAsOX(t, out.Bytes())
			if len(recs) != 4 {
				t.Fatalf("%v %s: createcontext would read %d records, want 4: %q", style, c.name, len(recs), recs)
			}
			for i, rec := range recs[1:] {
				if rec[2] != c.v || rec[3] != c.v+" "+string(rune('1'+i)) {
					t.Errorf("%v %s: createcontext would read password %q, displayname %q", style, c.name, rec[2], rec[3])
				}
			}
		}
	}
}

func TestRefusalNamesColumnAndRows(t *testing.T) {
	spec := baseSpec(1, 2)
	spec.Context.Password = `x\y`
	err := writeSpec(io.Discard, spec)
	if err == nil || !strings.HasPrefix(err.Error(), "password (every row) holds a backslash") {
		t.Errorf("error %v", err)
	}
	tab, perr := schemas.Parse(strings.NewReader("destination-database-id,schema\n3,a\n3,b\\c\n"), "s.csv", schemas.Options{})
	if perr != nil {
		t.Fatal(perr)
	}
	spec = baseSpec(5, 9)
	spec.Schemas = tab
	err = writeSpec(io.Discard, spec)
	if err == nil || !strings.HasPrefix(err.Error(), "schema (s.csv:3, first used by context 6) holds a backslash") {
		t.Errorf("error %v", err)
	}
}

func TestQuotaMustBeANumber(t *testing.T) {
	for _, q := range []string{"abc", "", "10 MB", "1.5"} {
		spec := baseSpec(1, 1)
		spec.Context.Quota = q
		if err := writeSpec(io.Discard, spec); err == nil || !strings.Contains(err.Error(), "is not a whole number") {
			t.Errorf("quota %q: %v", q, err)
		}
	}
	spec := baseSpec(1, 1)
	spec.Context.Quota = "-1"
	if err := writeSpec(io.Discard, spec); err != nil {
		t.Errorf("quota -1 (unlimited): %v", err)
	}
}

func TestSchemaColumnName(t *testing.T) {
	tab, err := schemas.Parse(strings.NewReader("destination-database-id,schema\n3,a\n"), "s.csv", schemas.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{schemas.Schema, schemas.LegacySchema} {
		spec := baseSpec(1, 1)
		spec.Schemas = tab
		spec.SchemaColumn = name
		recs := generate(t, spec)
		if got := recs[0][12]; got != name {
			t.Errorf("schema column written as %q, want %q", got, name)
		}
	}
}

// TestSkipCreated: contexts reported created are left out, the others keep
// the schema row they had in the full run.
func TestSkipCreated(t *testing.T) {
	tab, err := schemas.Parse(strings.NewReader("destination-database-id,schema\n3,a\n6,b\n9,c\n"), "s.csv", schemas.Options{})
	if err != nil {
		t.Fatal(err)
	}
	full := baseSpec(1, 10)
	full.Schemas = tab
	all := generate(t, full)

	set := NewIDSet(1, 10)
	logText := "Context 2 successfully created\nContext 5 successfully created\r\n" +
		"Failed to create context 7: com.openexchange.admin.rmi.exceptions.StorageException: boom; exceptionId 1-2\n" +
		"Context 99 successfully created\nnoise\n" +
		"Failed to create context 8: com.openexchange.admin.rmi.exceptions.ContextExistsException: Context 8 already exists!; exceptionId 1-4\n"
	log, err := ReadCreated(strings.NewReader(logText), "a.created", set)
	if err != nil {
		t.Fatal(err)
	}
	if log.Created != 4 || log.InRange != 3 || set.Len() != 3 {
		t.Errorf("log %+v, set %d", log, set.Len())
	}
	resume := full
	resume.Skip = set
	got := generate(t, resume)
	var want [][]string
	for _, rec := range all {
		if rec[0] != "2" && rec[0] != "5" && rec[0] != "8" {
			want = append(want, rec)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resumed rows differ from the full run's rows without 2, 5 and 8:\n%q\n%q", got, want)
	}
}

// FuzzValueRoundTrip: whatever a value holds, ctxrows either refuses it or
// writes it so that createcontext's reader reads it back unchanged.
func FuzzValueRoundTrip(f *testing.F) {
	for _, s := range []string{"secret", `a\b`, `x\`, "\"", "a,b", "l1\nl2", "ü", "\r", `\"`, `""`, "{"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, v string, escape bool) {
		for _, q := range []Quoting{QuoteAll, QuoteMinimal} {
			spec := baseSpec(1, 2)
			spec.Style = Style{Quote: q, EscapeBackslash: escape}
			spec.Context.Password = v
			var out bytes.Buffer
			if err := writeSpec(&out, spec); err != nil {
				return
			}
			recs := readAsOX(t, out.Bytes())
			if len(recs) != 3 || len(recs[1]) != len(ContextColumns) || recs[1][2] != norm(v) || recs[2][2] != norm(v) {
				t.Fatalf("%q (quote %v, escape %v) read back as %q", v, q, escape, recs)
			}
		}
	})
}

// norm is what a JVM decoding UTF-8 makes of v: each ill-formed sequence
// becomes U+FFFD.
func norm(v string) string { return opencsv.DecodeUTF8([]byte(v)) }

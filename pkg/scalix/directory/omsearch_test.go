package directory

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		line    string
		want    Entry
		skipped bool
		err     string
	}{
		{line: "User0 Test0", want: Entry{Login: "User0 Test0", CN: "User0 Test0"}},
		{line: "User0 Test0/S=Test0/G=User0/OU1=n1", want: Entry{Login: "User0 Test0", CN: "User0 Test0", Surname: "Test0", Given: "User0", Formal: "S=Test0/G=User0/OU1=n1"}},
		{line: "  User1 \t Test1  /  s = Test1 / g = User1 ", want: Entry{Login: "User1 Test1", CN: "User1 Test1", Surname: "Test1", Given: "User1", Formal: "s = Test1 / g = User1"}},
		{line: "S=Test2/G=User2/OU1=n1", want: Entry{Login: "User2 Test2", CN: "User2 Test2", Surname: "Test2", Given: "User2", Formal: "S=Test2/G=User2/OU1=n1"}},
		{line: "S=Solo", want: Entry{Login: "Solo", CN: "Solo", Surname: "Solo", Formal: "S=Solo"}},
		{line: "CN=Jörg Müller/OU1=n1", want: Entry{Login: "Jörg Müller", CN: "Jörg Müller", Formal: "CN=Jörg Müller/OU1=n1"}},
		{line: "Zoë Ångström\r", want: Entry{Login: "Zoë Ångström", CN: "Zoë Ångström"}},
		{line: "sxqueryadmin/CN=sxqueryadmin", want: Entry{Login: "sxqueryadmin", CN: "sxqueryadmin", Formal: "CN=sxqueryadmin"}},
		{line: "Mr. X=Y", want: Entry{Login: "Mr. X=Y", CN: "Mr. X=Y"}},
		{line: "", skipped: true},
		{line: "   \t", skipped: true},
		{line: "# comment", skipped: true},
		{line: "CN/IA-FORMAL", skipped: true},
		{line: "cn / ia-formal", skipped: true},
		{line: "-------", skipped: true},
		{line: "/S=x", err: "empty name"},
		{line: "OU1=n1/OU2=x", err: "without CN= or S="},
		{line: "=x/S=y", err: "tag without a name"},
		{line: "bad\xffname", err: "UTF-8"},
		{line: "bell\x07", err: "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, ok, err := ParseLine(tt.line)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ok == tt.skipped {
				t.Fatalf("ok = %v, want skipped=%v", ok, tt.skipped)
			}
			if ok && !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestParseOmsearchFixture reads every shape at once: entries in order with
// their line numbers, the broken line reported with its number.
func TestParseOmsearchFixture(t *testing.T) {
	f, err := os.Open("testdata/omsearch-shapes.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, bad, err := ParseOmsearch(f, "shapes")
	if err != nil {
		t.Fatal(err)
	}
	var logins, sources []string
	for _, e := range entries {
		logins = append(logins, e.Login)
		sources = append(sources, e.Source)
	}
	wantLogins := []string{"sxadmin", "sxqueryadmin", "User0 Test0", "User1 Test1", "User2 Test2", "Jörg Müller", "Zoë Ångström", "User0 Test0", "Mary Ann Smith"}
	if !reflect.DeepEqual(logins, wantLogins) {
		t.Errorf("logins = %q\nwant %q", logins, wantLogins)
	}
	if sources[0] != "shapes:3" || sources[len(sources)-1] != "shapes:14" {
		t.Errorf("sources = %q", sources)
	}
	if len(bad) != 1 || bad[0].Line != 12 || !strings.Contains(bad[0].Error(), "shapes:12:") {
		t.Errorf("bad = %v, want line 12", bad)
	}
	if got := len(Dedup(entries)); got != len(entries)-1 {
		t.Errorf("Dedup kept %d of %d, want one duplicate dropped", got, len(entries))
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"User0 Test0", "User0 Test0/S=Test0/G=User0", "S=a/G=b", "CN=x/OU1=y", "/S=x", "=x", "CN/IA-FORMAL", "  a \t b  /x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		e, ok, err := ParseLine(line)
		if err != nil {
			if ok {
				t.Fatal("ok with an error")
			}
			return
		}
		if !ok {
			return
		}
		if e.Login == "" || e.CN == "" {
			t.Fatalf("entry without a name from %q: %+v", line, e)
		}
		if e.CN != strings.Join(strings.Fields(e.CN), " ") {
			t.Fatalf("CN %q not collapsed", e.CN)
		}
		if strings.Contains(e.CN, "/") && !strings.HasPrefix(strings.TrimSpace(line), "CN=") && !strings.Contains(line, "=") {
			t.Fatalf("CN %q holds a '/' from %q", e.CN, line)
		}
		// Whatever was accepted resolves to itself by its CN.
		if s, err := ParseSpec(e.CN); err == nil && !strings.Contains(e.CN, "/") && !s.Matches(e) {
			t.Fatalf("spec %q does not match its own entry %+v", e.CN, e)
		}
	})
}

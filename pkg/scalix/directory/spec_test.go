package directory

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in   string
		want Spec
		err  string
	}{
		{in: "User0 Test0", want: Spec{Text: "User0 Test0", Surname: "Test0", Given: "User0"}},
		{in: "Test0", want: Spec{Text: "Test0", Surname: "Test0"}},
		{in: "  Mary   Ann Smith ", want: Spec{Text: "Mary Ann Smith", Surname: "Smith", Given: "Mary Ann"}},
		{in: "S=Test3", want: Spec{Text: "S=Test3", Surname: "Test3", Tagged: true}},
		{in: "S=Test4/G=User4", want: Spec{Text: "S=Test4/G=User4", Surname: "Test4", Given: "User4", Tagged: true}},
		{in: "g=User4/s=Test4", want: Spec{Text: "g=User4/s=Test4", Surname: "Test4", Given: "User4", Tagged: true}},
		{in: "S=Müller/G=Jörg", want: Spec{Text: "S=Müller/G=Jörg", Surname: "Müller", Given: "Jörg", Tagged: true}},
		{in: "", err: "empty name"},
		{in: "G=User4", err: "S=Surname is required"},
		{in: "S=", err: "S= is empty"},
		{in: "S=a/OU1=b", err: "unknown part OU1="},
		{in: "S=a/b", err: "not KEY=VALUE"},
		{in: "a/b", err: "'/' only separates"},
		{in: "x\x00y", err: "printable"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSpec(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseSpecListNamesTheItem(t *testing.T) {
	_, err := ParseSpecList("User0 Test0,,S=x")
	if err == nil || !strings.Contains(err.Error(), "-U item 2") {
		t.Fatalf("err = %v, want it to name item 2", err)
	}
	specs, err := ParseSpecList("User0 Test0,S=Test3,S=Test4/G=User4")
	if err != nil || len(specs) != 3 {
		t.Fatalf("specs = %v, %v", specs, err)
	}
}

func TestResolve(t *testing.T) {
	dir := []Entry{
		{Login: "sxadmin", CN: "sxadmin"},
		{Login: "User0 Test0", CN: "User0 Test0", Surname: "Test0", Given: "User0"},
		{Login: "Other Test0", CN: "Other Test0"},
		{Login: "User3 Test3", CN: "User3 Test3"},
		{Login: "User4 Test4", CN: "User4 Test4", Surname: "Test4", Given: "User4"},
		{Login: "Anna Test4", CN: "Anna Test4", Surname: "Test4", Given: "Anna"},
	}
	tests := []struct {
		spec       string
		want       string // login when resolved
		candidates int    // when not
	}{
		{spec: "User0 Test0", want: "User0 Test0"},
		{spec: "user0 test0", want: "User0 Test0"},
		{spec: "S=Test3", want: "User3 Test3"},
		{spec: "Test3", want: "User3 Test3"},
		{spec: "S=Test4/G=User4", want: "User4 Test4"},
		{spec: "sxadmin", want: "sxadmin"},
		{spec: "Test0", candidates: 2},
		{spec: "S=Test4", candidates: 2},
		{spec: "Nobody", candidates: 0},
		{spec: "S=Test0/G=Nobody", candidates: 0},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := ParseSpec(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			r := Resolve(s, dir)
			if tt.want != "" {
				if r.Err() != nil || r.Entry.Login != tt.want {
					t.Fatalf("resolved to %q (%v), want %q", r.Entry.Login, r.Err(), tt.want)
				}
				return
			}
			if r.Err() == nil || len(r.Candidates) != tt.candidates {
				t.Fatalf("candidates = %d (%v), want %d and an error", len(r.Candidates), r.Err(), tt.candidates)
			}
			if tt.candidates > 1 && !strings.Contains(r.Err().Error(), r.Candidates[1].CN) {
				t.Fatalf("error %q does not list the candidates", r.Err())
			}
		})
	}
}

func TestUnresolvedWritesNamesAsGiven(t *testing.T) {
	for in, want := range map[string]string{"User0 Test0": "User0 Test0", "S=Test3": "Test3", "S=Test4/G=User4": "User4 Test4"} {
		s, _ := ParseSpec(in)
		if got := Unresolved(s).Login; got != want {
			t.Errorf("%q written as %q, want %q", in, got, want)
		}
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"User0 Test0", "S=Test3", "S=Test4/G=User4", "Test0", "G=x", "S=", "a/b", "S=a/OU=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSpec(in)
		if err != nil {
			return
		}
		if s.Surname == "" || strings.ContainsAny(s.Surname, "/") {
			t.Fatalf("spec %+v from %q has no usable surname", s, in)
		}
		// The name a spec stands for, as an entry, is matched by the spec.
		if !s.Matches(Unresolved(s)) {
			t.Fatalf("spec %+v does not match its own entry %+v", s, Unresolved(s))
		}
	})
}

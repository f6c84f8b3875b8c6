package userlist

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func logins(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Login)
	}
	return out
}

func TestRead(t *testing.T) {
	cases := []struct {
		name, in string
		format   Format
		want     []string
		pw       []string
	}{
		{"lines", "User0 Test0\nsxadmin\n", Auto, []string{"User0 Test0", "sxadmin"}, nil},
		{"blank, comments, CR", "# users\n\nalice\r\n  \nbob\n", Auto, []string{"alice", "bob"}, nil},
		{"utf8", "Zoë Ångström\n日本\n", Auto, []string{"Zoë Ångström", "日本"}, nil},
		{"csv auto", "login,cn,surname,given,mail,formal\nu0,\"User0, Test0\",Test0,User0,,\n", Auto, []string{"u0"}, nil},
		{"csv password", "login,password\nalice,\"p,w\"\n", Auto, []string{"alice"}, []string{"p,w"}},
		{"lines forced on csv-looking", "login,x\n", Lines, []string{"login,x"}, nil},
		{"lines forced on a CSV header", "name,x\n", Lines, []string{"name,x"}, nil},
		{"names with commas are names", "Müller, Jörg\nTest0, User0\n", Auto, []string{"Müller, Jörg", "Test0, User0"}, nil},
		{"sxusers jsonl", `{"login":"Jörg Müller","cn":"Jörg Müller","surname":"Müller","given":"Jörg","mail":""}` + "\n" + `{"login":"u1"}` + "\n", Auto, []string{"Jörg Müller", "u1"}, nil},
		{"jsonl forced", `{"login":" a ","password":"p"}`, JSONL, []string{"a"}, []string{"p"}},
		{"no final newline", "a\nb", Auto, []string{"a", "b"}, nil},
		{"empty", "", Auto, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Read(strings.NewReader(c.in), "in", c.format)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(logins(got), c.want) {
				t.Errorf("got %q, want %q", logins(got), c.want)
			}
			for i, p := range c.pw {
				if got[i].Password != p {
					t.Errorf("password %d = %q", i, got[i].Password)
				}
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"bad utf8", "ok\n\xff\n", "in:2: user name is not valid UTF-8"},
		{"csv no login", "name,x\nann,1\n", `in:1: this looks like CSV with the columns "name,x" but no login column`},
		{"omsearch listing", "CN/IA-FORMAL\nsxadmin/CN=sxadmin/OU1=test9/OU2=scalix\n", `in:1: this looks like omsearch output ("CN/IA-FORMAL"), not a list of user names: pipe it through sxusers: sxusers -f in | sxwarm`},
		{"omsearch lines", "# from omsearch\nUser0 Test0/S=Test0/G=User0/OU1=test9\n", "in:2: this looks like omsearch output"},
		{"jsonl without login", `{"cn":"x"}` + "\n", `in:1: JSON line without a "login": "{\"cn\":\"x\"}"`},
		{"jsonl broken", "{\"login\":\n", "in:1: not a JSON object"},
		{"binary", "\x7fELF\x02\x01\x01\x00\x00rest", "in: not text (NUL byte at offset 7)"},
		{"long line quoted short", "ok\n" + strings.Repeat("x", 5000) + "\x01\n", `(5001 bytes) holds control character U+0001`},
		{"csv forced no login", "name,x\n", "no \"login\" column"},
		{"csv wrong width", "login,cn\na\n", "in:2: record has 1 fields"},
		{"csv empty login", "login,cn\n,x\n", "in:2: empty login"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			format := Auto
			if strings.Contains(c.name, "forced") {
				format = CSV
			}
			_, err := Read(strings.NewReader(c.in), "in", format)
			if c.want == "" {
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestInline(t *testing.T) {
	es, err := Inline("a, b c ,,d")
	if got := logins(es); err != nil || !reflect.DeepEqual(got, []string{"a", "b c", "d"}) {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := Inline("a,b\x1bc"); err == nil || !strings.Contains(err.Error(), "-U item 2: user name \"b\\x1bc\" holds control character U+001B") {
		t.Errorf("control character accepted: %v", err)
	}
}

func TestControlCharactersRefused(t *testing.T) {
	for _, in := range []string{"ok\nbad\x02name\n", "ok\nesc\x1b[31m\n", "login\nok\n\"a\x01b\"\n"} {
		_, err := Read(strings.NewReader(in), "list", Auto)
		if err == nil || !strings.Contains(err.Error(), "list:") || !strings.Contains(err.Error(), "control character") {
			t.Errorf("%q: error %v, want the line named", in, err)
		}
	}
}

func TestDedupe(t *testing.T) {
	kept, dropped := Dedupe([]Entry{{Login: "a"}, {Login: "b"}, {Login: "a", Source: "x:3"}})
	if logins(kept) == nil || !reflect.DeepEqual(logins(kept), []string{"a", "b"}) || len(dropped) != 1 || dropped[0].Source != "x:3" {
		t.Errorf("kept %v dropped %v", kept, dropped)
	}
}

// FuzzRead checks that any input either fails with a named error or gives
// entries with non-empty, trimmed, valid UTF-8 logins.
func FuzzRead(f *testing.F) {
	for _, s := range []string{"a\nb\n", "login,password\nx,y\n", "# c\n\r\n", "login\n\"a\nb\"\n", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := Read(strings.NewReader(in), "fuzz", Auto)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz") {
				t.Fatalf("error %q does not name the input", err)
			}
			return
		}
		for _, e := range got {
			if e.Login == "" || e.Login != strings.TrimSpace(e.Login) || strings.ContainsAny(e.Login, "\n") && !strings.HasPrefix(in, "login") {
				t.Fatalf("bad login %q from %q", e.Login, in)
			}
		}
	})
}

func TestReadFilesInOrder(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	os.WriteFile(a, []byte("alice\n# comment\nbob\n"), 0o644)
	got, err := ReadFiles([]string{a, "-"}, strings.NewReader("carol\n"), Auto)
	if err != nil {
		t.Fatal(err)
	}
	if names := logins(got); !reflect.DeepEqual(names, []string{"alice", "bob", "carol"}) || got[1].Source != a+":3" || got[2].Source != "stdin:1" {
		t.Errorf("got %+v", got)
	}
	if _, err := ReadFiles([]string{filepath.Join(dir, "missing")}, nil, Auto); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
	if got, _ := ReadFiles(nil, strings.NewReader("dave\n"), Lines); len(got) != 1 || got[0].Login != "dave" {
		t.Errorf("no names: stdin expected, got %v", got)
	}
}

// TestReadFilesEmpty: input without a byte is ErrEmpty; comments or blank
// lines only are a list empty on purpose.
func TestReadFilesEmpty(t *testing.T) {
	cases := []struct {
		stdin   string
		wantErr bool
	}{
		{"", true},
		{"# nobody failed\n", false},
		{"\n", false},
	}
	for _, c := range cases {
		entries, err := ReadFiles(nil, strings.NewReader(c.stdin), Auto)
		if errors.Is(err, ErrEmpty) != c.wantErr || len(entries) != 0 || (err != nil && !c.wantErr) {
			t.Errorf("stdin %q: %v, %v", c.stdin, entries, err)
		}
	}
}

package safetext

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	cases := []struct{ in, want string }{
		{"User0 Test0", "User0 Test0"},
		{"Grüße", "Grüße"},
		{"a\tb\nc\rd", `a\tb\nc\rd`},
		{"\x1b[2Jbad", `\x1b[2Jbad`},
		{"nul\x00", `nul\x00`},
		{"del\x7f", `del\x7f`},
		{"bad \xff utf8", `bad \xff utf8`},
		{`back\slash`, `back\\slash`},
		{"c1 \u0085 sep \u2028", `c1 \u0085 sep \u2028`},
	}
	for _, c := range cases {
		if got := Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
		if back := Unescape(Escape(c.in)); back != c.in {
			t.Errorf("Unescape(Escape(%q)) = %q", c.in, back)
		}
	}
}

func FuzzEscapeRoundTrip(f *testing.F) {
	for _, s := range []string{"", "plain", "a\tb", "\x1b[0m", "\xff\xfe", `\x41`, `\\`, "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		if !utf8.ValidString(e) {
			t.Fatalf("Escape(%q) = %q is not valid UTF-8", s, e)
		}
		for _, r := range e {
			if unsafeRune(r) {
				t.Fatalf("Escape(%q) = %q keeps control %U", s, e, r)
			}
		}
		if back := Unescape(e); back != s {
			t.Fatalf("Unescape(Escape(%q)) = %q", s, back)
		}
	})
}

func TestQuote(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes, a rune cut would be invalid
	cases := []struct{ in, want string }{
		{"short", `"short"`},
		{"tab\there", `"tab\there"`},
		{long, `"` + strings.Repeat("é", 40) + `"... (200 bytes)`},
		{strings.Repeat("\x00", 100), `"` + strings.Repeat(`\x00`, 80) + `"... (100 bytes)`},
	}
	for _, c := range cases {
		if got := Quote(c.in); got != c.want {
			t.Errorf("Quote(%.20q...) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestNotText(t *testing.T) {
	cases := []struct {
		head string
		want string
	}{
		{"login\nann\n", ""},
		{"\x7fELF\x02\x01\x01\x00\x00", "f: not text (NUL byte at offset 7)"},
		{"\x00", "f: not text (NUL byte at offset 0)"},
	}
	for _, c := range cases {
		err := NotText("f", []byte(c.head))
		if got := fmt.Sprint(err); (err == nil) != (c.want == "") || err != nil && got != c.want {
			t.Errorf("NotText(%q) = %v, want %q", c.head, err, c.want)
		}
	}
}

func TestNotTextLooksAtTheFirstLine(t *testing.T) {
	if err := NotText("f", []byte("login\nbad\x00name\n")); err != nil {
		t.Errorf("a NUL past the first line: %v (the reader names its line)", err)
	}
}

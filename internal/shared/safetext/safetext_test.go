package safetext

import (
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

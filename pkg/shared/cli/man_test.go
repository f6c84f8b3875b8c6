package cli

import "testing"

func TestRoffEscapes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"--flag", `\-\-flag`},
		{`a\b`, `a\eb`},
		{".starts with a dot", `\&.starts with a dot`},
		{"'quote first", `\&'quote first`},
		{`\fB--x\fR`, `\fB\-\-x\fR`},
	}
	for _, tt := range tests {
		if got := roff(tt.in); got != tt.want {
			t.Errorf("roff(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParagraphs(t *testing.T) {
	got := paragraphs("  indented first\n  second\n\ntext after")
	want := ".PP\n.nf\nindented first\nsecond\n.fi\n.PP\ntext after"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

package imapwarm

import (
	"regexp"
	"strings"
	"testing"
)

var fieldList = regexp.MustCompile(`HEADER\.FIELDS \(([^)]*)\)`)

// fieldsOf returns the header fields a list of items names, upper-cased.
func fieldsOf(items string) map[string]bool {
	fields := map[string]bool{}
	for _, m := range fieldList.FindAllStringSubmatch(items, -1) {
		for _, f := range strings.Fields(m[1]) {
			fields[strings.ToUpper(f)] = true
		}
	}
	return fields
}

// The default warms every header field any client profile asks for, and
// every field an ENVELOPE is built from: a field not named in a FETCH is
// never cached by Dovecot, and one missing field makes the client's first
// look open every message.
func TestDefaultCoversEveryClient(t *testing.T) {
	def := fieldsOf(Profiles[0].Items)
	for _, f := range strings.Fields(envelopeFields) {
		if !def[strings.ToUpper(f)] {
			t.Errorf("default profile lacks envelope field %s", f)
		}
	}
	for _, p := range Profiles[1:] {
		for f := range fieldsOf(p.Items) {
			if !def[f] {
				t.Errorf("default profile lacks %s, which profile %s asks for", f, p.Name)
			}
		}
	}
	seen := map[string]int{}
	for _, m := range fieldList.FindAllStringSubmatch(Profiles[0].Items, -1) {
		for _, f := range strings.Fields(m[1]) {
			if seen[strings.ToUpper(f)]++; seen[strings.ToUpper(f)] > 1 {
				t.Errorf("default profile names %s twice", f)
			}
		}
	}
}

// Every profile is a valid read-only list with a source, and names are
// unique, so --profile and the man page can rely on them.
func TestProfilesAreSendable(t *testing.T) {
	names := map[string]bool{}
	for _, p := range Profiles {
		if names[p.Name] {
			t.Errorf("profile %s listed twice", p.Name)
		}
		names[p.Name] = true
		if _, err := CheckFetchItems(p.Items); err != nil {
			t.Errorf("profile %s: %v", p.Name, err)
		}
		if p.Source == "" {
			t.Errorf("profile %s has no source", p.Name)
		}
	}
	for client := range clientFields {
		if !names[client] {
			t.Errorf("client fields %q have no profile", client)
		}
	}
}

// Passes: ENVELOPE brings its ten fields, BODYSTRUCTURE gets a FETCH of its
// own, everything else is sent as given.
func TestPasses(t *testing.T) {
	env := headerFields(envelopeFields)
	cases := []struct {
		items string
		want  []string
	}{
		{"UID FLAGS RFC822.SIZE", []string{"UID FLAGS RFC822.SIZE"}},
		{"UID ENVELOPE RFC822.SIZE", []string{"UID ENVELOPE RFC822.SIZE " + env}},
		{"UID ENVELOPE BODY.PEEK[HEADER.FIELDS (Path Message-ID)] RFC822.SIZE",
			[]string{"UID ENVELOPE BODY.PEEK[HEADER.FIELDS (Path Message-ID Date Subject From Sender Reply-To To Cc Bcc In-Reply-To)] RFC822.SIZE"}},
		{"UID FLAGS ENVELOPE RFC822.SIZE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (X-PRIORITY)]",
			[]string{"UID FLAGS ENVELOPE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (X-PRIORITY Date Subject From Sender Reply-To To Cc Bcc In-Reply-To Message-ID)]", "UID BODYSTRUCTURE"}},
		{"UID BODYSTRUCTURE", []string{"UID BODYSTRUCTURE"}},
		{"BODYSTRUCTURE RFC822.SIZE", []string{"RFC822.SIZE", "UID BODYSTRUCTURE"}},
		{Profiles[0].Items, []string{Profiles[0].Items}}, // the default names the envelope's fields already
	}
	for _, c := range cases {
		got := Passes(c.items)
		if strings.Join(got, " | ") != strings.Join(c.want, " | ") {
			t.Errorf("Passes(%q)\n got %q\nwant %q", c.items, got, c.want)
		}
		for _, p := range got {
			if _, err := CheckFetchItems(p); err != nil {
				t.Errorf("Passes(%q) gives %q, which is refused: %v", c.items, p, err)
			}
		}
	}
}

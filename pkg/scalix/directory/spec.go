package directory

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Spec is one name of a -U list, in the seed's forms '[Given] Surname' or
// 'S=Surname[/G=Given]'.
type Spec struct {
	Text    string // as given, for messages
	Surname string
	Given   string // empty: any given name
	Tagged  bool   // S=/G= form: matches the names only, not the CN
}

// ParseSpecList splits a comma-separated -U list. Empty items are refused:
// "a,,b" is more likely a typo than an intent.
func ParseSpecList(list string) ([]Spec, error) {
	var specs []Spec
	for i, item := range strings.Split(list, ",") {
		s, err := ParseSpec(item)
		if err != nil {
			return nil, fmt.Errorf("-U item %d %q: %w", i+1, strings.TrimSpace(item), err)
		}
		specs = append(specs, s)
	}
	return specs, nil
}

// ParseSpec reads one name.
func ParseSpec(item string) (Spec, error) {
	text := collapse(item)
	if text == "" {
		return Spec{}, errors.New("empty name")
	}
	if !utf8.ValidString(text) || strings.IndexFunc(text, isControl) >= 0 {
		return Spec{}, errors.New("not a printable UTF-8 name")
	}
	if _, _, tagged := cutTag(strings.SplitN(text, "/", 2)[0]); tagged {
		return parseTaggedSpec(text)
	}
	if strings.Contains(text, "/") {
		return Spec{}, errors.New("'/' only separates S= and G= parts, as in S=Surname/G=Given")
	}
	surname, given := splitCN(text)
	return Spec{Text: text, Surname: surname, Given: given}, nil
}

func parseTaggedSpec(text string) (Spec, error) {
	s := Spec{Text: text, Tagged: true}
	for _, part := range strings.Split(text, "/") {
		key, value, ok := cutTag(part)
		if !ok {
			return Spec{}, fmt.Errorf("%q is not KEY=VALUE", strings.TrimSpace(part))
		}
		if value == "" {
			return Spec{}, fmt.Errorf("%s= is empty", key)
		}
		switch key {
		case "S":
			s.Surname = value
		case "G":
			s.Given = value
		default:
			return Spec{}, fmt.Errorf("unknown part %s= (only S= and G=)", key)
		}
	}
	if s.Surname == "" {
		return Spec{}, errors.New("S=Surname is required")
	}
	return s, nil
}

// Display is the name a spec stands for when there is no directory to
// resolve it against: "Given Surname", as Scalix builds a CN.
func (s Spec) Display() string {
	if !s.Tagged {
		return s.Text
	}
	return strings.TrimSpace(s.Given + " " + s.Surname)
}

// Matches tells whether e is a person the spec names. A '[Given] Surname'
// spec also matches an entry whose CN is exactly the text (sxadmin has no
// surname of its own). Comparison ignores case.
func (s Spec) Matches(e Entry) bool {
	if !s.Tagged && strings.EqualFold(e.CN, s.Text) {
		return true
	}
	surname, given := e.names()
	if !strings.EqualFold(surname, s.Surname) {
		return false
	}
	return s.Given == "" || strings.EqualFold(given, s.Given)
}

// exactCN tells whether e's CN is exactly what the spec spells.
func (s Spec) exactCN(e Entry) bool {
	return strings.EqualFold(e.CN, s.Display())
}

// Resolution is what one spec resolved to.
type Resolution struct {
	Spec       Spec
	Entry      Entry   // when exactly one person matched
	Candidates []Entry // every match when there were several
}

// Err describes why the spec did not resolve to one person, or nil.
func (r Resolution) Err() error {
	switch {
	case len(r.Candidates) == 0:
		return fmt.Errorf("-U %q: no such user", r.Spec.Text)
	case len(r.Candidates) == 1:
		return nil
	}
	names := make([]string, len(r.Candidates))
	for i, c := range r.Candidates {
		names[i] = c.CN
		if c.Formal != "" {
			names[i] += " <" + c.Formal + ">"
		}
	}
	return fmt.Errorf("-U %q matches %d users: %s", r.Spec.Text, len(names), strings.Join(names, "; "))
}

// Resolve picks the person spec names among candidates. One whose CN is
// exactly the spec wins over people who only share the surname, so
// 'User0 Test0' is not ambiguous next to 'Other Test0'.
func Resolve(spec Spec, entries []Entry) Resolution {
	var matches, exact []Entry
	for _, e := range entries {
		if !spec.Matches(e) {
			continue
		}
		matches = append(matches, e)
		if spec.exactCN(e) {
			exact = append(exact, e)
		}
	}
	if len(exact) == 1 {
		matches = exact
	}
	matches = Dedup(matches)
	r := Resolution{Spec: spec, Candidates: matches}
	if len(matches) == 1 {
		r.Entry = matches[0]
	}
	return r
}

// Unresolved returns the entry a spec stands for without a directory.
func Unresolved(s Spec) Entry {
	name := s.Display()
	e := Entry{Login: name, CN: name, Surname: s.Surname, Given: s.Given}
	if s.Tagged {
		e.Formal = s.Text
	}
	return e
}

// Package directory holds the people sxusers finds: how they are read from
// omsearch listings, how name specifications such as 'User0 Test0' or
// 'S=Test4/G=User4' are parsed and resolved against them, how they are
// filtered and how they are written.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package directory

import "strings"

// Entry is one person of the directory.
type Entry struct {
	Login   string `json:"login"`   // what sxwarm logs in as: the CN for Scalix
	CN      string `json:"cn"`      // common name, "User0 Test0"
	Surname string `json:"surname"` // S= of the formal address, or the CN's last word
	Given   string `json:"given"`   // G= of the formal address, or the CN's other words
	Mail    string `json:"mail"`    // SMTP address when the source knows it
	Formal  string `json:"formal"`  // the raw formal address (IA-FORMAL, or an LDAP DN)
	Source  string `json:"-"`       // file:line or DN, for messages
}

// names returns the surname and given name to match against: the tagged ones
// when known, else the CN split at its last word ("Mary Ann Smith" is given
// name "Mary Ann", surname "Smith"), the way Scalix builds a CN from them.
func (e Entry) names() (surname, given string) {
	if e.Surname != "" {
		return e.Surname, e.Given
	}
	return splitCN(e.CN)
}

func splitCN(cn string) (surname, given string) {
	words := strings.Fields(cn)
	switch len(words) {
	case 0:
		return "", ""
	case 1:
		return words[0], ""
	}
	return words[len(words)-1], strings.Join(words[:len(words)-1], " ")
}

// Dedup removes entries whose login was already seen, keeping the first, so
// the output stays in directory order.
func Dedup(entries []Entry) []Entry {
	seen := make(map[string]bool, len(entries))
	out := entries[:0:0]
	for _, e := range entries {
		if seen[e.Login] {
			continue
		}
		seen[e.Login] = true
		out = append(out, e)
	}
	return out
}

// Source is a directory to list or to resolve names against.
type Source interface {
	// All lists every person, in directory order.
	All() ([]Entry, error)
	// Candidates lists the people a spec may stand for (a superset is fine:
	// Resolve applies the matching rules).
	Candidates(Spec) ([]Entry, error)
}

// List is a directory held in memory: an omsearch listing.
type List []Entry

// All returns the list.
func (l List) All() ([]Entry, error) { return l, nil }

// Candidates returns the whole list; Resolve picks.
func (l List) Candidates(Spec) ([]Entry, error) { return l, nil }

// ResolveAll resolves every spec against src, in the order given. Names that
// match nobody or several people go to report; the others are returned.
func ResolveAll(src Source, specs []Spec, report func(error)) ([]Entry, int, error) {
	var out []Entry
	failed := 0
	for _, s := range specs {
		cands, err := src.Candidates(s)
		if err != nil {
			return nil, failed, err
		}
		r := Resolve(s, cands)
		if err := r.Err(); err != nil {
			report(err)
			failed++
			continue
		}
		out = append(out, r.Entry)
	}
	return out, failed, nil
}

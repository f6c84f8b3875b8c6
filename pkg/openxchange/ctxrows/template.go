package ctxrows

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Variable is a per-row number a template can refer to.
type Variable int

const (
	VarContext Variable = iota // {id}: the context id
	VarUser                    // {n}: the user's number within its context
	numVars
)

var varNames = map[string]Variable{"{id}": VarContext, "{n}": VarUser}

// placeholder matches anything in braces, so that a typo such as {ID},
// {id2} or { id } is refused rather than copied into every row.
var placeholder = regexp.MustCompile(`\{[^{}]*\}`)

// part is a literal (already escaped for its quoting) or a variable.
type part struct {
	lit []byte
	v   Variable
}

// field is a compiled column template.
type field struct {
	quoted bool
	escape bool // backslashes doubled (only ever inside quotes)
	parts  []part
}

// Quoting selects how fields are written.
type Quoting int

const (
	QuoteAll     Quoting = iota // every field in quotes, as the seed's script writes them
	QuoteMinimal                // quotes only where RFC 4180 needs them
)

// Style says how values are written for createcontext's CSV reader.
type Style struct {
	Quote Quoting
	// EscapeBackslash writes a backslash as opencsv 2.x reads one back: two
	// backslashes inside a quoted field. Without it a value holding a
	// backslash is refused.
	EscapeBackslash bool
}

// ParseQuoting reads "all" or "minimal".
func ParseQuoting(s string) (Quoting, error) {
	switch s {
	case "all":
		return QuoteAll, nil
	case "minimal":
		return QuoteMinimal, nil
	}
	return 0, fmt.Errorf("quoting %q: want all or minimal", s)
}

// compile turns a template into a field. allowed lists the variables this
// column may use; an unknown {word} is an error, so a typo such as {ID} is
// caught rather than written into a hundred thousand rows.
func compile(column, tmpl string, st Style, allowed ...Variable) (field, error) {
	f := field{quoted: st.Quote == QuoteAll || needsQuotes(tmpl, st), escape: st.EscapeBackslash}
	rest := tmpl
	for {
		loc := placeholder.FindStringIndex(rest)
		if loc == nil {
			f.appendLiteral(rest)
			return f, nil
		}
		name := rest[loc[0]:loc[1]]
		v, ok := varNames[name]
		if !ok || !contains(allowed, v) {
			return field{}, fmt.Errorf("%s template %q: unknown placeholder %s (allowed: %s)", column, tmpl, name, allowedNames(allowed))
		}
		f.appendLiteral(rest[:loc[0]])
		f.parts = append(f.parts, part{v: v})
		rest = rest[loc[1]:]
	}
}

func (f *field) appendLiteral(s string) {
	if s == "" {
		return
	}
	lit := []byte(s)
	if f.escape {
		lit = bytes.ReplaceAll(lit, []byte(`\`), []byte(`\\`))
	}
	if f.quoted {
		lit = bytes.ReplaceAll(lit, []byte(`"`), []byte(`""`))
	}
	f.parts = append(f.parts, part{lit: lit, v: -1})
}

// needsQuotes reports whether a value must be quoted: where RFC 4180
// requires it, and around an escaped backslash, which opencsv reads as an
// escape only inside quotes. Digits, the only thing variables insert, never
// need quotes.
func needsQuotes(s string, st Style) bool {
	return strings.ContainsAny(s, ",\"\r\n") || (st.EscapeBackslash && strings.Contains(s, `\`))
}

// appendTo writes the field for the given variable values.
func (f *field) appendTo(dst []byte, vars *[numVars]int64) []byte {
	if f.quoted {
		dst = append(dst, '"')
	}
	for _, p := range f.parts {
		if p.v < 0 {
			dst = append(dst, p.lit...)
		} else {
			dst = strconv.AppendInt(dst, vars[p.v], 10)
		}
	}
	if f.quoted {
		dst = append(dst, '"')
	}
	return dst
}

// literal compiles a constant value, braces and all.
func literal(v string, st Style) field {
	f := field{quoted: st.Quote == QuoteAll || needsQuotes(v, st), escape: st.EscapeBackslash}
	f.appendLiteral(v)
	return f
}

// encodeValue encodes a constant value as a field.
func encodeValue(v string, st Style) []byte {
	f := literal(v, st)
	return f.appendTo(nil, &[numVars]int64{})
}

func contains(vs []Variable, v Variable) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

func allowedNames(vs []Variable) string {
	var names []string
	for name, v := range varNames {
		if contains(vs, v) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, " ")
}

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

var placeholder = regexp.MustCompile(`\{[A-Za-z_]+\}`)

// part is a literal (already escaped for its quoting) or a variable.
type part struct {
	lit []byte
	v   Variable
}

// field is a compiled column template.
type field struct {
	quoted bool
	parts  []part
}

// Quoting selects how fields are written.
type Quoting int

const (
	QuoteAll     Quoting = iota // every field in quotes, as the seed's script writes them
	QuoteMinimal                // quotes only where RFC 4180 needs them
)

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
func compile(column, tmpl string, q Quoting, allowed ...Variable) (field, error) {
	f := field{quoted: q == QuoteAll || needsQuotes(tmpl)}
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
	if f.quoted {
		lit = bytes.ReplaceAll(lit, []byte(`"`), []byte(`""`))
	}
	f.parts = append(f.parts, part{lit: lit, v: -1})
}

// needsQuotes reports whether RFC 4180 requires quoting a value. Digits, the
// only thing variables insert, never do.
func needsQuotes(s string) bool {
	return strings.ContainsAny(s, ",\"\r\n")
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
func literal(v string, q Quoting) field {
	f := field{quoted: q == QuoteAll || needsQuotes(v)}
	f.appendLiteral(v)
	return f
}

// encodeValue encodes a constant value as a field.
func encodeValue(v string, q Quoting) []byte {
	f := literal(v, q)
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

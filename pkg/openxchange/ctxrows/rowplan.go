package ctxrows

import "strconv"

// rowPlan is a row flattened for speed: the literal text of every field,
// with its quotes and the commas between fields, merged into runs, and
// between the runs only what changes from row to row, the variables. A
// row is then a handful of appends, and each variable's digits are
// rendered once per row however many columns repeat them (the context id
// stands in four of the defaults).
type rowPlan struct {
	lits [][]byte   // lits[i] comes before vars[i]; the last one ends the fixed columns
	vars []Variable // len(vars) == len(lits)-1
	// tails[k] is the last literal run, the k-th schema row and the line
	// end, together; one tail when there is no schemas table.
	tails       [][]byte
	longestTail int
}

func planRow(fields []field, extras [][]byte) rowPlan {
	var p rowPlan
	var run []byte
	for i, f := range fields {
		if i > 0 {
			run = append(run, ',')
		}
		if f.quoted {
			run = append(run, '"')
		}
		for _, part := range f.parts {
			if part.v < 0 {
				run = append(run, part.lit...)
				continue
			}
			p.lits = append(p.lits, run)
			p.vars = append(p.vars, part.v)
			run = nil
		}
		if f.quoted {
			run = append(run, '"')
		}
	}
	if len(extras) == 0 {
		extras = [][]byte{nil}
	}
	for _, x := range extras {
		tail := append(append(append([]byte(nil), run...), x...), '\n')
		p.tails = append(p.tails, tail)
		p.longestTail = max(p.longestTail, len(tail))
	}
	return p
}

// appendRow renders one row with schema row k.
func (p *rowPlan) appendRow(buf []byte, vars *[numVars]int64, k int) []byte {
	var digits [numVars][20]byte
	var rendered [numVars][]byte
	for v := range rendered {
		rendered[v] = strconv.AppendInt(digits[v][:0], vars[v], 10)
	}
	for i, v := range p.vars {
		buf = append(buf, p.lits[i]...)
		buf = append(buf, rendered[v]...)
	}
	return append(buf, p.tails[k]...)
}

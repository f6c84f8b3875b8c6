package ctxrows

import (
	"encoding/binary"
	"slices"
)

// stamp writes rows whose only variable is the context id, for ids of one
// width of up to eight digits: the fixed columns are copied whole from a
// row rendered once, the id's digits written over their places eight
// bytes at a time (the bytes after them in the eight kept), and the schema
// row's tail appended. Rendering a row field by field costs a call for
// every literal run and the number's formatting; this is two copies and
// a store a place.
type stamp struct {
	width int
	fixed []byte   // a row's fixed columns, up to its tail, for an id of width digits
	at    []int    // where the id's digits start in fixed
	keep  []uint64 // the eight bytes at each place, its digits' bytes zero
}

// maxStampWidth is the widest id a place's eight bytes hold.
const maxStampWidth = 8

// stampable says whether the plan's rows can be stamped: the context id
// is their only variable.
func (p *rowPlan) stampable() bool {
	for _, v := range p.vars {
		if v != VarContext {
			return false
		}
	}
	return true
}

// maxLen bounds the length of a row whose variables have width digits
// (a little more when they are wider further on).
func (p *rowPlan) maxLen(width int) int {
	n := len(p.vars) * max(width, maxStampWidth)
	for _, l := range p.lits {
		n += len(l)
	}
	return n + p.longestTail + maxStampWidth
}

// stampFor prepares the stamp of ids of width digits.
func (p *rowPlan) stampFor(width int) *stamp {
	st := &stamp{width: width}
	digits := make([]byte, width) // any id of that width: the places are what matter
	for i := range digits {
		digits[i] = '1'
	}
	for i := range p.vars {
		st.fixed = append(st.fixed, p.lits[i]...)
		st.at = append(st.at, len(st.fixed))
		st.fixed = append(st.fixed, digits...)
	}
	var window [8]byte
	for _, at := range st.at {
		clear(window[:])
		copy(window[width:], st.fixed[min(at+width, len(st.fixed)):]) // past fixed: the tail comes over it
		st.keep = append(st.keep, binary.LittleEndian.Uint64(window[:]))
	}
	return st
}

// appendRow appends the row of the id whose digits are in id (the first
// digit in its lowest byte), with tail.
func (st *stamp) appendRow(buf []byte, id uint64, tail []byte) []byte {
	// The last place's eight bytes may reach past the fixed columns, into
	// room the tail then fills.
	buf = slices.Grow(buf, len(st.fixed)+maxStampWidth+len(tail))
	n := len(buf)
	buf = append(buf, st.fixed...)
	row := buf[n : n+len(st.fixed)+maxStampWidth]
	for i, at := range st.at {
		binary.LittleEndian.PutUint64(row[at:], st.keep[i]|id)
	}
	return append(buf, tail...)
}

// digitCounter is a positive number's decimal digits, kept from one row
// to the next: the next id is one increment of the last digit, where
// formatting it anew divides it by ten for each digit.
type digitCounter struct {
	digits [maxStampWidth]byte
	width  int
}

// set starts the counter at v, positive and of at most maxStampWidth digits.
func (c *digitCounter) set(v int64) {
	c.width = 0
	var rev [maxStampWidth]byte
	for ; v > 0; v /= 10 {
		rev[c.width] = byte('0' + v%10)
		c.width++
	}
	for i := range c.width {
		c.digits[i] = rev[c.width-1-i]
	}
}

func (c *digitCounter) inc() {
	for i := c.width - 1; i >= 0; i-- {
		if c.digits[i] != '9' {
			c.digits[i]++
			return
		}
		c.digits[i] = '0'
	}
	// 9…9 became 10…0, a digit wider (beyond maxStampWidth it is not used).
	if c.width < maxStampWidth {
		c.digits[c.width] = '0'
	}
	c.digits[0] = '1'
	c.width++
}

// word is the digits as appendRow takes them.
func (c *digitCounter) word() uint64 {
	return binary.LittleEndian.Uint64(c.digits[:]) & (1<<(8*c.width) - 1)
}

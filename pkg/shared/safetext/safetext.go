// Package safetext makes text from elsewhere (a server's answers, mailbox
// names, user input) safe to print: no control character reaches a
// terminal or splits a line, and no invalid UTF-8 reaches a log.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package safetext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape writes control characters as \t, \n, \r or \xNN, invalid UTF-8 bytes
// as \xNN, and backslashes as \\, so that the result reads back unambiguously
// (see Unescape). Text that needs none of it is returned as is.
func Escape(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

func clean(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r == '\\' || unsafeRune(r) })
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || r == 0x2028 || r == 0x2029
}

// Unescape reverses Escape. A backslash followed by anything else is kept.
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		switch n := s[i+1]; n {
		case '\\':
			b.WriteByte('\\')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'x', 'u':
			width := 2
			if n == 'u' {
				width = 4
			}
			v, ok := hexAt(s, i+2, width)
			if !ok {
				b.WriteByte(c)
				continue
			}
			if n == 'x' {
				b.WriteByte(byte(v))
			} else {
				b.WriteRune(rune(v))
			}
			i += width
		default:
			b.WriteByte(c)
			continue
		}
		i++
	}
	return b.String()
}

func hexAt(s string, at, width int) (int, bool) {
	if at+width > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[at : at+width]) {
		d := strings.IndexByte("0123456789abcdef", c|0x20)
		if d < 0 {
			return 0, false
		}
		v = v*16 + d
	}
	return v, true
}

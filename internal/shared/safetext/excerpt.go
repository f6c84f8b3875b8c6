package safetext

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// MaxExcerpt is how much of a piece of input an error quotes, in bytes:
// enough to recognise a line, short enough to read on one screen line.
const MaxExcerpt = 80

// Quote is Escape in double quotes, cut to MaxExcerpt bytes of s, with
// the length of the whole when it was cut: an error quoting a line of a
// binary file must not print all of it.
func Quote(s string) string {
	if len(s) <= MaxExcerpt {
		return strconv.Quote(s)
	}
	cut := MaxExcerpt
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", strconv.Quote(s[:cut]), len(s))
}

// NotText is the error for input that is not text, found by a NUL byte in
// its first bytes (head), as grep and file tell binary files; nil when
// head holds none. No text format provpipe reads has a NUL in it.
func NotText(name string, head []byte) error {
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return fmt.Errorf("%s: not text (NUL byte at offset %d)", name, i)
	}
	return nil
}

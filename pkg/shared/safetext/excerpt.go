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
// its first line (of head, its first bytes), as grep and file tell binary
// files; nil when there is none. No text format provpipe reads has a NUL:
// a binary file has one in its first bytes (an executable at offset 7, an
// archive or an image at once), and a NUL further on is left to the
// reader, which names its line.
func NotText(name string, head []byte) error {
	if nl := bytes.IndexByte(head, '\n'); nl >= 0 {
		head = head[:nl+1]
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return fmt.Errorf("%s: not text (NUL byte at offset %d)", name, i)
	}
	return nil
}

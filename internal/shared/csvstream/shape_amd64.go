//go:build amd64

package csvstream

import "golang.org/x/sys/cpu"

// vectorShape says quotedShape may check thirty-two bytes at a time; a
// test turns it off to compare with the eight-byte words alone.
var vectorShape = cpu.X86.HasAVX2

// quotedShapeAVX2 does quotedShape's check of the bytes at 1 to
// len(line)-3, thirty-two at a time with AVX2, for a line of at least 35
// bytes: it returns the commas among them and whether one of those lacks
// a quote on either side or has a comma two bytes on.
//
//go:noescape
func quotedShapeAVX2(line []byte) (commas int, bad bool)

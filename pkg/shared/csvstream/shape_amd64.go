//go:build amd64

package csvstream

import "golang.org/x/sys/cpu"

// vectorShape says quotedShape may check sixteen bytes at a time (SSE2 is
// every amd64's; POPCNT counts the commas); a test turns it off to compare
// with the eight-byte words alone.
var vectorShape = cpu.X86.HasPOPCNT

// quotedShapeSSE2 does quotedShape's check of the bytes at 1 to
// len(line)-3, sixteen at a time with SSE2, for a line of at least 19
// bytes: it returns the commas among them and whether one of those lacks
// a quote on either side or has a comma two bytes on.
//
//go:noescape
func quotedShapeSSE2(line []byte) (commas int, bad bool)

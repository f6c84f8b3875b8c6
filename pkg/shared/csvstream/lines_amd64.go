//go:build amd64

package csvstream

import "golang.org/x/sys/cpu"

// vectorLines says lineEnds may search thirty-two bytes at a time.
var vectorLines = cpu.X86.HasAVX2 && cpu.X86.HasPOPCNT

// lineEndsAVX2 is lineEnds over the first blocks*32 bytes of buf, which
// holds at least two bytes more (a comma's neighbours are looked at), with
// AVX2; it gives every line's shape.
//
//go:noescape
func lineEndsAVX2(buf []byte, blocks int, ends, quotes, shapes []int) (lines int)

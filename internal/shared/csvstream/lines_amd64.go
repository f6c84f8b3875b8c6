//go:build amd64

package csvstream

import "golang.org/x/sys/cpu"

// vectorLines says lineEnds may search thirty-two bytes at a time.
var vectorLines = cpu.X86.HasAVX2 && cpu.X86.HasPOPCNT

// lineEndsAVX2 is lineEnds over buf, whose length is a multiple of 32,
// with AVX2.
//
//go:noescape
func lineEndsAVX2(buf []byte, ends, quotes []int) (lines int)

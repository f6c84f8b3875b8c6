//go:build !amd64

package csvstream

var vectorLines = false

func lineEndsAVX2(buf []byte, ends, quotes []int) (lines int) {
	panic("csvstream: no vector line search on this architecture")
}

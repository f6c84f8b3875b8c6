//go:build !amd64

package csvstream

var vectorLines = false

func lineEndsAVX2(buf []byte, blocks int, ends, quotes, shapes []int) (lines int) {
	panic("csvstream: no vector line search on this architecture")
}

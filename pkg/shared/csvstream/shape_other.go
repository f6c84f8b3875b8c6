//go:build !amd64

package csvstream

// vectorShape is false where no vector code is written.
var vectorShape = false

func quotedShapeSSE2(line []byte) (commas int, bad bool) {
	panic("csvstream: no vector shape check on this architecture")
}

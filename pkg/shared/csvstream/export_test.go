package csvstream

import "io"

// newReference is a Reader with the fast path off: the parser the fast
// path must agree with.
func newReference(src io.Reader, name string) *Reader {
	r := NewReader(src, name)
	r.reference = true
	return r
}

package csvstream

import "bytes"

// lineEnds finds the line feeds of buf, up to len(ends) of them, and
// returns how many it found: ends[k] is the offset just past the k-th,
// quotes[k] the number of quotes between it and the one before (or the
// start of buf). One call finds the line ends of many records, where a
// search and a count for each line cost two calls a line.
func lineEnds(buf []byte, ends, quotes []int) int {
	n, from := 0, 0
	if vectorLines && len(buf) >= 32 {
		whole := len(buf) &^ 31
		if n = lineEndsAVX2(buf[:whole], ends, quotes); n == len(ends) {
			return n
		}
		from = whole
	}
	start := 0
	if n > 0 {
		start = ends[n-1]
	}
	for n < len(ends) {
		nl := bytes.IndexByte(buf[from:], '\n')
		if nl < 0 {
			break
		}
		end := from + nl + 1
		ends[n], quotes[n] = end, bytes.Count(buf[start:end], []byte{'"'})
		n++
		start, from = end, end
	}
	return n
}

package csvstream

import "bytes"

// unknownShape is the shape lineEnds gives a line it did not check.
const unknownShape = -2

// lineEnds finds the line feeds of buf, up to len(ends) of them, and
// returns how many it found: ends[k] is the offset just past the k-th,
// quotes[k] the number of quotes between it and the one before (or the
// start of buf). One call finds the line ends of many records, where a
// search and a count for each line cost two calls a line.
//
// shapes[k] is the line's commas, or -1 if one of them lacks a quote on
// either side or has a comma two bytes on (lineFields says what that
// makes of the line), or unknownShape where the line was not searched
// thirty-two bytes at a time: shapes cost the vector search a few
// instructions a block, where checking them line by line was a tenth of
// ctxsplit's time.
func lineEnds(buf []byte, ends, quotes, shapes []int) int {
	n, from := 0, 0
	if vectorLines && len(buf) >= 34 {
		blocks := (len(buf) - 2) / 32
		if n = lineEndsAVX2(buf, blocks, ends, quotes, shapes); n == len(ends) {
			return n
		}
		from = blocks * 32
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
		ends[n], quotes[n], shapes[n] = end, bytes.Count(buf[start:end], []byte{'"'}), unknownShape
		n++
		start, from = end, end
	}
	return n
}

// lineFields returns the number of fields of line, a line with quotes
// quotes and the shape lineEnds gave it, if it is "…","…",…,"…" with no
// quote or comma inside the quotes, or 0. As quotedShape: with none of
// its commas bad, and neither end a comma nor next to one, every comma
// has a quote on either side, shared with no other comma nor with an
// end; with two quotes more than twice the commas, those are all of its
// quotes.
func lineFields(line []byte, quotes, shape int) int {
	if shape < 0 || quotes != 2*shape+2 || !quotedEnds(lineBody(line)) {
		return 0
	}
	return shape + 1
}

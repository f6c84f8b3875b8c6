package ctxrows

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// IDSet is a set of context ids within [Start, End], one bit each, so that
// half a million created contexts cost 64 KB.
type IDSet struct {
	start, end int64
	bits       []uint64
	count      int
}

// NewIDSet returns an empty set for ids start..end.
func NewIDSet(start, end int64) *IDSet {
	return &IDSet{start: start, end: end, bits: make([]uint64, (end-start)/64+1)}
}

// Add puts id in the set; ids outside the range are ignored. It reports
// whether the id was in range.
func (s *IDSet) Add(id int64) bool {
	if id < s.start || id > s.end {
		return false
	}
	i := id - s.start
	if s.bits[i/64]&(1<<(i%64)) == 0 {
		s.bits[i/64] |= 1 << (i % 64)
		s.count++
	}
	return true
}

// Has reports whether id is in the set; a nil set holds nothing.
func (s *IDSet) Has(id int64) bool {
	if s == nil || id < s.start || id > s.end {
		return false
	}
	i := id - s.start
	return s.bits[i/64]&(1<<(i%64)) != 0
}

// Len is the number of ids in the set.
func (s *IDSet) Len() int { return s.count }

// CreatedLog counts what one createcontext output contributed.
type CreatedLog struct {
	Name    string
	Created int // "context N created" lines
	InRange int // of those, ids within the range being generated
}

// ReadCreated adds to set every context that a createcontext output reports
// as created: its console prints "context <id> created" on stdout for each
// success, and failures on stderr as "context <id> could not be created:
// <reason>". A failure because the context already exists counts as created
// too: that is what a context in flight when an import was killed reports
// on the re-run. Other lines are ignored, so whole console logs may be given.
func ReadCreated(r io.Reader, name string, set *IDSet) (CreatedLog, error) {
	log := CreatedLog{Name: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		id, ok := createdID(sc.Text())
		if !ok {
			continue
		}
		log.Created++
		if set.Add(id) {
			log.InRange++
		}
	}
	if err := sc.Err(); err != nil {
		return log, fmt.Errorf("%s: %w", name, err)
	}
	return log, nil
}

func createdID(line string) (int64, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), "context ")
	if !ok {
		return 0, false
	}
	num, ok := strings.CutSuffix(rest, " created")
	if !ok {
		var reason string
		num, reason, ok = strings.Cut(rest, " could not be created: ")
		if !ok || !strings.Contains(reason, "already exists") {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(num, 10, 64)
	return id, err == nil
}

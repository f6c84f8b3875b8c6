package ctxrows

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"provpipe/pkg/openxchange/ctxcreate"
	"provpipe/pkg/shared/safetext"
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
	Name       string
	Created    int // contexts reported created, or refused as existing
	InRange    int // of those, ids within the range being generated
	Lines      int // lines that are not blank
	Recognized int // of those, lines createcontext prints
}

// ReadCreated adds to set every context that a createcontext output
// reports as created. It reads what appsuite-middleware's console prints:
//
//   - the CSV import (CreateCore.csvparsing): "Context <id> successfully
//     created" on stdout for each row created, "Failed to create context
//     <id>: <exception>" on stderr for each refused, "context created"
//     after the last row;
//   - one createcontext per context (the single-context path):
//     "context <id> created" on success; a failure prints "context could
//     not be created: ", "Server response:" and the message indented, as
//     " Context <id> already exists!; exceptionId ..." for an existing id;
//   - ctxcreate's tsv or jsonl results: "created" and "exists" count.
//
// A context refused because it already exists counts as created, whatever
// the form: that is what a context in flight when an import was killed
// reports on the re-run. A log with lines of which none is createcontext's
// is an error: a resume that skips nothing must not happen silently.
func ReadCreated(r io.Reader, name string, set *IDSet) (CreatedLog, error) {
	log := CreatedLog{Name: name}
	br := bufio.NewReader(r)
	head, _ := br.Peek(4096)
	if err := safetext.NotText(name, head); err != nil {
		return log, err
	}
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	first := ""
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		log.Lines++
		id, created, known := readLogLine(line)
		if !known {
			if first == "" {
				first = line
			}
			continue
		}
		log.Recognized++
		if created {
			log.Created++
			if set.Add(id) {
				log.InRange++
			}
		}
	}
	if err := sc.Err(); err != nil {
		return log, fmt.Errorf("%s: %w", name, err)
	}
	if log.Lines > 0 && log.Recognized == 0 {
		return log, fmt.Errorf("%s: no line is createcontext's output or ctxcreate's results (the first is %s); give the stdout and stderr of createcontext --csv-import, or ctxcreate's output", name, safetext.Quote(first))
	}
	return log, nil
}

// readLogLine reads one trimmed line: known when createcontext prints such
// lines, created when it reports a context created or existing.
func readLogLine(line string) (id int64, created, known bool) {
	if num, outcome, ok := ctxcreate.ParseResult(line); ok {
		if id, isID := parseID(num); isID {
			return id, outcome != ctxcreate.Failed, true
		}
	}
	if rest, ok := strings.CutPrefix(line, "Context "); ok {
		if num, ok := strings.CutSuffix(rest, " successfully created"); ok {
			id, created = parseID(num)
			return id, created, created
		}
		return existsID(line)
	}
	if rest, ok := strings.CutPrefix(line, "Failed to create context"); ok {
		num, exception, _ := strings.Cut(strings.TrimPrefix(rest, " "), ": ")
		class, msg, _ := strings.Cut(exception, ": ")
		if id, isID := parseID(num); isID && strings.HasSuffix(class, "ContextExistsException") {
			// The id the message names is the one that exists; a name
			// instead ("Context ctx7 already exists!") leaves the row's.
			if named, ok, _ := existsID(msg); ok {
				id = named
			}
			return id, true, true
		}
		return 0, false, true
	}
	if rest, ok := strings.CutPrefix(line, "context "); ok {
		if num, ok := strings.CutSuffix(rest, " created"); ok {
			id, created = parseID(num)
			return id, created, created
		}
		return 0, false, rest == "created" || strings.Contains(rest, "could not be created:")
	}
	return 0, false, line == "Server response:" || strings.HasPrefix(line, "at ")
}

// existsID reads "Context <id> already exists!" (ContextExistsException's
// message, from OXContextMySQLStorage), with or without its exceptionId.
// A name instead of an id ("Context ctx7 already exists!") is a known line
// that names no id.
func existsID(line string) (id int64, created, known bool) {
	msg, _, _ := strings.Cut(line, "; exceptionId")
	rest, ok := strings.CutPrefix(msg, "Context ")
	if !ok {
		return 0, false, false
	}
	num, ok := strings.CutSuffix(rest, " already exists!")
	if !ok {
		return 0, false, false
	}
	id, created = parseID(num)
	return id, created, true
}

func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil
}

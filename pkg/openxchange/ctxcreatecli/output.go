package ctxcreatecli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"provpipe/pkg/openxchange/ctxcreate"
	"provpipe/pkg/shared/cli"
	"provpipe/pkg/shared/safetext"
)

// writer writes one result per call, each in one write.
type writer struct {
	format         string
	stdout, stderr io.Writer
}

func newWriter(format string, stdout, stderr io.Writer) *writer {
	return &writer{format: format, stdout: stdout, stderr: stderr}
}

// jsonResult is a jsonl line.
type jsonResult struct {
	Context  string  `json:"context"`
	Outcome  string  `json:"outcome"`
	Seconds  float64 `json:"seconds"`
	Schema   string  `json:"schema,omitempty"`
	Database string  `json:"database,omitempty"`
	Attempts int     `json:"attempts"`
	Message  string  `json:"message,omitempty"`
}

func message(r ctxcreate.Result) string {
	if r.Err == nil {
		return ""
	}
	return r.Err.Error()
}

func (w *writer) write(r ctxcreate.Result) error {
	c := r.Job.Request.Context
	schema := r.Job.Request.Strategy.SchemaName
	switch w.format {
	case "jsonl":
		b, err := json.Marshal(jsonResult{Context: c.ID, Outcome: string(r.Outcome), Seconds: round3(r.Seconds),
			Schema: schema, Database: c.DatabaseID, Attempts: r.Attempts, Message: message(r)})
		if err != nil {
			return err
		}
		_, err = w.stdout.Write(append(b, '\n'))
		return err
	case "text":
		// What createcontext --csv-import prints for a row: its log
		// parsers (and ctxrows --skip-created) read these lines.
		if r.Outcome == ctxcreate.Created {
			_, err := fmt.Fprintf(w.stdout, "Context %s successfully created\n", c.ID)
			return err
		}
		_, err := fmt.Fprintf(w.stderr, "Failed to create context %s: %s\n", c.ID, safetext.Escape(message(r)))
		return err
	}
	_, err := fmt.Fprintf(w.stdout, "%s\t%s\t%.3f\t%s\t%s\t%d\t%s\n", tsvField(c.ID), r.Outcome, r.Seconds,
		tsvField(schema), tsvField(c.DatabaseID), r.Attempts, tsvField(message(r)))
	return err
}

// end writes what createcontext prints after the last row.
func (w *writer) end() error {
	_, err := io.WriteString(w.stdout, "context created\n")
	return err
}

func tsvField(s string) string { return safetext.Escape(s) }

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// summary counts the outcomes and keeps each database's times.
type summary struct {
	created, existed, failed int
	seconds                  map[string][]float64 // by database id
	secondsTotal             float64              // all results' seconds, for -j auto
	level                    int                  // -j auto's current level; 0 without it
}

func (s *summary) add(r ctxcreate.Result) {
	switch r.Outcome {
	case ctxcreate.Created:
		s.created++
	case ctxcreate.Existed:
		s.existed++
	default:
		s.failed++
	}
	if s.seconds == nil {
		s.seconds = map[string][]float64{}
	}
	db := r.Job.Request.Context.DatabaseID
	if db == "" {
		db = "(automatic)"
	}
	s.seconds[db] = append(s.seconds[db], r.Seconds)
	s.secondsTotal += r.Seconds
}

func (s *summary) total() int { return s.created + s.existed + s.failed }

// write prints the summary on stderr, one line each, whole.
func (s *summary) write(w io.Writer, wall time.Duration, skipped int, interrupted bool) {
	var b strings.Builder
	if interrupted {
		b.WriteString("ctxcreate: interrupted: no new create started; those in flight finished and are reported\n")
	}
	fmt.Fprintf(&b, "ctxcreate: %s created, %d existed, %d failed in %.1fs (%.1f contexts/s)",
		cli.Count(s.created, "context"), s.existed, s.failed, wall.Seconds(), float64(s.total())/max(wall.Seconds(), 0.001))
	if skipped > 0 {
		fmt.Fprintf(&b, "; %d done before (--done)", skipped)
	}
	b.WriteString("\n")
	dbs := make([]string, 0, len(s.seconds))
	for db := range s.seconds {
		dbs = append(dbs, db)
	}
	sort.Strings(dbs)
	for _, db := range dbs {
		t := slices.Clone(s.seconds[db])
		slices.Sort(t)
		fmt.Fprintf(&b, "ctxcreate: database %s: %s, median %.3fs, p95 %.3fs\n", db, cli.Count(len(t), "context"), quantile(t, 0.5), quantile(t, 0.95))
	}
	io.WriteString(w, b.String())
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(int(q*float64(len(sorted))), len(sorted)-1)]
}

// progressLine is the run so far: counts and rate.
func (s *summary) progressLine(elapsed time.Duration) string {
	line := fmt.Sprintf("ctxcreate: %d created, %d existed, %d failed, %.1f contexts/s",
		s.created, s.existed, s.failed, float64(s.total())/max(elapsed.Seconds(), 0.001))
	if s.level > 0 {
		line += fmt.Sprintf(", -j auto at %d", s.level)
	}
	return line
}

// Package warmreport writes sxwarm's results: the seed's text lines, TSV,
// CSV or JSON lines, each user's result in one write; the summary; the
// progress line; and reads an earlier output back for --done.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package warmreport

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"provpipe/pkg/scalix/warm"
	"provpipe/pkg/shared/cli"
	"provpipe/pkg/shared/safetext"
)

// StatusLoginOK is the status of a user whose login --check tried and the
// server accepted; nothing was warmed.
const StatusLoginOK = "login-ok"

// Formats.
const (
	Text  = "text"
	TSV   = "tsv"
	JSONL = "jsonl"
	CSV   = "csv"
)

// Writer formats results onto out and reasons onto errw.
type Writer struct {
	out, errw io.Writer
	format    string
	header    bool
	started   bool
}

// NewWriter returns a writer; header asks for a TSV header line (CSV always
// has one). An unknown format is an error, not a writer that writes nothing.
func NewWriter(out, errw io.Writer, format string, header bool) (*Writer, error) {
	switch format {
	case Text, TSV, JSONL, CSV:
		return &Writer{out: out, errw: errw, format: format, header: header || format == CSV}, nil
	}
	return nil, fmt.Errorf("unknown output format %q (text, tsv, jsonl or csv)", format)
}

var columns = []string{"user", "folder", "status", "messages", "bytes", "seconds"}

// Write reports one user.
func (w *Writer) Write(r warm.Result) error {
	var b strings.Builder
	if !w.started {
		w.started = true
		if w.header && w.format == TSV {
			b.WriteString(strings.Join(columns, "\t") + "\n")
		}
		if w.format == CSV {
			b.WriteString(strings.Join(columns, ",") + "\n")
		}
	}
	switch w.format {
	case Text:
		writeText(&b, r)
	case TSV:
		writeTSV(&b, r)
	case CSV:
		writeCSV(&b, r)
	case JSONL:
		writeJSON(&b, r)
	}
	w.reasons(r)
	_, err := io.WriteString(w.out, b.String())
	return err
}

// reasons writes why a user or a folder failed to stderr, one line each.
func (w *Writer) reasons(r warm.Result) {
	var b strings.Builder
	attempts := ""
	if r.Attempts > 1 {
		attempts = fmt.Sprintf(" (after %d attempts)", r.Attempts)
	}
	if r.Err != nil {
		fmt.Fprintf(&b, "sxwarm: %s%s\n", safetext.Escape(r.Err.Error()), attempts)
	}
	for _, f := range r.Folders {
		if f.Err != nil {
			fmt.Fprintf(&b, "sxwarm: %s%s\n", safetext.Escape(f.Err.Error()), attempts)
		}
	}
	if b.Len() > 0 {
		io.WriteString(w.errw, b.String())
	}
}

// writeText writes the seed's line: "User0 Test0 (3 of 1022)... INBOX: 2.97 ... Total: 5.40".
func writeText(b *strings.Builder, r warm.Result) {
	if r.Status == warm.UserSkipped {
		fmt.Fprintf(b, "Skipping: %s\n", r.User.Login)
		return
	}
	fmt.Fprintf(b, "%s (%d of %d)...", r.User.Login, r.User.Index, r.Of)
	if r.Err != nil {
		b.WriteString(" error\n")
		return
	}
	if r.LoginOnly {
		fmt.Fprintf(b, " login ok %.2f\n", r.Seconds)
		return
	}
	total := 0.0
	for _, f := range r.Folders {
		switch f.Status {
		case warm.StatusOK:
			fmt.Fprintf(b, " %s: %.2f", safetext.Escape(f.Name), f.Seconds)
		default:
			fmt.Fprintf(b, " %s: %s", safetext.Escape(f.Name), f.Status)
		}
		total += f.Seconds
	}
	fmt.Fprintf(b, " Total: %.2f\n", total)
}

// rows are the per-folder lines of TSV and CSV; a user who failed before
// any folder gets one line with folder "-".
func rows(r warm.Result) [][]string {
	if r.Status == warm.UserSkipped {
		return [][]string{{r.User.Login, "-", "skipped", "0", "0", "0.000"}}
	}
	if r.LoginOnly {
		return [][]string{{r.User.Login, "-", StatusLoginOK, "0", "0", fmt.Sprintf("%.3f", r.Seconds)}}
	}
	if len(r.Folders) == 0 {
		return [][]string{{r.User.Login, "-", warm.StatusError, "0", "0", fmt.Sprintf("%.3f", r.Seconds)}}
	}
	var out [][]string
	for _, f := range r.Folders {
		out = append(out, []string{r.User.Login, f.Name, f.Status, strconv.Itoa(f.Messages),
			strconv.FormatInt(f.Bytes, 10), fmt.Sprintf("%.3f", f.Seconds)})
	}
	if r.Err != nil {
		out = append(out, []string{r.User.Login, "-", warm.StatusError, "0", "0", fmt.Sprintf("%.3f", r.Seconds)})
	}
	return out
}

func writeTSV(b *strings.Builder, r warm.Result) {
	for _, row := range rows(r) {
		for i, v := range row {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(safetext.Escape(v)) // one line, no tab, no control character
		}
		b.WriteByte('\n')
	}
}

func writeCSV(b *strings.Builder, r warm.Result) {
	cw := csv.NewWriter(b)
	for _, row := range rows(r) {
		for i := range row {
			row[i] = safetext.Escape(row[i])
		}
		cw.Write(row)
	}
	cw.Flush()
}

type jsonFolder struct {
	Name     string  `json:"name"`
	Status   string  `json:"status"`
	Messages int     `json:"messages"`
	Bytes    int64   `json:"bytes"`
	Seconds  float64 `json:"seconds"`
	Error    string  `json:"error,omitempty"`
}

type jsonUser struct {
	User    string       `json:"user"`
	Index   int          `json:"index"`
	Of      int          `json:"of"`
	Status  string       `json:"status"`
	Seconds float64      `json:"seconds"`
	Error   string       `json:"error,omitempty"`
	Folders []jsonFolder `json:"folders"`
}

func writeJSON(b *strings.Builder, r warm.Result) {
	u := jsonUser{User: r.User.Login, Index: r.User.Index, Of: r.Of, Status: r.Status,
		Seconds: round3(r.Seconds), Folders: []jsonFolder{}}
	if r.Err != nil {
		u.Error = r.Err.Error()
	}
	if r.LoginOnly {
		u.Status = StatusLoginOK
	}
	for _, f := range r.Folders {
		jf := jsonFolder{Name: f.Name, Status: f.Status, Messages: f.Messages, Bytes: f.Bytes, Seconds: round3(f.Seconds)}
		if f.Err != nil {
			jf.Error = f.Err.Error()
		}
		u.Folders = append(u.Folders, jf)
	}
	line, _ := json.Marshal(u)
	b.Write(line)
	b.WriteByte('\n')
}

func round3(x float64) float64 {
	v, _ := strconv.ParseFloat(fmt.Sprintf("%.3f", x), 64)
	return v
}

// Summary accumulates results for the closing summary.
type Summary struct {
	// Level is -j auto's current number of sessions (0 without it), for
	// the progress line.
	Level                                 int
	OK, Missing, Failed, Partial, Skipped int
	perFolder                             map[string][]float64
	order                                 []string
	tried, missing                        map[string]int // per folder name
	triedOrder                            []string
	Messages                              int
	Bytes                                 int64
	Seconds                               float64 // of all folders, summed
	StatusFolders                         int     // other folders asked their STATUS
}

// Add counts one result.
func (s *Summary) Add(r warm.Result) {
	if s.perFolder == nil {
		s.perFolder = map[string][]float64{}
	}
	switch r.Status {
	case warm.UserSkipped:
		s.Skipped++
		return
	case warm.UserFailed:
		s.Failed++
	case warm.UserPartial:
		s.Partial++
	default:
		s.OK++
		if r.Missing() > 0 {
			s.Missing++
		}
	}
	s.StatusFolders += r.StatusFolders
	if s.tried == nil {
		s.tried, s.missing = map[string]int{}, map[string]int{}
	}
	for _, f := range r.Folders {
		if s.tried[f.Name]++; s.tried[f.Name] == 1 {
			s.triedOrder = append(s.triedOrder, f.Name)
		}
		if f.Status == warm.StatusMissing {
			s.missing[f.Name]++
		}
		s.Messages += f.Messages
		s.Bytes += f.Bytes
		s.Seconds += f.Seconds
		if f.Status != warm.StatusOK {
			continue
		}
		if _, seen := s.perFolder[f.Name]; !seen {
			s.order = append(s.order, f.Name)
		}
		s.perFolder[f.Name] = append(s.perFolder[f.Name], f.Seconds)
	}
}

// MissingEverywhere lists the folders that were missing for every user
// that got to them: most likely a misspelt -F.
func (s *Summary) MissingEverywhere() []string {
	var out []string
	for _, name := range s.triedOrder {
		if s.missing[name] == s.tried[name] {
			out = append(out, name)
		}
	}
	return out
}

// Tried is the number of users whose folder name was tried.
func (s *Summary) Tried(name string) int { return s.tried[name] }

// Done is the number of users reported.
func (s *Summary) Done() int { return s.OK + s.Failed + s.Partial + s.Skipped }

// InterruptedNote says that an interrupted run's output is incomplete; it
// is printed even with -q.
const InterruptedNote = "sxwarm: interrupted; users not started are not reported (resume with --done)\n"

// Write prints the summary in whole lines.
func (s *Summary) Write(w io.Writer, wall time.Duration, interrupted bool) {
	var b strings.Builder
	if interrupted {
		b.WriteString(InterruptedNote)
	}
	fmt.Fprintf(&b, "sxwarm: %s in %.1fs\n", s.Counts(), wall.Seconds())
	for _, f := range s.Folders() {
		fmt.Fprintf(&b, "sxwarm: %s\n", f)
	}
	if s.StatusFolders > 0 {
		fmt.Fprintf(&b, "sxwarm: STATUS asked of %s not warmed (as clients do on opening)\n", cli.Count(s.StatusFolders, "other folder"))
	}
	io.WriteString(w, b.String())
}

// Counts is the summary's first line without the time: users ok, with
// missing folders, partial, failed, skipped.
func (s *Summary) Counts() string {
	return fmt.Sprintf("%s ok (%d with missing folders), %d partial, %d failed, %d skipped",
		cli.Count(s.OK, "user"), s.Missing, s.Partial, s.Failed, s.Skipped)
}

// FolderStats is the timing of one folder name over all users.
type FolderStats struct {
	Name          string  `json:"name"`
	MedianSeconds float64 `json:"median_seconds"`
	P95Seconds    float64 `json:"p95_seconds"`
	Count         int     `json:"folders"`
}

func (f FolderStats) String() string {
	return fmt.Sprintf("%-20s median %.3fs  p95 %.3fs  (%s)", f.Name+":", f.MedianSeconds, f.P95Seconds, cli.Count(f.Count, "folder"))
}

// Folders gives each folder name's median and p95 seconds, in first-seen order.
func (s *Summary) Folders() []FolderStats {
	var out []FolderStats
	for _, name := range s.order {
		secs := s.perFolder[name]
		sort.Float64s(secs)
		out = append(out, FolderStats{Name: name, MedianSeconds: round3(quantile(secs, 0.5)), P95Seconds: round3(quantile(secs, 0.95)), Count: len(secs)})
	}
	return out
}

// quantile of sorted values, nearest rank.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// ClearLine erases the progress line before a result line (cli.ClearLine).
const ClearLine = cli.ClearLine

// Progress writes a status line to a terminal, over the previous one.
func Progress(w io.Writer, s *Summary, total int, start time.Time) {
	io.WriteString(w, ClearLine+ProgressLine(s, total, start))
}

// ProgressLine is the status: users done of total, failed, rate, ETA.
func ProgressLine(s *Summary, total int, start time.Time) string {
	done := s.Done()
	el := time.Since(start).Seconds()
	rate := float64(done) / max(el, 0.001)
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
	}
	line := fmt.Sprintf("sxwarm: %d of %d users, %d failed, %.1f users/s, ETA %s", done, total, s.Failed+s.Partial, rate, eta)
	if s.Level > 0 {
		line += fmt.Sprintf(", -j auto at %d", s.Level)
	}
	return line
}

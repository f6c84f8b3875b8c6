package warmreport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"provpipe/pkg/scalix/warm"
	"provpipe/pkg/shared/cli"
	"provpipe/pkg/shared/safetext"
)

// Results rebuilds each user's latest result, in the order users were
// first seen, for a report over the outputs of any number of jobs. Each is
// graded as the run that wrote it graded it (strict: a missing folder was
// a failure).
func (d *Done) Results(strict bool) []warm.Result {
	out := make([]warm.Result, 0, len(d.order))
	for i, user := range d.order {
		rec := d.latest[user]
		r := warm.Result{User: warm.User{Login: user, Index: i + 1}, Folders: rec.rows}
		if rec.failed {
			r.Err = errRecordedFailure
		}
		r.Status = r.Grade(strict)
		if rec.skipped {
			r.Status = warm.UserSkipped
		}
		out = append(out, r)
	}
	return out
}

// errRecordedFailure stands for a failure an output recorded (its "-"
// error row, or the error of a JSON line) without its cause.
var errRecordedFailure = errors.New("failed (recorded)")

// Report is the summary of a whole run, from its results files.
type Report struct {
	Files       []string      `json:"files"`
	Users       int           `json:"users"`
	OK          int           `json:"ok"`
	Missing     int           `json:"ok_with_missing_folders"`
	Partial     int           `json:"partial"`
	Failed      int           `json:"failed"`
	Skipped     int           `json:"skipped"`
	Messages    int           `json:"messages"`
	Bytes       int64         `json:"bytes"`
	Seconds     float64       `json:"folder_seconds"`
	Folders     []FolderStats `json:"per_folder"`
	FailedUsers []string      `json:"failed_users"`
	counts      string
}

// NewReport summarises results, as a single run's summary would.
func NewReport(files []string, results []warm.Result) *Report {
	var s Summary
	rep := &Report{Files: files, FailedUsers: []string{}}
	for _, r := range results {
		s.Add(r)
		if r.Status == warm.UserFailed || r.Status == warm.UserPartial {
			rep.FailedUsers = append(rep.FailedUsers, r.User.Login)
		}
	}
	rep.Users, rep.OK, rep.Missing, rep.Partial, rep.Failed, rep.Skipped = len(results), s.OK, s.Missing, s.Partial, s.Failed, s.Skipped
	rep.Messages, rep.Bytes, rep.Seconds = s.Messages, s.Bytes, round3(s.Seconds)
	rep.Folders, rep.counts = s.Folders(), s.Counts()
	return rep
}

// Counts is the summary's counts line, the same words as a run's.
func (rep *Report) Counts() string { return rep.counts }

// WriteText writes the report as comment lines followed by the users that
// failed, one per line: the output is itself a user list for the re-run.
func (rep *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# sxwarm report of %s: %s\n", strings.Join(rep.Files, ", "), cli.Count(rep.Users, "user"))
	fmt.Fprintf(&b, "# %s\n", rep.counts)
	mb := float64(rep.Bytes) / 1e6
	fmt.Fprintf(&b, "# %d messages, %.1f MB, %.1f s in folders (%.2f MB/s per session)\n", rep.Messages, mb, rep.Seconds, mb/max(rep.Seconds, 0.001))
	for _, f := range rep.Folders {
		fmt.Fprintf(&b, "# %s\n", f)
	}
	if len(rep.FailedUsers) > 0 {
		fmt.Fprintf(&b, "# %s failed or partly failed; this output is a user list: warm them again with\n#   sxwarm [options] THIS-FILE\n", cli.Count(len(rep.FailedUsers), "user"))
	}
	for _, u := range rep.FailedUsers {
		b.WriteString(safetext.Escape(u) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as one JSON object on one line.
func (rep *Report) WriteJSON(w io.Writer) error {
	line, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	_, err = w.Write(append(line, '\n'))
	return err
}

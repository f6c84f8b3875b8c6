package warmreport

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"provpipe/pkg/scalix/warm"
	"provpipe/pkg/shared/safetext"
)

// Done is what an earlier TSV or JSON lines output says of each user (its
// zero value is empty, ready to Read): the
// folders of the user's latest record and how each went. A later record
// replaces an earlier one, so a user who failed and was warmed on resume
// counts as warmed.
type Done struct {
	latest map[string]*record
	order  []string // users in the order first seen
}

// record is one user's result in the output: in TSV, consecutive rows.
type record struct {
	folders map[string]string // folder -> status
	failed  bool              // the user failed before or beside its folders
	skipped bool
	rows    []warm.FolderResult // the folders in order, with their figures
}

// continuedBy tells whether a row for folder can belong to this record: a
// record names each folder once and ends with its "-" row, if it has one.
// Otherwise the row starts the user's next record (a run resumed right
// after this user).
func (rec *record) continuedBy(folder string) bool {
	if rec == nil || rec.failed {
		return false
	}
	_, seen := rec.folders[folder]
	return !seen
}

// ReadDone reads an earlier output. A last line cut short (a write that
// failed on a full disk, a killed process) is left out with a warning; any
// other line that is not a result is an error naming the file and line.
func ReadDone(path string, warn func(string)) (*Done, error) {
	d := &Done{latest: map[string]*record{}}
	if err := d.Read(path, "--done", warn); err != nil {
		return nil, err
	}
	return d, nil
}

// Read adds the records of one more output file; flag names the option
// in messages.
func (d *Done) Read(path, flag string, warn func(string)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var current string // the user whose TSV rows are being read
	for n := 1; ; n++ {
		line, err := r.ReadString('\n')
		if errors.Is(err, io.EOF) {
			if line != "" {
				warn(fmt.Sprintf("%s %s:%d: last line is cut short (an interrupted write); left out", flag, path, n))
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", flag, path, err)
		}
		if current, err = d.add(strings.TrimRight(line, "\r\n"), n, current); err != nil {
			return fmt.Errorf("%s %s:%d: %w", flag, path, n, err)
		}
	}
}

// add reads one line; current is the user of the TSV rows just before it,
// whose record this line continues when it names the same user.
func (d *Done) add(line string, n int, current string) (string, error) {
	switch {
	case strings.HasPrefix(line, "{"):
		return "", d.addJSON(line)
	case strings.Count(line, "\t") == 5:
		fields := strings.Split(line, "\t")
		if n == 1 && fields[0] == "user" {
			return "", nil
		}
		user, folder := safetext.Unescape(fields[0]), safetext.Unescape(fields[1])
		rec := d.latest[user]
		if user != current || !rec.continuedBy(folder) {
			rec = d.newRecord(user)
		}
		rec.addRow(folder, fields[2:])
		return user, nil
	case strings.TrimSpace(line) == "":
		return "", nil
	}
	return "", errors.New("neither a TSV nor a JSON lines result")
}

// newRecord starts the user's latest record.
func (d *Done) newRecord(user string) *record {
	if d.latest == nil {
		d.latest = map[string]*record{}
	}
	if d.latest[user] == nil {
		d.order = append(d.order, user)
	}
	rec := &record{folders: map[string]string{}}
	d.latest[user] = rec
	return rec
}

// addRow adds a TSV row: status, messages, bytes, seconds.
func (rec *record) addRow(folder string, fields []string) {
	status := fields[0]
	if folder == "-" && status == StatusLoginOK {
		return // a --check: the login worked, nothing was warmed
	}
	if folder == "-" {
		// login failed, connection lost after the folders, or skipped
		rec.failed, rec.skipped = true, status == warm.UserSkipped
		return
	}
	rec.folders[folder] = status
	messages, _ := strconv.Atoi(fields[1])
	bytes, _ := strconv.ParseInt(fields[2], 10, 64)
	secs, _ := strconv.ParseFloat(fields[3], 64)
	rec.rows = append(rec.rows, warm.FolderResult{Name: folder, Status: status, Messages: messages, Bytes: bytes, Seconds: secs})
}

func (d *Done) addJSON(line string) error {
	var u jsonUser
	if err := json.Unmarshal([]byte(line), &u); err != nil {
		return err
	}
	rec := d.newRecord(u.User)
	rec.failed, rec.skipped = u.Error != "" || u.Status == warm.UserSkipped, u.Status == warm.UserSkipped
	for _, f := range u.Folders {
		rec.folders[f.Name] = f.Status
		rec.rows = append(rec.rows, warm.FolderResult{Name: f.Name, Status: f.Status, Messages: f.Messages, Bytes: f.Bytes, Seconds: f.Seconds})
	}
	return nil
}

// Seen reports whether the output has any record of user.
func (d *Done) Seen(user string) bool { return d.latest[user] != nil }

// Scope is what the run about to start warms: its folders (or all of them)
// and whether a missing folder counts as a failure.
type Scope struct {
	Folders    []string
	AllFolders bool
	Strict     bool
}

// Warmed reports whether the user's latest record covers scope: every folder
// asked for is there and ok (or missing, unless strict). With AllFolders the
// folder list is not known ahead, so every folder of the record must be.
func (d *Done) Warmed(user string, scope Scope) bool {
	rec := d.latest[user]
	if rec == nil || rec.failed || len(rec.folders) == 0 {
		return false
	}
	good := func(status string) bool {
		return status == warm.StatusOK || status == warm.StatusMissing && !scope.Strict
	}
	if scope.AllFolders {
		for _, status := range rec.folders {
			if !good(status) {
				return false
			}
		}
		return true
	}
	for _, f := range scope.Folders {
		if !good(rec.status(f)) {
			return false
		}
	}
	return true
}

// status of a folder in the record; INBOX is case-insensitive.
func (rec *record) status(folder string) string {
	if s, ok := rec.folders[folder]; ok || !strings.EqualFold(folder, "INBOX") {
		return s
	}
	for name, s := range rec.folders {
		if strings.EqualFold(name, "INBOX") {
			return s
		}
	}
	return ""
}

// Remaining leaves out the users already warmed for scope, keeping the
// others' positions.
func (d *Done) Remaining(users []warm.User, scope Scope) []warm.User {
	kept := make([]warm.User, 0, len(users))
	for _, u := range users {
		if !d.Warmed(u.Login, scope) {
			kept = append(kept, u)
		}
	}
	return kept
}

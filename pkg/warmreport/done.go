package warmreport

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"provpipe/pkg/safetext"
	"provpipe/pkg/warm"
)

// Done is what an earlier TSV or JSON lines output says of each user: the
// folders of the user's latest record and how each went. A later record
// replaces an earlier one, so a user who failed and was warmed on resume
// counts as warmed.
type Done struct {
	latest map[string]*record
}

// record is one user's result in the output: in TSV, consecutive rows.
type record struct {
	folders map[string]string // folder -> status
	failed  bool              // the user failed before or beside its folders
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
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--done: %w", err)
	}
	defer f.Close()
	d := &Done{latest: map[string]*record{}}
	r := bufio.NewReaderSize(f, 64<<10)
	var current string // the user whose TSV rows are being read
	for n := 1; ; n++ {
		line, err := r.ReadString('\n')
		if errors.Is(err, io.EOF) {
			if line != "" {
				warn(fmt.Sprintf("--done %s:%d: last line is cut short (an interrupted write); its user is warmed again", path, n))
			}
			return d, nil
		}
		if err != nil {
			return nil, fmt.Errorf("--done %s: %w", path, err)
		}
		if current, err = d.add(strings.TrimRight(line, "\r\n"), n, current); err != nil {
			return nil, fmt.Errorf("--done %s:%d: %w", path, n, err)
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
			rec = &record{folders: map[string]string{}}
			d.latest[user] = rec
		}
		rec.addRow(folder, fields[2])
		return user, nil
	case strings.TrimSpace(line) == "":
		return "", nil
	}
	return "", errors.New("neither a TSV nor a JSON lines result")
}

func (rec *record) addRow(folder, status string) {
	if folder == "-" {
		rec.failed = true // login failed, connection lost after the folders, or skipped
		return
	}
	rec.folders[folder] = status
}

func (d *Done) addJSON(line string) error {
	var u jsonUser
	if err := json.Unmarshal([]byte(line), &u); err != nil {
		return err
	}
	rec := &record{folders: map[string]string{}, failed: u.Error != "" || u.Status == warm.UserSkipped}
	for _, f := range u.Folders {
		rec.folders[f.Name] = f.Status
	}
	d.latest[u.User] = rec
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

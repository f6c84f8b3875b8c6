package warmreport

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"provpipe/pkg/scalix/warm"
)

func writeDone(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "done")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readDone(t *testing.T, text string) (*Done, []string) {
	t.Helper()
	var warnings []string
	d, err := ReadDone(writeDone(t, text), func(w string) { warnings = append(warnings, w) })
	if err != nil {
		t.Fatal(err)
	}
	return d, warnings
}

func TestTSVAndJSONRoundTripThroughDone(t *testing.T) {
	results := []warm.Result{
		{User: warm.User{Login: "tab\tuser", Index: 1}, Of: 3, Status: warm.UserOK,
			Folders: []warm.FolderResult{{Name: "INBOX", Status: warm.StatusOK, Messages: 3}, {Name: "Calendar", Status: warm.StatusMissing}}},
		{User: warm.User{Login: "broken", Index: 2}, Of: 3, Status: warm.UserPartial,
			Folders: []warm.FolderResult{{Name: "INBOX", Status: warm.StatusOK}, {Name: "Sent Items", Status: warm.StatusError}}},
		{User: warm.User{Login: "sxqueryadmin", Index: 3}, Of: 3, Status: warm.UserSkipped},
	}
	scope := Scope{Folders: []string{"INBOX", "Calendar"}}
	for _, format := range []string{TSV, JSONL} {
		var out, errw strings.Builder
		w, err := NewWriter(&out, &errw, format, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		d, _ := readDone(t, out.String())
		for _, c := range []struct {
			user string
			want bool
		}{{"tab\tuser", true}, {"broken", false}, {"sxqueryadmin", false}, {"never", false}} {
			if got := d.Warmed(c.user, scope); got != c.want {
				t.Errorf("%s: Warmed(%q) = %v, want %v", format, c.user, got, c.want)
			}
		}
	}
}

// TestDoneHonoursScope: a user is done for the folders and the strictness of
// the run about to start, not of the run that wrote the file.
func TestDoneHonoursScope(t *testing.T) {
	d, _ := readDone(t, "inboxonly\tINBOX\tok\t1\t10\t0.1\n"+
		"nocal\tINBOX\tok\t1\t10\t0.1\nnocal\tCalendar\tmissing\t0\t0\t0.0\n"+
		"lower\tinbox\tok\t1\t10\t0.1\n"+
		"late\tINBOX\tok\t1\t10\t0.1\nlate\t-\terror\t0\t0\t0.2\n")
	cases := []struct {
		user  string
		scope Scope
		want  bool
	}{
		{"inboxonly", Scope{Folders: []string{"INBOX"}}, true},
		{"inboxonly", Scope{Folders: []string{"INBOX", "Calendar"}}, false},
		{"nocal", Scope{Folders: []string{"INBOX", "Calendar"}}, true},
		{"nocal", Scope{Folders: []string{"INBOX", "Calendar"}, Strict: true}, false},
		{"nocal", Scope{AllFolders: true}, true},
		{"nocal", Scope{AllFolders: true, Strict: true}, false},
		{"lower", Scope{Folders: []string{"INBOX"}}, true},
		{"late", Scope{Folders: []string{"INBOX"}}, false},
	}
	for _, c := range cases {
		if got := d.Warmed(c.user, c.scope); got != c.want {
			t.Errorf("Warmed(%q, %+v) = %v, want %v", c.user, c.scope, got, c.want)
		}
	}
}

// TestDoneLatestRecordWins: a resumed run appends a user's new record, even
// right after the old one; the new one counts, in either direction.
func TestDoneLatestRecordWins(t *testing.T) {
	d, _ := readDone(t, "a\t-\terror\t0\t0\t1.0\na\tINBOX\tok\t1\t1\t0.1\n"+
		"b\tINBOX\tok\t1\t1\t0.1\nb\tINBOX\terror\t0\t0\t0.1\n"+
		`{"user":"c","status":"failed","error":"x","folders":[]}`+"\n"+
		`{"user":"c","status":"ok","folders":[{"name":"INBOX","status":"ok"}]}`+"\n")
	inbox := Scope{Folders: []string{"INBOX"}}
	for user, want := range map[string]bool{"a": true, "b": false, "c": true} {
		if got := d.Warmed(user, inbox); got != want {
			t.Errorf("Warmed(%q) = %v, want %v", user, got, want)
		}
	}
}

func TestDoneSkipsTornLastLine(t *testing.T) {
	d, warnings := readDone(t, "a\tINBOX\tok\t1\t1\t0.1\nb\tINBOX\tok\t1\t1\t0.1\nc\tINB")
	if len(warnings) != 1 || !strings.Contains(warnings[0], ":3: last line is cut short") {
		t.Errorf("warnings %q", warnings)
	}
	users := []warm.User{{Login: "a", Index: 1}, {Login: "b", Index: 2}, {Login: "c", Index: 3}}
	got := d.Remaining(users, Scope{Folders: []string{"INBOX"}})
	if len(got) != 1 || got[0].Login != "c" || got[0].Index != 3 {
		t.Errorf("remaining %+v", got)
	}
}

func TestReadDoneRejects(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"seed text", "User0 Test0 (1 of 2)... INBOX: 0.10 Total: 0.10\n", ":1: neither"},
		{"torn line in the middle", "a\tINBOX\tok\t1\t1\t0.1\nb\tINB{\"user\":\"c\"}\n", ":2: neither"},
		{"bad JSON", "{\"user\":\n", ":1: unexpected end"},
	}
	for _, c := range cases {
		path := writeDone(t, c.text)
		_, err := ReadDone(path, func(string) {})
		if err == nil || !strings.Contains(err.Error(), path+c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, path+c.want)
		}
	}
}

func TestRemainingKeepsPositions(t *testing.T) {
	d, _ := readDone(t, "a\tINBOX\tok\t1\t1\t0.1\nc\tINBOX\tok\t1\t1\t0.1\n")
	users := []warm.User{{Login: "a", Index: 1}, {Login: "b", Index: 2}, {Login: "c", Index: 3}}
	got := d.Remaining(users, Scope{Folders: []string{"INBOX"}})
	if len(got) != 1 || got[0].Login != "b" || got[0].Index != 2 {
		t.Errorf("got %+v", got)
	}
	empty, _ := readDone(t, "")
	if got := empty.Remaining(users, Scope{Folders: []string{"INBOX"}}); !slices.Equal(got, users) {
		t.Errorf("nothing done: kept %v", got)
	}
}

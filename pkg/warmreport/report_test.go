package warmreport

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"provpipe/pkg/warm"
)

func TestQuantile(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if q := quantile(s, 0.5); q != 5 {
		t.Errorf("median %v", q)
	}
	if q := quantile(s, 0.95); q != 10 {
		t.Errorf("p95 %v", q)
	}
	if q := quantile(nil, 0.5); q != 0 {
		t.Errorf("empty %v", q)
	}
}

func TestTSVRoundTripThroughDone(t *testing.T) {
	results := []warm.Result{
		{User: warm.User{Login: "tab\tuser", Index: 1}, Of: 3, Status: warm.UserOK,
			Folders: []warm.FolderResult{{Name: "INBOX", Status: warm.StatusOK, Messages: 3}, {Name: "Calendar", Status: warm.StatusMissing}}},
		{User: warm.User{Login: "broken", Index: 2}, Of: 3, Status: warm.UserPartial,
			Folders: []warm.FolderResult{{Name: "INBOX", Status: warm.StatusOK}, {Name: "Sent Items", Status: warm.StatusError}}},
		{User: warm.User{Login: "sxqueryadmin", Index: 3}, Of: 3, Status: warm.UserSkipped},
	}
	for _, format := range []string{TSV, JSONL} {
		var out, errw strings.Builder
		w := NewWriter(&out, &errw, format, true)
		for _, r := range results {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		path := filepath.Join(t.TempDir(), "done")
		os.WriteFile(path, []byte(out.String()), 0o644)
		done, err := ReadDone(path)
		if err != nil {
			t.Fatalf("%s: %v\n%s", format, err, out.String())
		}
		if want := map[string]bool{"tab\tuser": true}; !reflect.DeepEqual(done, want) {
			t.Errorf("%s: done %v, want %v", format, done, want)
		}
	}
}

func TestReadDoneRejectsOtherText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "done")
	os.WriteFile(path, []byte("User0 Test0 (1 of 2)... INBOX: 0.10 Total: 0.10\n"), 0o644)
	if _, err := ReadDone(path); err == nil || !strings.Contains(err.Error(), path+":1:") {
		t.Errorf("error %v", err)
	}
}

func TestRemainingKeepsPositions(t *testing.T) {
	users := []warm.User{{Login: "a", Index: 1}, {Login: "b", Index: 2}, {Login: "c", Index: 3}}
	got := Remaining(users, map[string]bool{"a": true, "c": true})
	if len(got) != 1 || got[0].Login != "b" || got[0].Index != 2 {
		t.Errorf("got %+v", got)
	}
	if got := Remaining(users, nil); len(got) != 3 {
		t.Errorf("nothing done: kept %d", len(got))
	}
}

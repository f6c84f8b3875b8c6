package directory

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

var sample = []Entry{
	{Login: "User0 Test0", CN: "User0 Test0", Surname: "Test0", Given: "User0", Formal: "S=Test0/G=User0"},
	{Login: "sxqueryadmin", CN: "sxqueryadmin"},
	{Login: `Odd, "Quoted"`, CN: `Odd, "Quoted"`, Mail: "odd@example.com"},
}

func TestWriteFormats(t *testing.T) {
	var lines, csvOut, jsonl bytes.Buffer
	for w, f := range map[*bytes.Buffer]string{&lines: Lines, &csvOut: CSV, &jsonl: JSONL} {
		if err := Write(w, f, sample); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Split(strings.TrimSuffix(lines.String(), "\n"), "\n"); !reflect.DeepEqual(got, []string{"User0 Test0", "sxqueryadmin", `Odd, "Quoted"`}) {
		t.Errorf("lines = %q", got)
	}
	recs, err := csv.NewReader(&csvOut).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(recs[0], CSVHeader) || len(recs) != 4 || recs[3][0] != `Odd, "Quoted"` || recs[3][4] != "odd@example.com" || recs[1][5] != "S=Test0/G=User0" {
		t.Errorf("csv = %q", recs)
	}
	dec := json.NewDecoder(&jsonl)
	for i := 0; dec.More(); i++ {
		var e Entry
		if err := dec.Decode(&e); err != nil {
			t.Fatal(err)
		}
		if e.Login != sample[i].Login || e.Surname != sample[i].Surname {
			t.Errorf("jsonl %d = %+v", i, e)
		}
	}
}

func TestFilter(t *testing.T) {
	f := Filter{Exclude: map[string]bool{"sxqueryadmin": true}, Match: regexp.MustCompile("^User")}
	got := f.Apply(sample)
	if len(got) != 1 || got[0].Login != "User0 Test0" {
		t.Fatalf("kept %+v", got)
	}
}

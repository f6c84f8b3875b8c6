package ctxrows

import (
	"slices"
	"strings"
	"testing"
)

// TestReadCreatedForms: every form in which createcontext reports a
// context created or existing is read, whatever the path that printed it;
// failures and the import's other lines are known but add nothing; a log
// of which no line is createcontext's is an error naming the file.
func TestReadCreatedForms(t *testing.T) {
	const exists = "com.openexchange.admin.rmi.exceptions.ContextExistsException"
	cases := []struct {
		name    string
		log     string
		created []int64
		err     string
	}{
		{"CSV import, created", "Context 3 successfully created\nContext 4 successfully created\ncontext created\n", []int64{3, 4}, ""},
		{"CSV import, exists", "Failed to create context 5: " + exists + ": Context 5 already exists!; exceptionId -12-2\n", []int64{5}, ""},
		{"CSV import, exists before 7.10.4", "Failed to create context 6: " + exists + ": Context 6 already exists!\n", []int64{6}, ""},
		{"CSV import, other failure", "Failed to create context 7: com.openexchange.admin.rmi.exceptions.StorageException: boom; exceptionId 1-2\n", nil, ""},
		{"CSV import, no id", "Failed to create context in line 9: java.text.ParseException: Unparseable date\n", nil, ""},
		{"CSV import ended at a row", "context could not be created: \nServer response:\n Value in field quota is no integer; exceptionId 1-2\n\tat x.y(Z.java)\n\n", nil, ""},
		{"one context per call, created", "context 8 created\n", []int64{8}, ""},
		{"one context per call, exists", "context could not be created: \nServer response:\n Context 10 already exists!; exceptionId 5-6\n\tat a.b(C.java)\n", []int64{10}, ""},
		{"CRLF and blank lines", "\r\nContext 11 successfully created\r\n\r\n", []int64{11}, ""},
		{"empty log", "", nil, ""},
		{"not createcontext's", "user1\nuser2\n", nil, `x.log: no line is createcontext's output or ctxcreate's results (the first is "user1")`},
		{"ctxsplit's paths", "contexts-01.csv\ncontexts-02.csv\n", nil, "no line is createcontext's output"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set := NewIDSet(1, 100)
			log, err := ReadCreated(strings.NewReader(c.log), "x.log", set)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for id := int64(1); id <= 100; id++ {
				if set.Has(id) {
					got = append(got, id)
				}
			}
			if !slices.Equal(got, c.created) || log.Created != len(c.created) {
				t.Errorf("created %v (count %d), want %v", got, log.Created, c.created)
			}
		})
	}
}

package oxsim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const header = "contextid,username,password,displayname,givenname,surname,email,quota"

func row(id, pw string) string {
	return id + ",oxadmin," + pw + ",Admin Context " + id + ",Admin,Context " + id + ",oxadmin@context" + id + ",1000"
}

type outcome struct {
	code           int
	stdout, stderr string
	created        []Context
	notes          string
}

func runImport(t *testing.T, csv string, env map[string]string) outcome {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	os.Mkdir(state, 0o700)
	vars := map[string]string{"OXSIM_STATE": state, "LANG": "C.UTF-8"}
	for k, v := range env {
		vars[k] = v
	}
	var out, errb bytes.Buffer
	code := Main(Env{Args: []string{"-A", "oxadminmaster", "-P", "x", "--csv-import", file},
		Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] }})
	created, err := Created(state)
	if err != nil {
		t.Fatal(err)
	}
	notes, _ := os.ReadFile(filepath.Join(state, "notes.log"))
	return outcome{code, out.String(), errb.String(), created, string(notes)}
}

func TestImportContract(t *testing.T) {
	cases := []struct {
		name       string
		csv        string
		env        map[string]string
		code       int
		created    []int
		stdout     string
		stderr     string // substring
		notes      string // substring
		schemaOf1  string
		passwordOf string // context 1's password, as stored
	}{
		{name: "two contexts", csv: header + "\n" + row("1", "pw") + "\n" + row("2", "pw") + "\n",
			created: []int{1, 2}, stdout: "context 1 created\ncontext 2 created\n", passwordOf: "pw"},
		{name: "blank lines skipped", csv: header + "\n\n" + row("1", "pw") + "\n\n",
			created: []int{1}, stdout: "context 1 created\n"},
		{name: "schema applied", csv: header + ",schema,destination-database-id\n" + row("1", "pw") + ",s7,3\n",
			created: []int{1}, schemaOf1: "s7"},
		{name: "schema-name is not read", csv: header + ",schema-name\n" + row("1", "pw") + ",s7\n",
			created: []int{1}, schemaOf1: "", notes: "unknown-column\tschema-name"},
		{name: "schema with strategy refused", csv: header + ",schema,schema-strategy\n" + row("1", "pw") + ",s7,in-memory\n" + row("2", "pw") + ",,in-memory\n",
			created: []int{2}, stderr: "context 1 could not be created: schema and schema-strategy must not be given together"},
		{name: "unknown strategy refused", csv: header + ",schema-strategy\n" + row("1", "pw") + ",fast\n",
			stderr: `context 1 could not be created: unknown schema-strategy "fast"`},
		{name: "quota not a number", csv: strings.Replace(header+"\n"+row("1", "pw")+"\n", ",1000", ",abc", 1),
			stderr: `context 1 could not be created: invalid quota "abc"`},
		{name: "short row aborts", csv: header + "\n" + row("1", "pw") + "\n1,2,3\n" + row("3", "pw") + "\n",
			code: 1, created: []int{1}, stderr: "in.csv:3: row has 3 fields, the header has 8; import aborted"},
		{name: "missing required column", csv: "contextid,username\n1,x\n", code: 1, stderr: `missing required column "displayname"`},
		{name: "header is case-sensitive", csv: strings.Replace(header, "quota", "Quota", 1) + "\n" + row("1", "pw") + "\n",
			code: 1, stderr: `missing required column "quota"`},
		{name: "backslash drops characters", csv: header + "\n" + row("1", `pa\ss`) + "\n",
			created: []int{1}, passwordOf: "pas"},
		{name: "trailing backslash merges rows", csv: header + "\n" + strings.Join([]string{
			`"1","oxadmin","secret\","Admin Context 1","Admin","Context 1","oxadmin@context1","1000"`,
			`"2","oxadmin","secret","Admin Context 2","Admin","Context 2","oxadmin@context2","1000"`}, "\n") + "\n",
			code: 1, created: []int{}, stderr: "in.csv:2: row has 2 fields"},
		{name: "injected failure", csv: header + "\n" + row("1", "pw") + "\n" + row("2", "pw") + "\n",
			env: map[string]string{"OXSIM_FAIL": "2"}, created: []int{1}, stderr: "context 2 could not be created: injected failure"},
		{name: "duplicate in one file", csv: header + "\n" + row("1", "pw") + "\n" + row("1", "pw") + "\n",
			created: []int{1}, stderr: "context 1 could not be created: Context 1 already exists!"},
		{name: "C locale mangles non-ASCII", csv: header + "\n" + row("1", "pässword") + "\n",
			env: map[string]string{"LANG": "C"}, created: []int{1}, passwordOf: "p\uFFFD\uFFFDssword"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := runImport(t, c.csv, c.env)
			if o.code != c.code {
				t.Errorf("exit %d, want %d; stderr %s", o.code, c.code, o.stderr)
			}
			if c.created != nil {
				var ids []int
				for _, ctx := range o.created {
					ids = append(ids, ctx.ID)
				}
				if len(ids) != len(c.created) || (len(ids) > 0 && !equal(ids, c.created)) {
					t.Errorf("created %v, want %v", ids, c.created)
				}
			}
			if c.stdout != "" && o.stdout != c.stdout {
				t.Errorf("stdout %q, want %q", o.stdout, c.stdout)
			}
			if !strings.Contains(o.stderr, c.stderr) {
				t.Errorf("stderr %q lacks %q", o.stderr, c.stderr)
			}
			if !strings.Contains(o.notes, c.notes) {
				t.Errorf("notes %q lack %q", o.notes, c.notes)
			}
			if len(o.created) > 0 && o.created[0].ID == 1 {
				if o.created[0].Schema != c.schemaOf1 {
					t.Errorf("schema %q applied, want %q", o.created[0].Schema, c.schemaOf1)
				}
				if c.passwordOf != "" && o.created[0].PasswordSHA256 != sha(c.passwordOf) {
					t.Errorf("stored password is not %q", c.passwordOf)
				}
			}
		})
	}
}

func equal(a, b []int) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestWithoutStateOnlyPrints(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "in.csv")
	os.WriteFile(file, []byte(header+"\n"+row("4", "pw")+"\n"), 0o600)
	var out, errb bytes.Buffer
	code := Main(Env{Args: []string{"--csv-import", file}, Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != 0 || out.String() != "context 4 created\n" || errb.Len() != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

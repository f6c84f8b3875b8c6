package oxsim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const header = "contextid,username,password,displayname,givenname,surname,email,quota"

func csvRow(id, pw string) string {
	return id + ",oxadmin," + pw + ",Admin Context " + id + ",Admin,Context " + id + ",oxadmin@context" + id + ",1000"
}

type result struct {
	code           int
	stdout, stderr string
	created        []Context
	notes          string
}

// runImport imports csv on a fresh platform whose master password is
// "master", logging in with args (the master credentials when nil).
func runImport(t *testing.T, csv string, env map[string]string, args ...string) result {
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
	if args == nil {
		args = []string{"-A", "oxadminmaster", "-P", "master"}
	}
	var out, errb bytes.Buffer
	code := Main(Env{Args: append(args, "--csv-import", file),
		Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] }})
	created, err := Created(state)
	if err != nil {
		t.Fatal(err)
	}
	notes, _ := os.ReadFile(filepath.Join(state, "notes.log"))
	return result{code, out.String(), errb.String(), created, string(notes)}
}

// exceptionID is the id every admin exception's message ends in.
var exceptionID = regexp.MustCompile(`; exceptionId -?\d+-\d+`)

// fatal is the printErrors block for an exception ending the import,
// without its stack frames.
func fatal(message string) string {
	return "context could not be created: \nServer response:\n " + message + "; exceptionId ID\n"
}

// withoutFrames drops the "\tat" lines and the empty line after them.
func withoutFrames(s string) string {
	var keep []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, "\tat ") && l != "\n" {
			keep = append(keep, l)
		}
	}
	return exceptionID.ReplaceAllString(strings.Join(keep, ""), "; exceptionId ID")
}

// TestImportContract: what CreateCore.csvparsing and its callers print,
// on which stream, with which exit status, and what ends up created.
func TestImportContract(t *testing.T) {
	const exists = "com.openexchange.admin.rmi.exceptions.ContextExistsException"
	const invalid = "com.openexchange.admin.rmi.exceptions.InvalidDataException"
	const storage = "com.openexchange.admin.rmi.exceptions.StorageException"
	cases := []struct {
		name       string
		csv        string
		env        map[string]string
		args       []string
		code       int
		created    []int
		stdout     string
		stderr     string // exact, exception ids as "ID", stack frames left out
		notes      string // substring
		schemaOf1  string
		passwordOf string // context 1's password, as stored
	}{
		{name: "two contexts", csv: header + "\n" + csvRow("1", "pw") + "\n" + csvRow("2", "pw") + "\n",
			created: []int{1, 2}, stdout: "Context 1 successfully created\nContext 2 successfully created\ncontext created\n", passwordOf: "pw"},
		{name: "wrong master password: nothing read", csv: header + "\n" + csvRow("1", "pw") + "\n",
			args: []string{"-A", "oxadminmaster", "-P", "wrong"}, code: 101, created: []int{},
			stderr: fatal("Authentication failed")},
		{name: "ADMIN_PASSWORD wins over -P", csv: header + "\n" + csvRow("1", "pw") + "\n",
			args: []string{"-A", "oxadminmaster", "-P", "wrong"}, env: map[string]string{"ADMIN_PASSWORD": "master"},
			created: []int{1}, stdout: "Context 1 successfully created\ncontext created\n"},
		{name: "empty lines skipped", csv: header + "\n\n" + csvRow("1", "pw") + "\n\n",
			created: []int{1}, stdout: "Context 1 successfully created\ncontext created\n"},
		{name: "schema applied", csv: header + ",schema,destination-database-id\n" + csvRow("1", "pw") + ",s7,3\n",
			created: []int{1}, schemaOf1: "s7"},
		{name: "schema-name is not read", csv: header + ",schema-name\n" + csvRow("1", "pw") + ",s7\n",
			created: []int{1}, schemaOf1: "", notes: "unknown-column\tschema-name"},
		{name: "schema with strategy ends the import", csv: header + ",schema,schema-strategy\n" + csvRow("1", "pw") + ",,in-memory\n" + csvRow("2", "pw") + ",s7,in-memory\n" + csvRow("3", "pw") + ",,\n",
			code: 103, created: []int{1}, stdout: "Context 1 successfully created\n",
			stderr: fatal(`You can not specify "schema" and "schema-strategy" at the same time.`)},
		{name: "unknown strategy ends the import", csv: header + ",schema-strategy\n" + csvRow("1", "pw") + ",fast\n",
			code: 103, created: []int{}, stderr: fatal(`Invalid value for "schema". Available values: "automatic", "in-memory"`)},
		{name: "quota not a number ends the import", csv: strings.Replace(header+"\n"+csvRow("1", "pw")+"\n", ",1000", ",abc", 1),
			code: 103, stderr: fatal("Value in field quota is no integer")},
		{name: "context id beyond an int ends the import", csv: header + "\n" + csvRow("2147483648", "pw") + "\n",
			code: 103, stderr: fatal("Value in field contextid is no integer")},
		{name: "empty context id ends the import", csv: header + "\n" + csvRow("", "pw") + "\n",
			code: 103, stderr: fatal("Field contextid required but not set.")},
		{name: "empty admin field fails that row only", csv: header + "\n" + csvRow("1", "") + "\n" + csvRow("2", "pw") + "\n",
			created: []int{2}, stdout: "Context 2 successfully created\ncontext created\n",
			stderr: "Failed to create context 1: " + invalid + ": Field password required but not set.; exceptionId ID\n"},
		{name: "short row ends the import", csv: header + "\n" + csvRow("1", "pw") + "\n9,2,3\n" + csvRow("3", "pw") + "\n",
			code: 1, created: []int{1}, stdout: "Context 1 successfully created\n",
			stderr: "context could not be created: \nServer response:\n Index 7 out of bounds for length 3\n"},
		{name: "no header", csv: "", code: 103, stderr: fatal("no columnnames found")},
		{name: "missing required column", csv: "contextid,username\n1,x\n", code: 103,
			stderr: fatal(`The required column "displayname" is missing`)},
		{name: "header is case-sensitive", csv: strings.Replace(header, "quota", "Quota", 1) + "\n" + csvRow("1", "pw") + "\n",
			code: 103, stderr: fatal(`The required column "quota" is missing`)},
		{name: "a later column of a name wins", csv: header + ",quota\n" + csvRow("1", "pw") + ",x\n",
			code: 103, stderr: fatal("Value in field quota is no integer")},
		{name: "backslash drops characters", csv: header + "\n" + csvRow("1", `pa\ss`) + "\n",
			created: []int{1}, passwordOf: "pas"},
		{name: "trailing backslash merges rows", csv: header + "\n" + strings.Join([]string{
			`"1","oxadmin","secret\","Admin Context 1","Admin","Context 1","oxadmin@context1","1000"`,
			`"2","oxadmin","secret","Admin Context 2","Admin","Context 2","oxadmin@context2","1000"`}, "\n") + "\n",
			code: 1, created: []int{}, stderr: "context could not be created: \nServer response:\n Index 7 out of bounds for length 2\n"},
		{name: "refused by the server", csv: header + "\n" + csvRow("1", "pw") + "\n" + csvRow("2", "pw") + "\n",
			env: map[string]string{"OXSIM_FAIL": "1"}, created: []int{2}, stdout: "Context 2 successfully created\ncontext created\n",
			stderr: "Failed to create context 1: " + storage + ": injected failure (OXSIM_FAIL); exceptionId ID\n"},
		{name: "duplicate in one file", csv: header + "\n" + csvRow("1", "pw") + "\n" + csvRow("1", "pw") + "\n",
			created: []int{1}, stdout: "Context 1 successfully created\ncontext created\n",
			stderr: "Failed to create context 1: " + exists + ": Context 1 already exists!; exceptionId ID\n"},
		{name: "C locale mangles non-ASCII", csv: header + "\n" + csvRow("1", "pässword") + "\n",
			env: map[string]string{"LANG": "C"}, created: []int{1}, passwordOf: "p\uFFFD\uFFFDssword"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := runImport(t, c.csv, c.env, c.args...)
			if o.code != c.code {
				t.Errorf("exit %d, want %d; stderr %s", o.code, c.code, o.stderr)
			}
			if c.created != nil {
				ids := []int{}
				for _, ctx := range o.created {
					ids = append(ids, ctx.ID)
				}
				if !slices.Equal(ids, c.created) {
					t.Errorf("created %v, want %v", ids, c.created)
				}
			}
			if c.stdout != "" && o.stdout != c.stdout {
				t.Errorf("stdout %q, want %q", o.stdout, c.stdout)
			}
			if got := withoutFrames(o.stderr); got != c.stderr {
				t.Errorf("stderr\n%q\nwant\n%q", got, c.stderr)
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

// TestExceptionIDs: the server's ids keep their JVM part across imports of
// one platform and count in steps of two, as AbstractAdminRmiException's
// generator does.
func TestExceptionIDs(t *testing.T) {
	g := exceptionIDs{jvm: -42}
	if a, b := g.next(), g.next(); a != "-42-2" || b != "-42-4" {
		t.Errorf("ids %q, %q; want -42-2, -42-4", a, b)
	}
	state := t.TempDir()
	first := serverJVM(state)
	if again := serverJVM(state); again != first {
		t.Errorf("the server's id base changed between two imports of one platform: %d, then %d", first, again)
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

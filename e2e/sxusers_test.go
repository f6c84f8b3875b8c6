package e2e

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"provpipe/internal/testserver/mailsim"
	"provpipe/internal/testserver/testenv"
)

// listingLogins is what testdata/omsearch/listing.txt holds, in order, with
// the duplicate and the broken line left out.
var listingLogins = []string{"sxadmin", "sxqueryadmin", "User0 Test0", "User1 Test1", "User2 Test2", "User3 Test3", "User4 Test4", "Jörg Müller", "Other Test0"}

// withOmsearch runs sxusers with the omsearch stand-in first on PATH.
func withOmsearch(t *testing.T, as string, args ...string) result {
	t.Helper()
	cmd := "OMSEARCH_AS=" + as + " OMSEARCH_FIXTURE=" + testenv.Testdata("omsearch", "listing.txt") +
		" PATH=" + testenv.Testdata("omsearch") + ":$PATH sxusers"
	for _, a := range args {
		cmd += " '" + a + "'"
	}
	return shell(t, "", cmd)
}

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestSxusersOmsearch(t *testing.T) {
	r := withOmsearch(t, "root")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 for the broken line; stderr:\n%s", r.code, r.stderr)
	}
	if got := lines(r.stdout); !reflect.DeepEqual(got, listingLogins) {
		t.Errorf("logins\n got %q\nwant %q", got, listingLogins)
	}
	if !strings.Contains(r.stderr, "omsearch:11: empty name before '/'") {
		t.Errorf("broken line not reported with its number:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, fmt.Sprintf("Searching for users... found %d.\n", len(listingLogins))) {
		t.Errorf("no seed-style count line:\n%s", r.stderr)
	}
}

// TestSxusersResolvesAgainstOmsearch: -U with --omsearch resolves the names
// in what omsearch lists.
func TestSxusersResolvesAgainstOmsearch(t *testing.T) {
	r := withOmsearch(t, "root", "--omsearch", testenv.Testdata("omsearch", "omsearch"), "-U", "Test3,S=Test4/G=User4,Jörg Müller", "-q")
	if got := lines(r.stdout); !reflect.DeepEqual(got, []string{"User3 Test3", "User4 Test4", "Jörg Müller"}) {
		t.Errorf("resolved %q; stderr %s", got, r.stderr)
	}
	if r.code != 1 || !strings.Contains(r.stderr, "omsearch:11:") {
		t.Errorf("exit %d (want 1 for the listing's broken line): %s", r.code, r.stderr)
	}
}

func TestSxusersOmsearchNotRoot(t *testing.T) {
	r := withOmsearch(t, "user")
	if r.code != 2 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q; want 2 and nothing", r.code, r.stdout)
	}
	for _, want := range []string{"Permission denied", "needs root", "-f FILE", "--ldap URL"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// Without any omsearch at all the message names the other sources too.
	r = shell(t, "", "PATH=$(dirname $(command -v sxusers)):/usr/bin:/bin sxusers --omsearch /nonexistent/omsearch")
	if r.code != 2 || !strings.Contains(r.stderr, "/nonexistent/omsearch") || !strings.Contains(r.stderr, "-U NAMES") {
		t.Errorf("missing omsearch: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestSxusersInterruptedOmsearch: SIGINT while omsearch runs is exit 130,
// not an omsearch failure.
func TestSxusersInterruptedOmsearch(t *testing.T) {
	got := interruptOmsearch(t)
	if got.code != 130 {
		t.Errorf("exit %d, want 130: %s", got.code, got.stderr)
	}
	// Said by sxusers itself: it handled the signal, and was not killed.
	if !strings.Contains(got.stderr, "sxusers: interrupted by SIGINT: no user written") {
		t.Errorf("stderr: %s", got.stderr)
	}
}

func TestSxusersFileFormatsAndFilters(t *testing.T) {
	listing := testenv.Testdata("omsearch", "listing.txt")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"file", []string{"-f", listing}, listingLogins},
		{"exclude", []string{"-f", listing, "--exclude", "sxqueryadmin", "--exclude", "sxadmin"}, listingLogins[2:]},
		{"match", []string{"-f", listing, "--match", "^User[0-2] "}, listingLogins[2:5]},
		{"names as given", []string{"-U", "User0 Test0,S=Test3,S=Test4/G=User4"}, []string{"User0 Test0", "Test3", "User4 Test4"}},
		{"resolved in file", []string{"-f", listing, "-U", "User0 Test0,S=Test3,S=Test4/G=User4,Test2,S=Müller"}, []string{"User0 Test0", "User3 Test3", "User4 Test4", "User2 Test2", "Jörg Müller"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, "", "sxusers", append(tt.args, "-q")...)
			if got := lines(r.stdout); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q\nwant %q\nstderr: %s", got, tt.want, r.stderr)
			}
			if r.code == 2 {
				t.Errorf("exit 2: %s", r.stderr)
			}
		})
	}
	// csv: the header sxwarm reads, the tagged parts split out.
	r := run(t, "", "sxusers", "-f", listing, "--format", "csv", "-q")
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "login,cn,surname,given,mail,formal" || len(recs) != len(listingLogins)+1 {
		t.Fatalf("csv header/rows: %q", recs)
	}
	if got := recs[6]; got[0] != "User3 Test3" || got[2] != "Test3" || got[3] != "User3" || got[5] != "S=Test3/G=User3/OU1=test9/OU2=scalix" {
		t.Errorf("tagged-only row = %q", got)
	}
	// jsonl: one object per person.
	r = run(t, "", "sxusers", "-f", "-", "--format", "jsonl", "-q")
	if r.code != 0 || r.stdout != "" {
		t.Errorf("empty stdin: exit %d, %q", r.code, r.stdout)
	}
	r = run(t, readFile(t, listing), "sxusers", "-f", "-", "--format", "jsonl", "-q")
	if n := len(lines(r.stdout)); n != len(listingLogins) || !strings.Contains(r.stdout, `{"login":"Jörg Müller","cn":"Jörg Müller","surname":"Müller","given":"Jörg"`) {
		t.Errorf("jsonl (%d lines):\n%s", n, r.stdout)
	}
}

func TestSxusersUnresolvedNames(t *testing.T) {
	listing := testenv.Testdata("omsearch", "listing.txt")
	r := run(t, "", "sxusers", "-f", listing, "-U", "Test0,Nobody,User1 Test1")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	if got := lines(r.stdout); !reflect.DeepEqual(got, []string{"User1 Test1"}) {
		t.Errorf("stdout %q, want the one resolved name", got)
	}
	for _, want := range []string{`-U "Test0" matches 2 users: User0 Test0`, "Other Test0", `-U "Nobody": no such user`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	r = run(t, "", "sxusers", "-U", "S=a/OU1=b")
	if r.code != 2 || !strings.Contains(r.stderr, "-U item 1") {
		t.Errorf("bad spec: exit %d, %s", r.code, r.stderr)
	}
}

// TestSxusersIntoSxwarm is the seed's job as a pipeline: the listing, the
// query account skipped by sxwarm, every other user warmed once.
func TestSxusersIntoSxwarm(t *testing.T) {
	srv := mailsim.New(mailsim.Options{Admin: "admin", AdminPassword: "adminpw"})
	for _, name := range listingLogins {
		if name == "sxqueryadmin" {
			continue
		}
		if err := srv.AddUser(name, "", map[string]int{"INBOX": 3, "Calendar": 2, "Contacts": 1, "Sent Items": 2}); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pw"), []byte("adminpw\n"), 0o600)
	for _, format := range []string{"lines", "csv"} {
		t.Run(format, func(t *testing.T) {
			r := shell(t, dir, fmt.Sprintf(`sxusers -f %s --format %s 2>users.err | sxwarm --host %s -u admin --password-file pw --format text`,
				testenv.Testdata("omsearch", "listing.txt"), format, srv.Addr()))
			if r.code != 1 { // sxusers exits 1 for the broken line, sxwarm 0
				t.Fatalf("exit %d, want 1 from sxusers; stderr:\n%s", r.code, r.stderr)
			}
			out := lines(r.stdout)
			if len(out) != len(listingLogins) || out[1] != "Skipping: sxqueryadmin" {
				t.Fatalf("sxwarm output:\n%s", r.stdout)
			}
			if !strings.HasPrefix(out[7], "Jörg Müller (8 of 9)... INBOX: ") || !strings.Contains(out[7], " Sent Items: ") {
				t.Errorf("line 8 = %q", out[7])
			}
		})
	}
	for name, n := range srv.Logins() {
		if n != 2 {
			t.Errorf("%s logged in %d times over two runs, want 2", name, n)
		}
	}
	if len(srv.Logins()) != len(listingLogins)-1 {
		t.Errorf("logins %v", srv.Logins())
	}
}

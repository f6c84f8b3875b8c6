//go:build unix

package e2e

import (
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

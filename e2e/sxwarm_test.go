//go:build unix

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"provpipe/internal/testserver/mailsim"
)

var standardFolders = []string{"INBOX", "Calendar", "Contacts", "Sent Items"}

// startSim starts an embedded server with n users "User<i> Test<i>", each
// with the four standard folders holding i+1.. messages; User1 has no Calendar.
func startSim(t *testing.T, n int) (*mailsim.Server, map[string]map[string]int) {
	t.Helper()
	srv := mailsim.New(mailsim.Options{Admin: "admin", AdminPassword: "adminpw"})
	want := map[string]map[string]int{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("User%d Test%d", i, i)
		folders := map[string]int{}
		for k, f := range standardFolders {
			folders[f] = (i+k)%5 + 1
		}
		if i == 1 {
			delete(folders, "Calendar")
		}
		if err := srv.AddUser(name, "pw"+fmt.Sprint(i), folders); err != nil {
			t.Fatal(err)
		}
		want[name] = folders
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, want
}

func userNames(want map[string]map[string]int) string {
	var names []string
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, "\n") + "\n"
}

// checkCounts checks one TSV row per user and standard folder: ok with the
// server's message count, or missing where the server has no such folder.
func checkCounts(t *testing.T, rows []tsvRow, want map[string]map[string]int) {
	t.Helper()
	if len(rows) != len(want)*len(standardFolders) {
		t.Fatalf("%d rows, want %d", len(rows), len(want)*len(standardFolders))
	}
	for _, r := range rows {
		n, exists := want[r.user][r.folder]
		switch {
		case !exists && r.status != "missing":
			t.Errorf("%s/%s: status %s, want missing", r.user, r.folder, r.status)
		case exists && (r.status != "ok" || r.messages != n):
			t.Errorf("%s/%s: %s %d messages, the server has %d", r.user, r.folder, r.status, r.messages, n)
		}
	}
}

type tsvRow struct {
	user, folder, status string
	messages             int
}

func parseTSV(t *testing.T, out string) []tsvRow {
	t.Helper()
	var rows []tsvRow
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			t.Fatalf("TSV line with %d fields: %q", len(f), line)
		}
		var n int
		fmt.Sscan(f[3], &n)
		rows = append(rows, tsvRow{f[0], f[1], f[2], n})
	}
	return rows
}

func TestSxwarmAuthSchemes(t *testing.T) {
	srv, want := startSim(t, 6)
	for _, auth := range []string{"mboxadmin", "master", "authzid"} {
		t.Run(auth, func(t *testing.T) {
			res := run(t, userNames(want), "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "--auth", auth, "-j", "3")
			if res.code != 0 {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			checkCounts(t, parseTSV(t, res.stdout), want)
			if strings.Contains(res.stderr, "adminpw") {
				t.Errorf("password on stderr: %s", res.stderr)
			}
		})
	}
	t.Run("user", func(t *testing.T) {
		csv := "login,password\n\"User2 Test2\",pw2\n\"User3 Test3\",pw3\n"
		res := run(t, csv, "sxwarm", "--host", srv.Addr(), "--auth", "user", "-F", "INBOX")
		if res.code != 0 || len(parseTSV(t, res.stdout)) != 2 {
			t.Fatalf("exit %d: %s\n%s", res.code, res.stdout, res.stderr)
		}
	})
}

func TestSxwarmTextMatchesSeedLines(t *testing.T) {
	srv, _ := startSim(t, 3)
	in := "User0 Test0\nsxqueryadmin\nUser1 Test1\n"
	res := run(t, in, "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "--format", "text", "-j", "1")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	seed := regexp.MustCompile(`^User0 Test0 \(1 of 3\)\.\.\. INBOX: \d+\.\d\d Calendar: \d+\.\d\d Contacts: \d+\.\d\d Sent Items: \d+\.\d\d Total: \d+\.\d\d$`)
	if len(lines) != 3 || !seed.MatchString(lines[0]) || lines[1] != "Skipping: sxqueryadmin" ||
		!strings.HasPrefix(lines[2], "User1 Test1 (3 of 3)... INBOX: ") || !strings.Contains(lines[2], "Calendar: missing") {
		t.Errorf("text output:\n%s", res.stdout)
	}
	if !strings.Contains(res.stderr, "2 users ok (1 with missing folders), 0 partial, 0 failed, 1 skipped") {
		t.Errorf("summary: %s", res.stderr)
	}
}

// TestSxwarmFaults injects each fault once for one user: the retry succeeds,
// every user appears exactly once. A permanent fault fails only that user.
func TestSxwarmFaults(t *testing.T) {
	cases := []struct {
		name     string
		fault    mailsim.Fault
		wantCode int
		wantStat string
	}{
		{"drop mid-fetch once", mailsim.Fault{Kind: mailsim.DropMidFetch, Times: 1}, 0, "ok"},
		{"stall once", mailsim.Fault{Kind: mailsim.Stall, Times: 1, For: 3 * time.Second}, 0, "ok"},
		{"NO UNAVAILABLE once", mailsim.Fault{Kind: mailsim.NoUnavailable, Times: 1}, 0, "ok"},
		{"BYE once", mailsim.Fault{Kind: mailsim.Bye, Times: 1}, 0, "ok"},
		{"drop always", mailsim.Fault{Kind: mailsim.DropMidFetch}, 1, "failed"},
		{"login refused", mailsim.Fault{Kind: mailsim.RefuseLogin}, 1, "failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, want := startSim(t, 5)
			srv.SetFault("User3 Test3", c.fault)
			res := run(t, userNames(want), "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw",
				"--format", "jsonl", "--timeout", "1s", "-j", "2")
			if res.code != c.wantCode {
				t.Fatalf("exit %d, want %d: %s", res.code, c.wantCode, res.stderr)
			}
			seen := map[string]int{}
			for _, line := range lines(res.stdout) {
				var u struct {
					User, Status string
				}
				if err := json.Unmarshal([]byte(line), &u); err != nil {
					t.Fatalf("bad JSON line %q: %v", line, err)
				}
				seen[u.User]++
				wantStatus := "ok"
				if u.User == "User3 Test3" {
					wantStatus = c.wantStat
				}
				if u.Status != wantStatus {
					t.Errorf("%s: status %s, want %s", u.User, u.Status, wantStatus)
				}
			}
			for name := range want {
				if seen[name] != 1 {
					t.Errorf("%s reported %d times", name, seen[name])
				}
			}
			if c.fault.Kind == mailsim.RefuseLogin && srv.Logins()["User3 Test3"] != 0 {
				t.Errorf("refused login retried")
			}
			if c.wantCode == 1 && !strings.Contains(res.stderr, `user "User3 Test3"`) {
				t.Errorf("failure reason does not name the user: %s", res.stderr)
			}
		})
	}
}

func TestSxwarmUnreachableAndBadPassword(t *testing.T) {
	srv, want := startSim(t, 2)
	res := run(t, userNames(want), "sxwarm", "--host", "127.0.0.1:1", "-u", "admin", "-w", "x")
	if res.code != 2 || !strings.Contains(res.stderr, "cannot reach IMAP server 127.0.0.1:1") {
		t.Errorf("unreachable: exit %d %s", res.code, res.stderr)
	}
	res = run(t, userNames(want), "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "wrong-secret")
	if res.code != 2 || !strings.Contains(res.stderr, "login refused") || strings.Contains(res.stderr, "wrong-secret") {
		t.Errorf("bad password: exit %d %s", res.code, res.stderr)
	}
}

func TestSxwarmDebugRedactsSecrets(t *testing.T) {
	srv, _ := startSim(t, 1)
	for _, auth := range []string{"mboxadmin", "authzid"} {
		res := run(t, "User0 Test0\n", "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "--auth", auth, "--debug", "-F", "INBOX")
		if res.code != 0 {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		if !strings.Contains(res.stderr, "<redacted>") || !strings.Contains(res.stderr, "FETCH") {
			t.Errorf("%s: trace lacks the exchange: %s", auth, res.stderr)
		}
		plain := base64.StdEncoding.EncodeToString([]byte("User0 Test0\x00admin\x00adminpw"))
		for _, secret := range []string{"adminpw", plain, plain[8:24]} {
			if strings.Contains(res.stderr, secret) {
				t.Errorf("%s: trace leaks %q", auth, secret)
			}
		}
	}
}

func TestSxwarmDoneResumes(t *testing.T) {
	srv, want := startSim(t, 6)
	dir := t.TempDir()
	first := run(t, "User0 Test0\nUser1 Test1\nUser2 Test2\n", "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw")
	os.WriteFile(filepath.Join(dir, "done.tsv"), []byte(first.stdout), 0o644)
	second := run(t, userNames(want), "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "--done", filepath.Join(dir, "done.tsv"), "--format", "jsonl")
	if second.code != 0 {
		t.Fatalf("exit %d: %s", second.code, second.stderr)
	}
	// Positions stay those of the whole input: "4 of 6", not "1 of 3".
	for i, line := range lines(second.stdout) {
		var u struct{ Index, Of int }
		if err := json.Unmarshal([]byte(line), &u); err != nil {
			t.Fatal(err)
		}
		if u.Index != i+4 || u.Of != 6 {
			t.Errorf("resumed user %d is %d of %d, want %d of 6", i, u.Index, u.Of, i+4)
		}
	}
	after := srv.Logins()
	for name := range want {
		if after[name] != 1 {
			t.Errorf("%s logged in %d times in all", name, after[name])
		}
	}
}

//go:build unix

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"provpipe/internal/testserver/dovecotlab"
	"provpipe/internal/testserver/testenv"
	"provpipe/pkg/scalix/imapwarm"
)

// startDovecot starts a throwaway Dovecot for one test (see dovecotlab).
func startDovecot(t *testing.T, users map[string]map[string]int) *dovecotlab.Lab {
	t.Helper()
	testenv.RequireProgram(t, "dovecot", "dovecot-imapd")
	dir := t.TempDir()
	if err := dovecotlab.Populate(dir, users, 0); err != nil {
		t.Fatal(err)
	}
	lab, err := dovecotlab.Start(dir, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lab.Stop)
	return lab
}

func maildirState(t *testing.T, dir string) []string {
	t.Helper()
	names, err := dovecotlab.MaildirState(dir)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestSxwarmAgainstDovecot(t *testing.T) {
	users := map[string]map[string]int{}
	for i := 0; i < 8; i++ {
		folders := map[string]int{"INBOX": 200 + i*13, "Calendar": 120 + i, "Contacts": 150, "Sent Items": 100 + 2*i}
		if i == 5 {
			delete(folders, "Calendar")
		}
		users[fmt.Sprintf("user%d", i)] = folders
	}
	d := startDovecot(t, users)
	before := maildirState(t, d.Dir)
	var names []string
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	input := strings.Join(names, "\n") + "\n"

	for _, auth := range []string{"master", "authzid"} {
		t.Run(auth, func(t *testing.T) {
			res := run(t, input, "sxwarm", "--host", d.Addr, "-u", dovecotlab.MasterUser, "--password-file", writeSecret(t, dovecotlab.MasterPassword),
				"--auth", auth, "-j", "4")
			if res.code != 0 {
				t.Fatalf("exit %d: %s\n%s", res.code, res.stderr, d.Log())
			}
			checkCounts(t, parseTSV(t, res.stdout), users)
		})
	}
	// Every profile reads every message, counted as it streams, and changes
	// nothing: no flag in a maildir file name, no file.
	for _, p := range imapwarm.Profiles {
		t.Run("profile "+p.Name, func(t *testing.T) {
			res := run(t, input, "sxwarm", "--host", d.Addr, "-u", dovecotlab.MasterUser, "--password-file", writeSecret(t, dovecotlab.MasterPassword),
				"--auth", "master", "-j", "4", "--profile", p.Name)
			if res.code != 0 {
				t.Fatalf("exit %d: %s\n%s", res.code, res.stderr, d.Log())
			}
			checkCounts(t, parseTSV(t, res.stdout), users)
		})
	}
	if after := maildirState(t, d.Dir); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("warming changed the mailboxes (flags or files)")
	}

	t.Run("wrong admin password", func(t *testing.T) {
		res := run(t, "user0\nuser1\n", "sxwarm", "--host", d.Addr, "-u", "warmadmin", "-w", "not-the-pw", "--auth", "master")
		// The first user's login is the check: refused, nothing else is tried.
		if res.code != 2 || !strings.Contains(res.stderr, `login check: user "user0": login refused`) || strings.Contains(res.stderr, "not-the-pw") {
			t.Errorf("exit %d: %s", res.code, res.stderr)
		}
	})
}

func writeSecret(t *testing.T, pw string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(p, []byte(pw+"\n"), 0o600)
	return p
}

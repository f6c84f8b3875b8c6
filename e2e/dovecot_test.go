//go:build unix

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

// TestDefaultProfileFillsDovecotsCache: after sxwarm's default run every
// header field the default names is in Dovecot's cache for the messages,
// among them every field ENVELOPE is built from (Dovecot never caches the
// envelope itself), and every other folder has an index (STATUS asked).
// doveadm dump reads the cache as Dovecot keeps it.
func TestDefaultProfileFillsDovecotsCache(t *testing.T) {
	testenv.RequireProgram(t, "doveadm", "dovecot-core")
	d := startDovecot(t, map[string]map[string]int{"user0": {"INBOX": 40, "Lists": 7, "Old Mail": 3}})
	res := run(t, "user0\n", "sxwarm", "--host", d.Addr, "-u", dovecotlab.MasterUser, "--password-file", writeSecret(t, dovecotlab.MasterPassword),
		"--auth", "master", "-F", "INBOX")
	if res.code != 0 {
		t.Fatalf("exit %d: %s\n%s", res.code, res.stderr, d.Log())
	}
	if !strings.Contains(res.stderr, "STATUS asked of 2 other folders") {
		t.Errorf("summary does not say the two other folders were asked their STATUS:\n%s", res.stderr)
	}
	maildir := filepath.Join(d.Dir, "mail", "user0", "Maildir")
	cached := cachedHeaderFields(t, filepath.Join(maildir, "dovecot.index"))
	want := strings.Fields("DATE SUBJECT FROM SENDER REPLY-TO TO CC BCC IN-REPLY-TO MESSAGE-ID") // the envelope's
	for _, m := range regexp.MustCompile(`HEADER\.FIELDS \(([^)]*)\)`).FindAllStringSubmatch(imapwarm.Profiles[0].Items, -1) {
		want = append(want, strings.Fields(strings.ToUpper(m[1]))...)
	}
	for _, f := range want {
		if !cached[f] {
			t.Errorf("hdr.%s is not cached after the default warm-up", f)
		}
	}
	for _, folder := range []string{".Lists", ".Old Mail"} {
		if _, err := os.Stat(filepath.Join(maildir, folder, "dovecot.index.log")); err != nil {
			t.Errorf("folder %s has no index after the warm-up: %v", folder, err)
		}
	}
}

// cachedHeaderFields reads doveadm dump of a mailbox index: the hdr.NAME
// fields whose cache decision is temp or yes.
func cachedHeaderFields(t *testing.T, index string) map[string]bool {
	t.Helper()
	doveadm, err := testenv.FindProgram("doveadm")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(doveadm, "dump", "-t", "index", index).CombinedOutput()
	if err != nil {
		t.Fatalf("doveadm dump %s: %v\n%s", index, err, out)
	}
	fields := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*\d+: hdr\.(\S+)\s+hdr\s+\S+\s+(tmp|yes)\b`).FindAllStringSubmatch(string(out), -1) {
		fields[strings.ToUpper(m[1])] = true
	}
	if len(fields) == 0 {
		t.Fatalf("no cached header field in doveadm dump of %s:\n%s", index, out)
	}
	return fields
}

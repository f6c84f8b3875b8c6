//go:build unix

package e2e

import (
	"slices"
	"strings"
	"testing"

	"provpipe/pkg/scalix/imapwarm"

	"github.com/emersion/go-imap/v2"
)

// TestProfilesChangeWhatIsFetched: each --profile (and --fetch) sends its
// own FETCH items, as the embedded server records them; every message is
// still counted, and nothing that could change a mailbox is sent.
func TestProfilesChangeWhatIsFetched(t *testing.T) {
	thunderbird := strings.Fields("From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To")
	roundcube := strings.Fields("DATE FROM TO SUBJECT CONTENT-TYPE CC REPLY-TO LIST-POST DISPOSITION-NOTIFICATION-TO X-PRIORITY")
	cases := []struct {
		name     string
		args     []string
		envelope bool
		section  imap.PartSpecifier
		fields   []string
	}{
		{"default", nil, true, imap.PartSpecifierHeader, append(slices.Clone(thunderbird), "List-Post", "Disposition-Notification-To")},
		{"thunderbird", []string{"--profile", "thunderbird"}, false, imap.PartSpecifierHeader, thunderbird},
		{"roundcube", []string{"--profile", "roundcube"}, false, imap.PartSpecifierHeader, roundcube},
		{"outlook", []string{"--profile", "outlook"}, false, imap.PartSpecifierNone, nil},
		{"header", []string{"--profile", "header"}, true, imap.PartSpecifierHeader, nil},
		{"--fetch", []string{"--fetch", "UID BODY.PEEK[HEADER.FIELDS (SUBJECT)]"}, false, imap.PartSpecifierHeader, []string{"SUBJECT"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, want := startSim(t, 3)
			args := append([]string{"--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "-q"}, c.args...)
			r := run(t, userNames(want), "sxwarm", args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			checkCounts(t, parseTSV(t, r.stdout), want)
			fetches := srv.Fetches("User0 Test0")
			if len(fetches) != len(want["User0 Test0"]) { // one per folder
				t.Fatalf("%d FETCHes recorded, want one per folder (%d)", len(fetches), len(want["User0 Test0"]))
			}
			for _, f := range fetches {
				checkFetch(t, f, c.envelope, c.section, c.fields)
			}
			if w := srv.Writes(); len(w) > 0 {
				t.Errorf("commands that can change a mailbox: %v", w)
			}
		})
	}
}

func checkFetch(t *testing.T, f imap.FetchOptions, envelope bool, section imap.PartSpecifier, fields []string) {
	t.Helper()
	if !f.UID || !f.RFC822Size {
		t.Errorf("FETCH lacks UID or RFC822.SIZE: %+v", f)
	}
	if f.Envelope != envelope {
		t.Errorf("ENVELOPE %v, want %v", f.Envelope, envelope)
	}
	if len(f.BodySection) != 1 {
		t.Fatalf("%d body sections, want 1", len(f.BodySection))
	}
	bs := f.BodySection[0]
	if !bs.Peek || bs.Specifier != section || !slices.Equal(bs.HeaderFields, fields) {
		t.Errorf("body section peek=%v %q fields %q; want peek, %q, %q", bs.Peek, bs.Specifier, bs.HeaderFields, section, fields)
	}
}

// TestFetchRefusesWhatWouldChangeMail: items that set \Seen, and lists that
// are not item lists, are refused before anything is sent.
func TestFetchRefusesWhatWouldChangeMail(t *testing.T) {
	srv, _ := startSim(t, 1)
	for _, items := range []string{"BODY[]", "UID RFC822", "RFC822.TEXT", "BINARY[1]", "UID BODY.PEEK", "UID (FLAGS", "ALL"} {
		r := run(t, "User0 Test0\n", "sxwarm", "--host", srv.Addr(), "-u", "admin", "-w", "adminpw", "--fetch", items)
		if r.code != 2 || !strings.Contains(r.stderr, "--fetch") {
			t.Errorf("--fetch %q: exit %d, %s", items, r.code, r.stderr)
		}
	}
	if n := srv.Logins()["User0 Test0"]; n != 0 {
		t.Errorf("a refused --fetch still logged in %d times", n)
	}
	if _, err := imapwarm.CheckFetchItems("UID FLAGS"); err != nil {
		t.Errorf("a read-only list refused: %v", err)
	}
}

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
	mutt := strings.Fields("DATE FROM SENDER SUBJECT TO CC MESSAGE-ID REFERENCES CONTENT-TYPE CONTENT-DESCRIPTION IN-REPLY-TO REPLY-TO LINES LIST-POST X-LABEL")
	// The default names at least what these clients and ENVELOPE need (in
	// any order and case): superset marks such a case.
	atLeast := slices.Concat(thunderbird, roundcube, mutt, strings.Fields("LIST-SUBSCRIBE LIST-UNSUBSCRIBE X-ORIGINAL-TO Path Followup-To"))
	cases := []struct {
		name     string
		args     []string
		envelope bool
		section  imap.PartSpecifier
		fields   []string
		superset bool
	}{
		{"default", nil, true, imap.PartSpecifierHeader, atLeast, true},
		{"thunderbird", []string{"--profile", "thunderbird"}, false, imap.PartSpecifierHeader, thunderbird, false},
		{"roundcube", []string{"--profile", "roundcube"}, false, imap.PartSpecifierHeader, roundcube, false},
		{"mutt", []string{"--profile", "mutt"}, false, imap.PartSpecifierHeader, mutt, false},
		{"outlook", []string{"--profile", "outlook"}, false, imap.PartSpecifierNone, nil, false},
		{"header", []string{"--profile", "header"}, true, imap.PartSpecifierHeader, nil, false},
		{"--fetch", []string{"--fetch", "UID BODY.PEEK[HEADER.FIELDS (SUBJECT)]"}, false, imap.PartSpecifierHeader, []string{"SUBJECT"}, false},
		// SOGo's list: its X-PRIORITY with the fields ENVELOPE is built
		// from, then BODYSTRUCTURE in a FETCH of its own.
		{"sogo", []string{"--profile", "sogo"}, true, imap.PartSpecifierHeader, strings.Fields("X-PRIORITY Date Subject From Sender Reply-To To Cc Bcc In-Reply-To Message-ID"), false},
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
			passes := 1
			if c.name == "sogo" {
				passes = 2
			}
			if len(fetches) != passes*len(want["User0 Test0"]) {
				t.Fatalf("%d FETCHes recorded, want %d per folder (%d folders)", len(fetches), passes, len(want["User0 Test0"]))
			}
			for i, f := range fetches {
				if passes == 2 && i%2 == 1 {
					if f.BodyStructure == nil || f.Envelope || len(f.BodySection) != 0 {
						t.Errorf("second FETCH of a folder is %+v, want BODYSTRUCTURE alone", f)
					}
					continue
				}
				if f.BodyStructure != nil {
					t.Errorf("BODYSTRUCTURE beside other items: %+v", f)
				}
				checkFetch(t, f, c.envelope, c.section, c.fields, c.superset)
			}
			if w := srv.Writes(); len(w) > 0 {
				t.Errorf("commands that can change a mailbox: %v", w)
			}
		})
	}
}

func checkFetch(t *testing.T, f imap.FetchOptions, envelope bool, section imap.PartSpecifier, fields []string, superset bool) {
	t.Helper()
	if !f.UID || !f.RFC822Size {
		t.Errorf("FETCH lacks UID or RFC822.SIZE: %+v", f)
	}
	if f.Envelope != envelope {
		t.Errorf("ENVELOPE %v, want %v", f.Envelope, envelope)
	}
	sections := f.BodySection
	if envelope && section == imap.PartSpecifierHeader && len(fields) == 0 && len(sections) == 2 {
		// the whole header, and the fields ENVELOPE is built from
		if got := sections[1].HeaderFields; len(got) != 10 || !strings.EqualFold(got[3], "Sender") {
			t.Errorf("second body section names %q, want the ten envelope fields", got)
		}
		sections = sections[:1]
	}
	if len(sections) != 1 {
		t.Fatalf("%d body sections, want 1", len(f.BodySection))
	}
	bs := sections[0]
	if superset {
		for _, want := range fields {
			if !slices.ContainsFunc(bs.HeaderFields, func(got string) bool { return strings.EqualFold(got, want) }) {
				t.Errorf("header fields %q lack %s", bs.HeaderFields, want)
			}
		}
		fields = bs.HeaderFields
	}
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

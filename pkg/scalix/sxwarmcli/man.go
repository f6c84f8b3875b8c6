package sxwarmcli

import (
	"fmt"
	"strings"

	"provpipe/pkg/scalix/imapwarm"
	"provpipe/pkg/shared/cli"
)

// ManSections adds to the man page what --help has no room for.
func (c *Command) ManSections() []cli.ManSection {
	return []cli.ManSection{
		{Title: "Output", Body: `text (the default on a terminal) is the documented tool's line per user:

  User0 Test0 (3 of 1022)... INBOX: 2.97 Calendar: 0.74 Contacts: 0.82 Sent Items: 0.87 Total: 5.40

tsv (the default otherwise) has one line per user and folder: user, folder, status (ok, missing, error), messages, bytes, seconds. jsonl has one object per user; csv is the tsv columns with a header. Each user's lines are written at once, so parallel --line-buffer never mixes them. A summary goes to stderr, progress too when stderr is a terminal.`},
		{Title: "Profiles", Body: profilesText()},
		{Title: "Environment", Body: `SXWARM_PASSWORD: the admin password, when neither -w nor --password-file is given.`},
		{Title: "Examples", Body: `  sxusers | sxwarm -u sxadmin --password-file /root/sxadmin.pw
  sxusers -f users.list | parallel --pipe -N 50 -j 4 --line-buffer sxwarm -u sxadmin --password-file pw >> done.tsv
  sxwarm -u sxadmin --password-file pw --done done.tsv users.list >> done.tsv
  sxwarm --host imap.example.com --starttls --auth master -u warmadmin -U 'user1,user2'`},
	}
}

// profilesText lists each --profile with its items and their source.
func profilesText() string {
	var b strings.Builder
	b.WriteString("Each folder gets one FETCH 1:* with the items of the profile (or of --fetch, to which RFC822.SIZE is added if missing). Servers such as Dovecot cache per item and header field as clients ask for them, so warming pays off most with the items the users' client asks for.\n")
	for _, p := range imapwarm.Profiles {
		fmt.Fprintf(&b, "\n%s: %s\n  (%s)\n", p.Name, p.Items, p.Source)
	}
	return b.String()
}

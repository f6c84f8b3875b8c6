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
		{Title: "Platform API", Body: `Reads, for each user: GET {api}/userinfo (the mailbox path), GET {api}{mailbox}?treeview=true (the folder tree), then every page of each folder's message summaries, as HTTP Basic (or Digest with --realm) as the --api-login template, by default mboxadmin:{admin}:{user}.

Not verified: there was no Scalix server to test against. The endpoints come from SWA's configuration and public client code; how an admin acts as another user over HTTP is not documented (hence the --api-login template), nor whether a page's end is inclusive. The tests hold sxwarm against a stand-in serving those shapes. Try one user with --debug before a run.`},
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

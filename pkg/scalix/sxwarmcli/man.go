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
		{Title: "Capture", Body: `--capture HOST:PORT relays IMAP from that address to --host (TLS to the server as --ssl, --starttls, or STARTTLS when offered; plain to the client, so it listens on loopback only unless --send-password-in-clear) and records what the client asks: command names, and the item lists of FETCH, STATUS and LIST ... RETURN. It never records a tag, an argument, a login, a password, a folder name or message data; literals (a LOGIN password, an APPEND) pass through unread. STARTTLS and COMPRESS are taken out of the capabilities it passes on, and a client's STARTTLS is answered NO, so the commands stay readable.

When --sessions N client sessions have ended (or at Ctrl-C: exit 130) it prints, on stdout, comment lines with every list seen and how often, the FETCHes of one message (a user opening it; not warmed), what was left out of the suggestion and why, then one line: --fetch 'ITEMS', the lists merged (every HEADER.FIELDS list in one, BODY[...] as BODY.PEEK[...], message parts and partial fetches left out).

  sxwarm --capture 127.0.0.1:1430 --host imap.example.com --ssl --sessions 1 > client.fetch`},
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
	b.WriteString("Each folder gets one FETCH 1:* with the items of the profile (or of --fetch, to which RFC822.SIZE is added if missing); then, with --status (the default), one LIST \"\" \"*\" RETURN (STATUS (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)), or a STATUS per folder without LIST-STATUS, for the user's other folders. Servers such as Dovecot cache per item and header field as clients ask for them, so warming pays off most with the items the users' client asks for; the default names every header field of the client profiles and the fields ENVELOPE is built from.\n")
	for _, p := range imapwarm.Profiles {
		fmt.Fprintf(&b, "\n%s: %s\n  (%s)\n", p.Name, p.Items, p.Source)
	}
	return b.String()
}

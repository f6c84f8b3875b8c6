package imapwarm

import (
	"fmt"
	"sort"
	"strings"
)

// Profile is the FETCH a kind of client sends on its first look at a
// folder. Servers cache per item and, for Dovecot, per header field, as
// clients ask for them: warming with the items the users' client will ask
// for fills the entries that client reads.
type Profile struct {
	Name   string
	Items  string // the FETCH items, without the parentheses
	Source string // where the list comes from
}

// The header fields each client asks for when it lists a folder, read in its
// source (the file is named in its profile's Source).
var clientFields = map[string]string{
	"thunderbird": "From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To",
	"roundcube":   "DATE FROM TO SUBJECT CONTENT-TYPE CC REPLY-TO LIST-POST DISPOSITION-NOTIFICATION-TO X-PRIORITY",
	"mutt":        "DATE FROM SENDER SUBJECT TO CC MESSAGE-ID REFERENCES CONTENT-TYPE CONTENT-DESCRIPTION IN-REPLY-TO REPLY-TO LINES LIST-POST X-LABEL",
	"neomutt":     "DATE FROM SENDER SUBJECT TO CC MESSAGE-ID REFERENCES CONTENT-TYPE CONTENT-DESCRIPTION IN-REPLY-TO REPLY-TO LINES LIST-POST LIST-SUBSCRIBE LIST-UNSUBSCRIBE X-LABEL X-ORIGINAL-TO",
	"alpine":      "Path Message-ID Newsgroups Followup-To References",
	"k9":          "date subject from content-type to cc bcc reply-to message-id references in-reply-to list-post list-unsubscribe sender X-K9mail-Identity Chat-Version",
	"sogo":        "X-PRIORITY",
	"nextcloud":   "IMPORTANCE LIST-POST X-PRIORITY CONTENT-TYPE",
	"snappymail": "MESSAGE-ID CONTENT-TYPE FROM TO CC BCC SENDER REPLY-TO DELIVERED-TO IN-REPLY-TO REFERENCES DATE SUBJECT " +
		"X-MSMAIL-PRIORITY IMPORTANCE X-PRIORITY X-DRAFT-INFO DISPOSITION-NOTIFICATION-TO X-CONFIRM-READING-TO " +
		"AUTHENTICATION-RESULTS X-DKIM-AUTHENTICATION-RESULTS LIST-UNSUBSCRIBE AUTOCRYPT X-SPAM-STATUS X-SPAM-FLAG " +
		"X-SPAM-INFO X-SPAMD-RESULT X-BOGOSITY X-VIRUS X-VIRUS-SCANNED X-VIRUS-STATUS",
}

// envelopeFields are the header fields an ENVELOPE is made of (RFC 3501,
// 7.4.2). Dovecot never caches the envelope itself (mail_never_cache_fields
// = imap.envelope by default): it builds it from these fields, read from its
// cache when every one is there, else from the message file. A field gets
// into the cache only once a FETCH names it, so warming names them all.
const envelopeFields = "Date Subject From Sender Reply-To To Cc Bcc In-Reply-To Message-ID"

// headerFields is BODY.PEEK[HEADER.FIELDS (fields)].
func headerFields(fields string) string { return "BODY.PEEK[HEADER.FIELDS (" + fields + ")]" }

// Profiles are the named item lists of --profile; the first is the default.
var Profiles = []Profile{
	{
		Name:  "default",
		Items: "UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE " + headerFields(defaultFields()),
		Source: "the header fields of every client profile below and the fields ENVELOPE is built from, " +
			"with ENVELOPE for clients that list from it",
	},
	{
		Name:   "thunderbird",
		Items:  "UID RFC822.SIZE FLAGS " + headerFields(clientFields["thunderbird"]),
		Source: "Thunderbird: the fields of IMAP_ENV_AND_DB_HEADERS in comm-central mailnews/imap/src/nsImapProtocol.cpp",
	},
	{
		Name:   "roundcube",
		Items:  "UID RFC822.SIZE FLAGS INTERNALDATE " + headerFields(clientFields["roundcube"]),
		Source: "Roundcube: rcube_imap_generic::fetchHeaders in program/lib/Roundcube/rcube_imap_generic.php, with the CC, REPLY-TO and X-PRIORITY rcube_imap adds",
	},
	{
		Name:   "mutt",
		Items:  "UID FLAGS INTERNALDATE RFC822.SIZE " + headerFields(clientFields["mutt"]),
		Source: "Mutt: want_headers and the FETCH of read_headers_fetch_new in imap/message.c",
	},
	{
		Name:   "neomutt",
		Items:  "UID FLAGS INTERNALDATE RFC822.SIZE " + headerFields(clientFields["neomutt"]),
		Source: "NeoMutt: want_headers and the FETCH of read_headers_fetch_new in imap/message.c",
	},
	{
		Name:   "alpine",
		Items:  "UID ENVELOPE " + headerFields(clientFields["alpine"]) + " FLAGS INTERNALDATE RFC822.SIZE",
		Source: "Alpine, through UW c-client: ENVELOPE with extraheaders in imap/src/c-client/imap4r1.c",
	},
	{
		Name:   "aerc",
		Items:  "BODYSTRUCTURE ENVELOPE INTERNALDATE FLAGS UID RFC822.SIZE BODY.PEEK[HEADER]",
		Source: "aerc: handleFetchMessageHeaders in worker/imap/fetch.go (the whole header unless headers or headers-exclude is set)",
	},
	{
		Name:   "evolution",
		Items:  "UID RFC822.SIZE RFC822.HEADER FLAGS",
		Source: "Evolution: the summary FETCH of camel-imapx-server.c in evolution-data-server src/camel/providers/imapx (BODYSTRUCTURE too when the account enables it)",
	},
	{
		Name:   "k9",
		Items:  "UID FLAGS INTERNALDATE RFC822.SIZE " + headerFields(clientFields["k9"]),
		Source: "K-9 Mail / Thunderbird for Android: the FetchProfile.Item.ENVELOPE fetch in RealImapFolder.kt (mail/protocols/imap)",
	},
	{
		Name:   "fairemail",
		Items:  "UID FLAGS ENVELOPE INTERNALDATE RFC822.SIZE BODYSTRUCTURE BODY.PEEK[HEADER]",
		Source: "FairEmail: the FetchProfile of synchronizeMessages in Core.java (ENVELOPE, CONTENT_INFO, HEADERS, SIZE, INTERNALDATE), as Jakarta Mail's IMAPFolder sends it",
	},
	{
		Name:   "sogo",
		Items:  "UID FLAGS ENVELOPE RFC822.SIZE BODYSTRUCTURE " + headerFields(clientFields["sogo"]),
		Source: "SOGo: fetchKeys in UI/MailerUI/UIxMailListActions.m",
	},
	{
		Name:   "nextcloud",
		Items:  "UID FLAGS ENVELOPE INTERNALDATE RFC822.SIZE BODYSTRUCTURE " + headerFields(clientFields["nextcloud"]),
		Source: "Nextcloud Mail, through Horde_Imap_Client: MessageMapper::findByIds in lib/IMAP/MessageMapper.php",
	},
	{
		Name:   "snappymail",
		Items:  "UID RFC822.SIZE INTERNALDATE FLAGS " + headerFields(clientFields["snappymail"]),
		Source: "SnappyMail: getEnvelopeOrHeadersRequestString in MailSo/Mail/MailClient.php",
	},
	{
		Name:   "outlook",
		Items:  "UID RFC822.SIZE FLAGS BODY.PEEK[]",
		Source: "Outlook downloads whole messages (UID RFC822.SIZE RFC822.PEEK, as reported in go-imap issue 657); BODY.PEEK[] is the standard form. Reads every message in full",
	},
	{
		Name:   "header",
		Items:  "UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY.PEEK[HEADER]",
		Source: "the whole header and ENVELOPE",
	},
}

// defaultFields is every client's header fields and the envelope's, each
// once (header field names are case-insensitive), in the order first met.
func defaultFields() string {
	names := make([]string, 0, len(clientFields))
	for name := range clientFields {
		names = append(names, name)
	}
	sort.Strings(names)
	lists := []string{envelopeFields, clientFields["thunderbird"]}
	for _, name := range names {
		lists = append(lists, clientFields[name])
	}
	seen := map[string]bool{}
	var out []string
	for _, list := range lists {
		for _, f := range strings.Fields(list) {
			key := strings.ToUpper(f)
			if !seen[key] {
				seen[key] = true
				out = append(out, f)
			}
		}
	}
	return strings.Join(out, " ")
}

// ProfileNames lists the profiles' names, comma-separated.
func ProfileNames() string {
	names := make([]string, len(Profiles))
	for i, p := range Profiles {
		names[i] = p.Name
	}
	return strings.Join(names, ",")
}

// FindProfile returns the named profile.
func FindProfile(name string) (Profile, error) {
	var names []string
	for _, p := range Profiles {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return Profile{}, fmt.Errorf("unknown profile %q (one of %s)", name, strings.Join(names, ", "))
}

// readOnlyItems are the FETCH items that never change a message; BODY is
// the bodystructure without extensions, only when it has no section.
var readOnlyItems = map[string]bool{
	"UID": true, "FLAGS": true, "INTERNALDATE": true, "RFC822.SIZE": true, "RFC822.HEADER": true,
	"ENVELOPE": true, "BODYSTRUCTURE": true, "BODY": true, "BODY.PEEK": true,
	"BINARY.PEEK": true, "BINARY.SIZE": true, "MODSEQ": true, "EMAILID": true, "THREADID": true,
	"SAVEDATE": true, "PREVIEW": true,
}

// sectioned are the items that take a [section].
var sectioned = map[string]bool{"BODY.PEEK": true, "BINARY.PEEK": true, "BINARY.SIZE": true}

// CheckFetchItems refuses a list of FETCH items that could change a mailbox
// (BODY[...], RFC822, RFC822.TEXT and BINARY[...] set \Seen) or that is not
// a list of items, and adds RFC822.SIZE when missing: the bytes column of
// the results is the sum of it.
func CheckFetchItems(items string) (string, error) {
	list, err := SplitItems(items)
	if err != nil {
		return "", fmt.Errorf("%q: %w", items, err)
	}
	if len(list) == 0 {
		return "", fmt.Errorf("the list of items is empty")
	}
	hasSize := false
	for _, item := range list {
		name, section, _ := strings.Cut(strings.ToUpper(item), "[")
		switch {
		case name == "BODY" && section != "", name == "BINARY", name == "RFC822", name == "RFC822.TEXT":
			return "", fmt.Errorf("item %s would mark messages \\Seen: use BODY.PEEK[...] or BINARY.PEEK[...]", item)
		case name == "BODY.PEEK" && section == "", name == "BINARY.PEEK" && section == "":
			return "", fmt.Errorf("item %s needs a section, as in %s[HEADER]", item, item)
		case section != "" && !sectioned[name], section == "" && strings.ContainsAny(item, "()<>"):
			return "", fmt.Errorf("item %s is not one sxwarm sends: only BODY.PEEK, BINARY.PEEK and BINARY.SIZE take a [section]", item)
		case !readOnlyItems[name]:
			return "", fmt.Errorf("item %s is not one sxwarm sends (read-only items: UID FLAGS INTERNALDATE RFC822.SIZE RFC822.HEADER ENVELOPE BODYSTRUCTURE BODY.PEEK[...] BINARY.PEEK[...] ...)", item)
		}
		hasSize = hasSize || name == "RFC822.SIZE"
	}
	if !hasSize {
		list = append(list, "RFC822.SIZE")
	}
	return strings.Join(list, " "), nil
}

// SplitItems splits a FETCH item list at top-level spaces, keeping each
// item's [section] and (field list) whole.
func SplitItems(items string) ([]string, error) {
	items = strings.TrimSpace(items)
	if strings.HasPrefix(items, "(") && strings.HasSuffix(items, ")") {
		items = items[1 : len(items)-1]
	}
	var list []string
	var open []byte // the brackets not closed yet
	start := 0
	for i := 0; i < len(items); i++ {
		switch c := items[i]; {
		case c < 0x20 || c >= 0x7f:
			return nil, fmt.Errorf("byte %#x at %d: items are printable ASCII", c, i+1)
		case c == '[' || c == '(':
			open = append(open, c)
		case c == ']' || c == ')':
			if len(open) == 0 || open[len(open)-1] != map[byte]byte{']': '[', ')': '('}[c] {
				return nil, fmt.Errorf("unbalanced %q at %d", c, i+1)
			}
			open = open[:len(open)-1]
		case c == ' ' && len(open) == 0:
			if i > start {
				list = append(list, items[start:i])
			}
			start = i + 1
		}
	}
	if len(open) != 0 {
		return nil, fmt.Errorf("unclosed %q", open[len(open)-1])
	}
	if start < len(items) {
		list = append(list, items[start:])
	}
	return list, nil
}

// Passes turns a list of items into the FETCHes that make Dovecot cache
// them, as measured on Dovecot 2.3 (see docs/scalix-warming.md):
//
//   - ENVELOPE is built from ten header fields, cached only when a FETCH
//     names them: they are added to the list's HEADER.FIELDS (or as one of
//     their own when it has none).
//   - BODYSTRUCTURE asked beside other items is computed but not cached; on
//     its own it is: it goes in a second FETCH.
//
// The first pass carries the list's other items; its answer gives the
// counts. items must have passed CheckFetchItems.
func Passes(items string) []string {
	list, err := SplitItems(items)
	if err != nil {
		return []string{items}
	}
	var first []string
	envelope, bodystructure, fields := false, false, -1
	for _, item := range list {
		up := strings.ToUpper(item)
		switch {
		case up == "BODYSTRUCTURE":
			bodystructure = true
			continue
		case up == "ENVELOPE":
			envelope = true
		case strings.HasPrefix(up, "BODY.PEEK[HEADER.FIELDS (") && fields < 0:
			fields = len(first)
		}
		first = append(first, item)
	}
	if envelope {
		first = withEnvelopeFields(first, fields)
	}
	if !bodystructure {
		return []string{strings.Join(first, " ")}
	}
	if len(first) == 0 || len(first) == 1 && strings.EqualFold(first[0], "UID") {
		return []string{items}
	}
	return []string{strings.Join(first, " "), "UID BODYSTRUCTURE"}
}

// withEnvelopeFields adds the envelope's fields that list[fields] (a
// HEADER.FIELDS item, or -1 for none) does not name.
func withEnvelopeFields(list []string, fields int) []string {
	if fields < 0 {
		return append(list, headerFields(envelopeFields))
	}
	item := list[fields]
	open, close := strings.Index(item, "("), strings.LastIndex(item, ")")
	named := map[string]bool{}
	for _, f := range strings.Fields(item[open+1 : close]) {
		named[strings.ToUpper(strings.Trim(f, `"`))] = true
	}
	missing := ""
	for _, f := range strings.Fields(envelopeFields) {
		if !named[strings.ToUpper(f)] {
			missing += " " + f
		}
	}
	list[fields] = item[:close] + missing + item[close:]
	return list
}

package imapwarm

import (
	"fmt"
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

// The header fields of the two client lists whose source is public.
const (
	thunderbirdFields = "From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To"
	roundcubeFields   = "DATE FROM TO SUBJECT CONTENT-TYPE CC REPLY-TO LIST-POST DISPOSITION-NOTIFICATION-TO X-PRIORITY"
)

// Profiles are the named item lists of --profile; the first is the default.
var Profiles = []Profile{
	{
		Name: "default",
		Items: "UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY.PEEK[HEADER.FIELDS (" +
			thunderbirdFields + " List-Post Disposition-Notification-To)]",
		Source: "the thunderbird and roundcube header fields together, with ENVELOPE for clients that list from it",
	},
	{
		Name:   "thunderbird",
		Items:  "UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (" + thunderbirdFields + ")]",
		Source: "Thunderbird's header download: the fields of IMAP_ENV_AND_DB_HEADERS in mailnews/imap/src/nsImapProtocol.cpp",
	},
	{
		Name:   "roundcube",
		Items:  "UID RFC822.SIZE FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (" + roundcubeFields + ")]",
		Source: "Roundcube's message list: rcube_imap_generic::fetchHeaders with the CC, REPLY-TO and X-PRIORITY rcube_imap adds",
	},
	{
		Name:   "outlook",
		Items:  "UID RFC822.SIZE FLAGS BODY.PEEK[]",
		Source: "Outlook downloads whole messages (UID RFC822.SIZE RFC822.PEEK, as reported in go-imap issue 657); BODY.PEEK[] is the standard form. Reads every message in full",
	},
	{
		Name:   "header",
		Items:  "UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY.PEEK[HEADER]",
		Source: "sxwarm's fetch before profiles: the whole header and ENVELOPE",
	},
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
	list, err := splitItems(items)
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

// splitItems splits a FETCH item list at top-level spaces, keeping each
// item's [section] and (field list) whole.
func splitItems(items string) ([]string, error) {
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

package imapcapture

import (
	"fmt"
	"io"
	"strings"

	"provpipe/pkg/scalix/imapwarm"
	"provpipe/pkg/shared/cli"
)

// Suggestion is one --fetch list that warms what the captured client read
// when it listed folders, and the items left out of it, each with why.
type Suggestion struct {
	Items   string   // "" when the client listed no folder
	LeftOut []string // "ITEM: why"
}

// macros are FETCH's shorthands (RFC 3501 6.4.5).
var macros = map[string][]string{
	"FAST": {"FLAGS", "INTERNALDATE", "RFC822.SIZE"},
	"ALL":  {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"},
	"FULL": {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"},
}

// Suggest merges the item lists of every FETCH over many messages into
// one list sxwarm can send: the items in the order first sent, each once,
// every HEADER.FIELDS list in one, BODY[...] as BODY.PEEK[...] (warming
// must not set \Seen). Message parts, partial fetches and items sxwarm
// does not send are left out, said why.
func (r *Record) Suggest() Suggestion {
	r.mu.Lock()
	defer r.mu.Unlock()
	var m merger
	for _, s := range r.fetches {
		list, err := imapwarm.SplitItems(s.items)
		if err != nil {
			m.leaveOut(s.items, "not a list of items: "+err.Error())
			continue
		}
		for _, item := range list {
			m.add(item)
		}
	}
	return m.suggestion()
}

// merger builds a Suggestion item by item.
type merger struct {
	items   ordered // by upper-case item
	fields  ordered // the merged HEADER.FIELDS, by upper-case name
	leftOut ordered // "ITEM: why", by item
}

// ordered keeps values in the order they were first added, one per key.
type ordered struct {
	seen map[string]bool
	list []string
}

func (o *ordered) add(key, value string) {
	if o.seen == nil {
		o.seen = map[string]bool{}
	}
	if !o.seen[key] {
		o.seen[key] = true
		o.list = append(o.list, value)
	}
}

func (m *merger) leaveOut(item, why string) { m.leftOut.add(item, item+": "+why) }

func (m *merger) keep(item string) { m.items.add(strings.ToUpper(item), item) }

// fieldsHere stands in the item list where the merged HEADER.FIELDS goes.
const fieldsHere = "\x00FIELDS"

func (m *merger) keepFields(list string) {
	m.keep(fieldsHere)
	for _, f := range strings.Fields(list) {
		f = strings.Trim(f, `"`) // a field name is an atom, quoted or not
		m.fields.add(strings.ToUpper(f), f)
	}
}

// add sorts one item the client sent.
func (m *merger) add(item string) {
	up := strings.ToUpper(item)
	if expanded, ok := macros[up]; ok {
		for _, e := range expanded {
			m.add(e)
		}
		return
	}
	name, section, sectioned := strings.Cut(item, "[")
	switch upName := strings.ToUpper(name); {
	case !sectioned:
		if _, err := imapwarm.CheckFetchItems(item); err != nil || strings.ContainsAny(item, "()") {
			m.leaveOut(item, "not an item sxwarm sends")
			return
		}
		m.keep(item)
	case upName != "BODY" && upName != "BODY.PEEK":
		m.leaveOut(item, "not an item sxwarm sends")
	default:
		m.addSection(item, section)
	}
}

// addSection sorts a BODY[...] or BODY.PEEK[...] item by its section.
func (m *merger) addSection(item, section string) {
	spec, partial, _ := strings.Cut(section, "]")
	upSpec := strings.ToUpper(spec)
	switch {
	case partial != "":
		m.leaveOut(item, "a partial fetch (the first bytes of a message, a preview): warm it with --fetch if your users' client shows previews")
	case strings.HasPrefix(upSpec, "HEADER.FIELDS.NOT"):
		m.keep("BODY.PEEK[HEADER]")
	case strings.HasPrefix(upSpec, "HEADER.FIELDS"):
		open, close := strings.Index(spec, "("), strings.LastIndex(spec, ")")
		if open < 0 || close < open {
			m.leaveOut(item, "a field list that does not parse")
			return
		}
		m.keepFields(spec[open+1 : close])
	case upSpec == "HEADER" || upSpec == "":
		m.keep("BODY.PEEK[" + upSpec + "]")
	default:
		m.leaveOut(item, "a message part (read when a user opens a message, not when a folder is listed)")
	}
}

func (m *merger) suggestion() Suggestion {
	var out []string
	for _, item := range m.items.list {
		if item == fieldsHere {
			item = "BODY.PEEK[HEADER.FIELDS (" + strings.Join(m.fields.list, " ") + ")]"
		}
		out = append(out, item)
	}
	s := Suggestion{LeftOut: m.leftOut.list}
	if len(out) > 0 {
		checked, err := imapwarm.CheckFetchItems(strings.Join(out, " "))
		if err != nil { // each item passed alone: a merged list cannot fail
			s.LeftOut = append(s.LeftOut, "the merged list: "+err.Error())
		}
		s.Items = checked
	}
	return s
}

// Write prints what was captured: comment lines saying what the client
// sent, then the --fetch argument that warms it, ready to paste.
func (r *Record) Write(w io.Writer) error {
	sug := r.Suggest()
	r.mu.Lock()
	var b strings.Builder
	fmt.Fprintf(&b, "# sxwarm --capture: %s; commands: %s\n", cli.Count(r.sessions, "client session"),
		orNone(strings.Join(r.commandCounts(), ", ")))
	section(&b, "FETCH item lists over many messages (times sent, items)", r.fetches)
	section(&b, "FETCH of one message (a user opening it; not warmed)", r.opens)
	section(&b, "STATUS items (sxwarm's --status asks each folder's STATUS)", r.statuses)
	section(&b, "LIST ... RETURN options", r.returns)
	r.mu.Unlock()
	for _, l := range sug.LeftOut {
		fmt.Fprintf(&b, "# left out: %s\n", l)
	}
	if sug.Items == "" {
		b.WriteString("# no FETCH over many messages was seen: open a folder in the client while it is connected through sxwarm --capture\n")
	} else {
		fmt.Fprintf(&b, "--fetch %s\n", shellQuote(sug.Items))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func section(b *strings.Builder, title string, list []*seen) {
	if len(list) == 0 {
		return
	}
	fmt.Fprintf(b, "# %s:\n", title)
	for _, s := range list {
		fmt.Fprintf(b, "#   %d  %s\n", s.count, s.items)
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

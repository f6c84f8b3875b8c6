package imapcapture

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Record is what a capture learned: command names and the item lists of
// FETCH, STATUS and LIST ... RETURN, each with how often it was sent. It
// holds nothing else a client sent: no tag, argument, login, password,
// folder name or message data.
type Record struct {
	mu       sync.Mutex
	sessions int
	commands map[string]int
	fetches  []*seen // item lists of FETCHes over more than one message
	opens    []*seen // item lists of FETCHes of one message (a user opening it)
	statuses []*seen
	returns  []*seen // LIST ... RETURN (...)
}

// seen is one item list and how many times it was sent.
type seen struct {
	items string
	count int
}

// NewRecord is an empty record.
func NewRecord() *Record { return &Record{commands: map[string]int{}} }

// add counts an item list in list, keeping the order lists were first sent.
func add(list []*seen, items string) []*seen {
	for _, s := range list {
		if s.items == items {
			s.count++
			return list
		}
	}
	return append(list, &seen{items: items, count: 1})
}

// command notes one client command line (its literals already left out),
// keeping only what Record promises to keep.
func (r *Record) command(line []byte) {
	c, ok := parseCommand(line)
	if !ok {
		return // a SASL response, DONE ending IDLE, or a line of nothing
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commands[c.name]++
	switch {
	case c.name == "FETCH" || c.name == "UID FETCH":
		if c.oneMessage {
			r.opens = add(r.opens, c.items)
		} else {
			r.fetches = add(r.fetches, c.items)
		}
	case c.name == "STATUS":
		r.statuses = add(r.statuses, c.items)
	case c.name == "LIST" && c.items != "":
		r.returns = add(r.returns, c.items)
	}
}

func (r *Record) sessionEnded() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sessions++
	return r.sessions
}

// parsed is what parseCommand keeps of a command line.
type parsed struct {
	name       string // upper case, "UID FETCH" for a UID command
	items      string // FETCH or STATUS items, or LIST's RETURN options
	oneMessage bool   // a FETCH of a single message number or UID
}

// parseCommand reads "tag SP command [SP arguments]". A line of one word
// is no command (AUTHENTICATE's responses, IDLE's DONE).
func parseCommand(line []byte) (parsed, bool) {
	words := strings.SplitN(string(bytes.TrimRight(line, "\r\n")), " ", 3)
	if len(words) < 2 || words[1] == "" {
		return parsed{}, false
	}
	c := parsed{name: strings.ToUpper(words[1])}
	rest := ""
	if len(words) == 3 {
		rest = words[2]
	}
	if c.name == "UID" {
		sub, args, _ := strings.Cut(rest, " ")
		c.name = "UID " + strings.ToUpper(sub)
		rest = args
	}
	if !isAtom(c.name) {
		return parsed{}, false
	}
	switch c.name {
	case "FETCH", "UID FETCH":
		set, items, _ := strings.Cut(rest, " ")
		c.items = firstGroup(items)
		c.oneMessage = set != "" && !strings.ContainsAny(set, ":,*$")
	case "STATUS":
		c.items = lastGroup(rest)
	case "LIST":
		if i := strings.Index(asciiUpper(rest), " RETURN "); i >= 0 {
			c.items = firstGroup(rest[i+len(" RETURN "):])
		}
	}
	return c, true
}

// asciiUpper upper-cases ASCII letters only, so that an index into the
// result is one into s (strings.ToUpper may change a string's length).
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// isAtom: a command name is letters, digits, dots, dashes and one space
// after UID; anything else is not a command line (a continuation of data).
func isAtom(s string) bool {
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == ' ' || r == '_') {
			return false
		}
	}
	return s != ""
}

// firstGroup is the parenthesised list s starts with, without the
// parentheses, or its first word when it starts with none (FETCH 1 FLAGS).
func firstGroup(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "(") {
		word, _, _ := strings.Cut(s, " ")
		return word
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
			if depth == 0 {
				return s[1:i]
			}
		}
	}
	return s[1:]
}

// lastGroup is the last parenthesised list of s (STATUS name (items)).
func lastGroup(s string) string {
	open := strings.LastIndex(s, "(")
	if open < 0 {
		return ""
	}
	return strings.TrimSuffix(strings.TrimSpace(s[open+1:]), ")")
}

// Sessions is how many client sessions have ended.
func (r *Record) Sessions() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sessions
}

// commandCounts are the commands seen, most sent first, as "NAME N".
func (r *Record) commandCounts() []string {
	names := make([]string, 0, len(r.commands))
	for name := range r.commands {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		if r.commands[names[i]] != r.commands[names[j]] {
			return r.commands[names[i]] > r.commands[names[j]]
		}
		return names[i] < names[j]
	})
	for i, name := range names {
		names[i] = name + " " + strconv.Itoa(r.commands[name])
	}
	return names
}

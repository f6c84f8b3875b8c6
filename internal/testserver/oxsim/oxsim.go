// Package oxsim is a test-only stand-in for Open-Xchange's
// `createcontext --csv-import FILE`, written from the import's documented
// contract (see the README's "Open-Xchange" section), not from its code:
//
//   - the file is read with opencsv 2.0's rules (package opencsv), in the
//     JVM's default charset: UTF-8 when the locale says so, else ASCII;
//   - header columns are createcontext's long option names, matched exactly
//     (case-sensitive, no trimming); contextid, username, displayname,
//     givenname, surname, password, email and quota are required; unknown
//     columns are ignored by OX without a word (the stand-in notes them in
//     its own log so a test can see them);
//   - blank lines are skipped; a row with fewer fields than the header
//     aborts the import at that row (contexts before it stay created);
//   - a row whose schema and schema-strategy are both set, whose
//     schema-strategy is not automatic or in-memory, whose ids or quota are
//     not numbers, or whose context exists already is not created;
//   - each success prints "context <id> created" on stdout, each failure
//     "context <id> could not be created: <reason>" on stderr, and the
//     import exits 0 however many contexts failed.
//
// State lives in the directory $OXSIM_STATE (none: nothing is remembered):
// an empty marker per created context, created with O_EXCL so that parallel
// imports of one context cannot both succeed, and a journal per import of
// what was applied.
// $OXSIM_FAIL lists context ids to refuse (an injected failure), and
// $OXSIM_DELAY is slept before each context, so a test can interrupt an
// import half-way. SIGINT or SIGTERM ends the import as killing the console
// would: a context being created is committed on the server side, but its
// "created" line is never printed.
package oxsim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"provpipe/internal/openxchange/opencsv"
)

// refusal is a message in Open-Xchange's words (capitalised, with its
// punctuation), which Go's error conventions would not write.
type refusal string

func (r refusal) Error() string { return string(r) }

const errNotNumber = refusal("Ids must be numbers!")

// Required columns of a createcontext CSV import.
var Required = []string{"contextid", "username", "displayname", "givenname", "surname", "password", "email", "quota"}

// known are the other columns createcontext reads; anything else is ignored.
var known = map[string]bool{
	"contextname": true, "addmapping": true, "schema": true, "schema-strategy": true,
	"destination-store-id": true, "destination-database-id": true,
	"access-combination-name": true, "language": true, "timezone": true,
}

// Context is what the stand-in records for a created context.
type Context struct {
	ID             int    `json:"contextid"`
	Schema         string `json:"schema"`
	Strategy       string `json:"schema-strategy"`
	Database       int    `json:"destination-database-id"`
	Store          int    `json:"destination-store-id"`
	Quota          int64  `json:"quota"`
	Username       string `json:"username"`
	PasswordSHA256 string `json:"password-sha256"` // the database keeps no plain password
	DisplayName    string `json:"displayname"`
	GivenName      string `json:"givenname"`
	Surname        string `json:"surname"`
	Email          string `json:"email"`
	File           string `json:"file"`
	Started        int64  `json:"import-started-ns"` // when this file's import began
	Created        int64  `json:"created-ns"`
}

// Env is what one run sees of the world.
type Env struct {
	Args           []string
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// Main runs createcontext and returns its exit status.
func Main(env Env) int {
	file, err := csvImportArg(env.Args)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 1
	}
	imp, err := newImport(env, file)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 1
	}
	return imp.run()
}

func csvImportArg(args []string) (string, error) {
	for i, a := range args {
		if a == "--csv-import" && i+1 < len(args) {
			return args[i+1], nil
		}
		if v, ok := strings.CutPrefix(a, "--csv-import="); ok {
			return v, nil
		}
	}
	return "", errors.New("createcontext: this stand-in only does --csv-import FILE")
}

type importer struct {
	env     Env
	file    string
	state   string
	fail    map[int]bool
	delay   time.Duration
	started int64
	decode  func([]byte) string
	journal *os.File
	stop    chan os.Signal
}

func newImport(env Env, file string) (*importer, error) {
	imp := &importer{env: env, file: file, state: env.Getenv("OXSIM_STATE"), fail: map[int]bool{},
		started: time.Now().UnixNano(), stop: make(chan os.Signal, 1)}
	for _, f := range strings.FieldsFunc(env.Getenv("OXSIM_FAIL"), func(r rune) bool { return r == ',' || r == ' ' }) {
		id, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("createcontext stand-in: OXSIM_FAIL: %q is not a context id", f)
		}
		imp.fail[id] = true
	}
	if d := env.Getenv("OXSIM_DELAY"); d != "" {
		var err error
		if imp.delay, err = time.ParseDuration(d); err != nil {
			return nil, fmt.Errorf("createcontext stand-in: OXSIM_DELAY: %w", err)
		}
	}
	if !utf8Locale(env.Getenv) {
		imp.decode = opencsv.DecodeASCII
	}
	return imp, nil
}

// utf8Locale tells whether the JVM's default charset would be UTF-8, from
// the locale variables in POSIX precedence.
func utf8Locale(getenv func(string) string) bool {
	for _, v := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if l := getenv(v); l != "" {
			l = strings.ToLower(l)
			return strings.Contains(l, "utf-8") || strings.Contains(l, "utf8")
		}
	}
	return false
}

func (imp *importer) run() int {
	signal.Notify(imp.stop, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(imp.stop)
	f, err := os.Open(imp.file)
	if err != nil {
		fmt.Fprintf(imp.env.Stderr, "Error: %s (No such file or directory)\n", imp.file)
		return 1
	}
	defer f.Close()
	defer func() {
		if imp.journal != nil {
			imp.journal.Close()
		}
	}()
	r := opencsv.NewReader(f)
	r.Decode = imp.decode
	head, _, err := r.Next()
	if err != nil {
		fmt.Fprintf(imp.env.Stderr, "Error: %s: no CSV header\n", imp.file)
		return 1
	}
	cols, err := imp.columns(head)
	if err != nil {
		fmt.Fprintln(imp.env.Stderr, err)
		return 1
	}
	for {
		rec, line, err := r.Next()
		if err == io.EOF {
			return 0
		}
		if err != nil {
			fmt.Fprintf(imp.env.Stderr, "Error: %s: %v\n", imp.file, err)
			return 1
		}
		if len(rec) == 1 && rec[0] == "" {
			continue // a blank line
		}
		if len(rec) < len(head) {
			fmt.Fprintf(imp.env.Stderr, "Error: %s:%d: row has %d fields, the header has %d; import aborted\n",
				imp.file, line, len(rec), len(head))
			return 1
		}
		if !imp.create(cols, rec) {
			return 130
		}
	}
}

// interrupted tells whether SIGINT or SIGTERM came.
func (imp *importer) interrupted() bool {
	select {
	case <-imp.stop:
		return true
	default:
		return false
	}
}

// columns maps each column name to its index and checks the required ones.
func (imp *importer) columns(head []string) (map[string]int, error) {
	cols := map[string]int{}
	for i, c := range head {
		if _, dup := cols[c]; !dup {
			cols[c] = i
		}
		if !known[c] && !slices.Contains(Required, c) {
			imp.note("unknown-column", c)
		}
	}
	for _, c := range Required {
		if _, ok := cols[c]; !ok {
			return nil, refusal(fmt.Sprintf("Error: %s: missing required column %q", imp.file, c))
		}
	}
	return cols, nil
}

// note appends one line to the stand-in's own log, for tests.
func (imp *importer) note(kind, what string) {
	if imp.state == "" {
		return
	}
	f, err := os.OpenFile(filepath.Join(imp.state, "notes.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s\t%s\t%s\n", kind, what, imp.file)
}

// create creates one context and reports it; false when interrupted.
func (imp *importer) create(cols map[string]int, rec []string) bool {
	get := func(c string) string {
		if i, ok := cols[c]; ok {
			return rec[i]
		}
		return ""
	}
	if imp.interrupted() {
		return false
	}
	if imp.delay > 0 {
		time.Sleep(imp.delay)
	}
	ctx, err := imp.build(get)
	if err == nil {
		err = imp.store(ctx)
	}
	if imp.interrupted() {
		return false // committed or not, the console is gone
	}
	if err != nil {
		fmt.Fprintf(imp.env.Stderr, "context %s could not be created: %v\n", get("contextid"), err)
		return true
	}
	fmt.Fprintf(imp.env.Stdout, "context %d created\n", ctx.ID)
	return true
}

func (imp *importer) build(get func(string) string) (*Context, error) {
	c := &Context{Schema: get("schema"), Strategy: get("schema-strategy"), Username: get("username"),
		DisplayName: get("displayname"), GivenName: get("givenname"), Surname: get("surname"),
		Email: get("email"), File: imp.file, Started: imp.started}
	var err error
	if c.ID, err = strconv.Atoi(get("contextid")); err != nil {
		return nil, errNotNumber
	}
	if c.Quota, err = strconv.ParseInt(get("quota"), 10, 64); err != nil {
		return nil, fmt.Errorf("invalid quota %q", get("quota"))
	}
	if c.Database, err = optionalID(get("destination-database-id")); err != nil {
		return nil, err
	}
	if c.Store, err = optionalID(get("destination-store-id")); err != nil {
		return nil, err
	}
	if c.Schema != "" && c.Strategy != "" {
		return nil, errors.New("schema and schema-strategy must not be given together")
	}
	if c.Strategy != "" && c.Strategy != "automatic" && c.Strategy != "in-memory" {
		return nil, fmt.Errorf("unknown schema-strategy %q", c.Strategy)
	}
	for _, m := range Required[1:] {
		if get(m) == "" {
			return nil, fmt.Errorf("mandatory field %s is empty", m)
		}
	}
	if imp.fail[c.ID] {
		return nil, errors.New("injected failure (OXSIM_FAIL)")
	}
	sum := sha256.Sum256([]byte(get("password")))
	c.PasswordSHA256 = hex.EncodeToString(sum[:])
	return c, nil
}

func optionalID(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errNotNumber
	}
	return n, nil
}

// store records a created context; a context that exists is refused. An
// empty marker file per id, created with O_EXCL, decides between parallel
// imports; what was applied goes to this import's journal, one JSON line.
func (imp *importer) store(c *Context) error {
	if imp.state == "" {
		return nil
	}
	dir := filepath.Join(imp.state, "ids", strconv.Itoa(c.ID/1000))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	marker, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(c.ID)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return refusal(fmt.Sprintf("Context %d already exists!", c.ID))
	}
	if err != nil {
		return err
	}
	marker.Close()
	if imp.journal == nil {
		name := filepath.Join(imp.state, fmt.Sprintf("journal-%d-%d.jsonl", os.Getpid(), imp.started))
		if imp.journal, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err != nil {
			return err
		}
	}
	c.Created = time.Now().UnixNano()
	line, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = imp.journal.Write(append(line, '\n'))
	return err
}

// Created reads back every context created under a state directory.
func Created(state string) ([]Context, error) {
	paths, err := filepath.Glob(filepath.Join(state, "journal-*.jsonl"))
	if err != nil {
		return nil, err
	}
	var out []Context
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if line == "" {
				continue
			}
			var c Context
			if err := json.Unmarshal([]byte(line), &c); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", p, i+1, err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

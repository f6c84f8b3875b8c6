// Package oxsim is a test-only stand-in for Open-Xchange's
// `createcontext --csv-import FILE`. Its behaviour follows the console's
// own code in appsuite-middleware (com.openexchange.admin.console):
// CreateCore.commonfunctions and csvparsing, ContextAbstraction.getContext
// and getSchemaSelectStrategy, UserAbstraction.getUser, setValue and
// csvParsingCommon, ObjectNamingAbstraction.printErrors and
// displayCreatedMessage, BasicCommandlineOptions' SYSEXIT_* constants; the
// server's refusals from BasicAuthenticator and OXContextMySQLStorage:
//
//   - it logs in once with the master credentials (-A, -P or
//     $ADMIN_PASSWORD) before reading the file; refused, it prints the
//     printErrors block and exits 101;
//   - the file is read with opencsv 2.0's rules (package opencsv) in the
//     JVM's default charset (UTF-8 when the locale says so, else ASCII);
//   - the header's columns are the long option names, matched exactly; a
//     later column of the same name wins; a missing required column, or no
//     header at all, ends the run with exit 103 before any row; unknown
//     columns are ignored (the stand-in notes them in its own log so that a
//     test can see them);
//   - empty records are skipped (Bug #45259) and do not count as lines;
//   - for each row, "Context <id> successfully created" on stdout, or
//     "Failed to create context <id>: <exception>" on stderr, where
//     <exception> is the Java exception's toString() (its class, ": ", its
//     message ending in "; exceptionId <jvm>-<n>"), and the import goes on;
//   - a row whose context values fail before the create call (contextid,
//     quota or the destination ids empty or not integers, schema and
//     schema-strategy both set, an unknown strategy) throws an
//     InvalidDataException that no per-row catch takes: the import ends
//     there through printErrors with exit 103; a row shorter than a column
//     it reads ends it with an ArrayIndexOutOfBoundsException, exit 1;
//   - an empty admin user field is a per-row InvalidDataException ("Field
//     username required but not set."); an existing context id a per-row
//     ContextExistsException ("Context 42 already exists!");
//   - after the last row it prints "context created" (displayCreatedMessage
//     with no id) on stdout and exits 0, however many rows failed.
//
// State lives in the directory $OXSIM_STATE (none: nothing is remembered):
// an empty marker per created context, created with O_EXCL so that parallel
// imports of one context cannot both succeed, and a journal per import of
// what was applied. $OXSIM_MASTER_PASSWORD is the platform's master
// password (default "master"; the master login is oxadminmaster).
// $OXSIM_FAIL lists context ids the server refuses with a StorageException
// (an injected failure), and $OXSIM_DELAY is slept before each context, so
// a test can interrupt an import half-way. SIGINT or SIGTERM ends the
// import as killing the JVM would: a context being created is committed on
// the server side, but its line is never printed.
package oxsim

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"provpipe/internal/testserver/oxsim/opencsv"
)

// MasterLogin is the platform's master admin.
const MasterLogin = "oxadminmaster"

// Env is what one run sees of the world.
type Env struct {
	Args           []string
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// options are the command-line options the stand-in takes.
type options struct {
	file, adminUser, adminPass string
}

// Main runs createcontext and returns its exit status.
func Main(env Env) int {
	opts, err := parseArgs(env.Args)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 1
	}
	imp, err := newImport(env, opts)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 1
	}
	return imp.run()
}

func parseArgs(args []string) (options, error) {
	var o options
	targets := map[string]*string{"--csv-import": &o.file, "-A": &o.adminUser, "--adminuser": &o.adminUser,
		"-P": &o.adminPass, "--adminpass": &o.adminPass}
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(args[i], "=")
		target, ok := targets[name]
		if !ok {
			return o, fmt.Errorf("createcontext stand-in: unsupported argument %q (it takes --csv-import FILE, -A, -P)", args[i])
		}
		if !hasValue {
			if i+1 >= len(args) {
				return o, fmt.Errorf("createcontext stand-in: %s needs a value", name)
			}
			i++
			value = args[i]
		}
		*target = value
	}
	if o.file == "" {
		return o, errors.New("createcontext stand-in: this stand-in only does --csv-import FILE")
	}
	return o, nil
}

type importer struct {
	env      Env
	opts     options
	state    string
	master   string
	fail     map[int]bool
	delay    time.Duration
	started  int64
	decode   func([]byte) string
	client   exceptionIDs // the console's JVM
	server   exceptionIDs // the Open-Xchange server's JVM
	journal  *os.File
	stop     chan os.Signal
	finished bool
}

func newImport(env Env, opts options) (*importer, error) {
	state := env.Getenv("OXSIM_STATE")
	imp := &importer{env: env, opts: opts, state: state, fail: map[int]bool{}, master: env.Getenv("OXSIM_MASTER_PASSWORD"),
		started: time.Now().UnixNano(), stop: make(chan os.Signal, 1),
		client: exceptionIDs{jvm: randomJVM()}, server: exceptionIDs{jvm: serverJVM(state)}}
	if imp.master == "" {
		imp.master = "master"
	}
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

// login is OXLoginInterface.login with the master credentials; the
// password comes from $ADMIN_PASSWORD when it is set, as
// BasicCommandlineOptions reads it, else from -P.
func (imp *importer) login() *javaException {
	pass := imp.opts.adminPass
	if env := imp.env.Getenv("ADMIN_PASSWORD"); strings.TrimSpace(env) != "" {
		pass = env
	}
	if imp.opts.adminUser == MasterLogin && pass == imp.master {
		return nil
	}
	return imp.server.adminException(invalidCredentials, "Authentication failed",
		"com.openexchange.admin.rmi.impl.BasicAuthenticator.doAuthentication(BasicAuthenticator.java)",
		"com.openexchange.admin.rmi.impl.OXLogin.login(OXLogin.java)")
}

func (imp *importer) run() int {
	signal.Notify(imp.stop, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(imp.stop)
	defer imp.closeJournal()
	if e := imp.login(); e != nil {
		return printErrors(imp.env.Stderr, e)
	}
	f, err := os.Open(imp.opts.file)
	if err != nil {
		return printErrors(imp.env.Stderr, &javaException{class: fileNotFound,
			message: imp.opts.file + " (No such file or directory)", frames: []string{"java.io.FileInputStream.open0(Native Method)"}})
	}
	defer f.Close()
	r := opencsv.NewReader(f)
	r.Decode = imp.decode
	cols, e := imp.header(r)
	if e != nil {
		return printErrors(imp.env.Stderr, e)
	}
	if e := imp.rows(r, cols); e != nil {
		return printErrors(imp.env.Stderr, e)
	}
	if imp.interrupted() {
		return 130
	}
	fmt.Fprintln(imp.env.Stdout, "context created")
	return 0
}

// rows creates the context of each record; an exception that ends the
// import is returned.
func (imp *importer) rows(r *opencsv.Reader, cols columns) *javaException {
	for {
		rec, _, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &javaException{class: "java.io.IOException", message: err.Error()}
		}
		if len(rec) == 0 || len(rec) == 1 && rec[0] == "" {
			continue // skip empty lines (Bug #45259)
		}
		if imp.interrupted() {
			return nil
		}
		if imp.delay > 0 {
			time.Sleep(imp.delay)
		}
		if e := imp.create(row{rec: rec, cols: cols}); e != nil {
			return e
		}
		if imp.interrupted() {
			return nil
		}
	}
}

// interrupted tells whether SIGINT or SIGTERM came.
func (imp *importer) interrupted() bool {
	if imp.finished {
		return true
	}
	select {
	case <-imp.stop:
		imp.finished = true
		return true
	default:
		return false
	}
}

// Package testenv helps tests find the real programs they talk to (GNU
// split, GNU parallel, dovecot, slapd) and the project's built binaries.
// A missing program skips the test with a loud message on a developer's
// machine and fails it in CI, where .ci/run installs everything.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true).
func InCI() bool { return os.Getenv("CI") == "true" }

// RequireProgram returns the path of a program, or skips (fails in CI).
func RequireProgram(t testing.TB, name, debianPackage string) string {
	t.Helper()
	path, err := FindProgram(name)
	if err == nil {
		return path
	}
	Skip(t, fmt.Sprintf("%s not found on PATH nor in %s (Debian package %s); install it to run this test", name, strings.Join(sbinDirs, ", "), debianPackage))
	return ""
}

// sbinDirs are where Debian installs servers (dovecot, slapd), which a
// user's PATH often leaves out.
var sbinDirs = []string{"/usr/sbin", "/sbin", "/usr/local/sbin"}

// FindProgram looks for a program on PATH, then where Debian installs
// servers.
func FindProgram(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err == nil {
		return path, nil
	}
	for _, dir := range sbinDirs {
		p := filepath.Join(dir, name)
		if fi, serr := os.Stat(p); serr == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", err
}

// Skip skips t with a loud message, or fails it in CI, where .ci/run
// installs everything a test needs. Outside CI the skip is also written
// to the file $PROVPIPE_SKIPS names, from which make test ends with one
// line per skipped suite: go test shows nothing of a passing package.
func Skip(t testing.TB, why string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s", why)
	}
	fmt.Fprintf(os.Stderr, "\n*** SKIPPING %s: %s ***\n\n", t.Name(), why)
	if path := os.Getenv("PROVPIPE_SKIPS"); path != "" {
		if f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644); err == nil {
			fmt.Fprintf(f, "%s\t%s\n", why, t.Name())
			f.Close()
		}
	}
	t.Skip(why)
}

// build compiles packages once per test binary into a temporary directory.
type build struct {
	once sync.Once
	dir  string
	err  error
}

func (b *build) get(t testing.TB, what, pattern string) string {
	t.Helper()
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "provpipe-"+what+"-"); b.err != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", b.dir+"/", pattern)
		cmd.Dir = RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatalf("building the %s: %v", what, b.err)
	}
	return b.dir
}

var tools, standIns build

// Cleanup removes the directories this test binary built into; a
// package's TestMain calls it after m.Run, so the builds leave nothing in
// the temporary directory.
func Cleanup() {
	for _, b := range []*build{&tools, &standIns} {
		if b.dir != "" {
			os.RemoveAll(b.dir)
		}
	}
}

// Binary returns the path of one of the project's commands. It uses
// $PROVPIPE_BIN when set (make test builds there first), else builds all the
// commands once into a temporary directory.
func Binary(t testing.TB, tool string) string {
	t.Helper()
	if dir := os.Getenv("PROVPIPE_BIN"); dir != "" {
		return filepath.Join(dir, tool)
	}
	return filepath.Join(tools.get(t, "commands", "./cmd/..."), tool)
}

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Testdata returns the path of a file under the repository's testdata.
func Testdata(parts ...string) string {
	return filepath.Join(append([]string{RepoRoot(), "testdata"}, parts...)...)
}

// StandIns returns a directory holding the stand-ins for systems the tests
// cannot run (createcontext), to put first on PATH. It uses
// $PROVPIPE_BIN/standin when make built it there, else builds them once.
func StandIns(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("PROVPIPE_BIN"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "standin", "createcontext")); err == nil {
			return filepath.Join(dir, "standin")
		}
	}
	return standIns.get(t, "stand-ins", "./internal/testserver/oxsim/createcontext")
}

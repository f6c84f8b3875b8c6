//go:build unix

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"provpipe/internal/testserver/testenv"
)

// TestManPagesMatchHelp: each tool's man page (what make install writes)
// names every flag its --help shows, and has the sections an operator looks
// for.
func TestManPagesMatchHelp(t *testing.T) {
	flagRE := regexp.MustCompile(`--[a-z][a-z0-9-]*`)
	for _, tool := range []string{"sxusers", "sxwarm", "ctxrows", "ctxsplit", "ctxcreate"} {
		t.Run(tool, func(t *testing.T) {
			help := run(t, "", tool, "--help")
			man := run(t, "", tool, "--help-man")
			if help.code != 0 || man.code != 0 {
				t.Fatalf("--help exit %d, --help-man exit %d: %s%s", help.code, man.code, help.stderr, man.stderr)
			}
			page := strings.ReplaceAll(man.stdout, `\-`, "-")
			for _, flag := range flagRE.FindAllString(help.stdout, -1) {
				if !strings.Contains(page, `\fB`+flag+`\fR`) {
					t.Errorf("man page lacks %s", flag)
				}
			}
			for _, section := range []string{".TH " + strings.ToUpper(tool) + " 1", ".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH EXIT STATUS", ".SH SEE ALSO"} {
				if !strings.Contains(man.stdout, section) {
					t.Errorf("man page lacks %q", section)
				}
			}
			if v := run(t, "", tool, "--version"); v.code != 0 || strings.TrimSpace(v.stdout) == "" {
				t.Errorf("--version: exit %d, %q", v.code, v.stdout)
			}
		})
	}
}

// TestMakeInstall: PREFIX and DESTDIR place four executables and four man
// pages where packagers expect them.
func TestMakeInstall(t *testing.T) {
	testenv.RequireProgram(t, "make", "make")
	dest := t.TempDir()
	from := filepath.Dir(testenv.Binary(t, "sxwarm"))
	r := runIn(t, testenv.RepoRoot(), "", "make", "-s", "install-files", "FROM="+from, "DESTDIR="+dest, "PREFIX=/opt/pp")
	if r.code != 0 {
		t.Fatalf("make install-files: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	for _, tool := range []string{"sxusers", "sxwarm", "ctxrows", "ctxsplit", "ctxcreate"} {
		bin, err := os.Stat(filepath.Join(dest, "opt/pp/bin", tool))
		if err != nil || bin.Mode().Perm() != 0o755 {
			t.Errorf("%s: %v %v", tool, err, bin)
		}
		page := readFile(t, filepath.Join(dest, "opt/pp/share/man/man1", tool+".1"))
		if !strings.HasPrefix(page, ".TH "+strings.ToUpper(tool)+" 1") {
			t.Errorf("%s.1 starts %q", tool, page[:min(len(page), 40)])
		}
	}
}

// TestMakeTestNamesSkips: make test ends with one line per reason tests
// were skipped for (testenv.Skip records them), with how many; none when
// nothing was skipped.
func TestMakeTestNamesSkips(t *testing.T) {
	testenv.RequireProgram(t, "make", "make")
	skips := filepath.Join(t.TempDir(), "skips")
	os.WriteFile(skips, []byte("dovecot not found\tTestDovecot\nslapd not found\tTestSlapd/bind\ndovecot not found\tTestProfiles\n"), 0o644)
	r := runIn(t, testenv.RepoRoot(), "", "make", "-s", "skipsummary", "SKIPS="+skips)
	want := "make test: SKIPPED 1 test (TestSlapd/bind): slapd not found\nmake test: SKIPPED 2 tests (TestDovecot, ...): dovecot not found\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s%s", r.code, r.stdout, want, r.stderr)
	}
	os.WriteFile(skips, nil, 0o644)
	if r = runIn(t, testenv.RepoRoot(), "", "make", "-s", "skipsummary", "SKIPS="+skips); r.code != 0 || r.stdout != "" {
		t.Errorf("nothing skipped: exit %d, %q", r.code, r.stdout)
	}
}

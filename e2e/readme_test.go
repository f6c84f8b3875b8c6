//go:build unix

package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"provpipe/internal/testserver/oxsim"
	"provpipe/internal/testserver/testenv"
)

// shellBlock is one fenced shell block of the README or a document.
type shellBlock struct {
	file string // README.md, docs/...
	info string // what follows ``` ("sh test")
	line int    // line of the opening fence
	body string
}

// pasteOrder is the order a reader pastes the examples in: the README's,
// then the documents' (each sandbox example builds on those before it).
var pasteOrder = []string{"README.md", "docs/scalix-warming.md", "docs/openxchange-import.md", "docs/parallel.md",
	"docs/security.md", "docs/troubleshooting.md", "docs/testing.md"}

// readmeBlocks returns the fenced sh blocks of the README and the documents,
// in paste order; a document not in pasteOrder fails the test.
func readmeBlocks(t *testing.T) []shellBlock {
	t.Helper()
	docs, _ := filepath.Glob(filepath.Join(testenv.RepoRoot(), "docs", "*.md"))
	for _, d := range docs {
		if rel := "docs/" + filepath.Base(d); !slices.Contains(pasteOrder, rel) {
			t.Errorf("%s: not in pasteOrder, so its examples are not run", rel)
		}
	}
	var blocks []shellBlock
	for _, name := range pasteOrder {
		blocks = append(blocks, shellBlocks(t, name)...)
	}
	return blocks
}

func shellBlocks(t *testing.T, name string) []shellBlock {
	t.Helper()
	text := readFile(t, filepath.Join(testenv.RepoRoot(), name))
	var blocks []shellBlock
	var cur *shellBlock
	for i, line := range strings.Split(text, "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```sh"):
			cur = &shellBlock{file: name, info: strings.TrimPrefix(line, "```"), line: i + 1}
		case cur != nil && line == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.body += line + "\n"
		}
	}
	return blocks
}

// TestReadmeCommands runs every shell block of the README as a person
// pastes them: in order, in one sandbox made by make sandbox's own script
// (demo/sandbox.sh: the embedded IMAP server, a throwaway slapd, the
// createcontext stand-in with one platform for all blocks), each after
// `. ./env.sh` in the sandbox directory. A block must exit 0 and no import
// may meet a context an earlier block created; a README shell block not
// marked for the test fails it, so nothing shown goes untried. Last, the
// README's own command stops the sandbox, from inside it.
func TestReadmeCommands(t *testing.T) {
	testenv.RequireProgram(t, "parallel", "parallel")
	testenv.RequireProgram(t, "slapd", "slapd")
	blocks := readmeBlocks(t)
	if len(blocks) < 5 {
		t.Fatalf("found %d shell blocks in the README", len(blocks))
	}
	dir, pid := startSandbox(t)
	// GNU parallel keeps its state under $HOME: one of the test's own.
	env := append(os.Environ(), "HOME="+t.TempDir(), "LANG=C.UTF-8")
	for _, b := range blocks {
		switch b.info {
		case "sh test":
		case "sh test-setup":
			checkSetupBlock(t, b)
			continue
		default:
			t.Errorf("%s:%d: shell block %q is not run by this test; mark it \"sh test\"", b.file, b.line, b.info)
			continue
		}
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", ". ./env.sh\n"+b.body)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s:%d: %v\n%s\n--- output:\n%s", b.file, b.line, err, b.body, out)
		}
		if bytes.Contains(out, []byte("already exists")) {
			t.Errorf("%s:%d: an import met contexts an earlier block created:\n%s", b.file, b.line, tail(string(out), 600))
		}
	}
	// What the blocks did, checked where it lands.
	users := len(lines(readFile(t, filepath.Join(dir, "users.list")))) - 1 // less sxqueryadmin
	for _, f := range []string{"warmed.tsv", "warmed-hosts.tsv"} {
		seen := map[string]int{}
		for _, row := range parseTSV(t, readFile(t, filepath.Join(dir, f))) {
			if row.status != "skipped" { // sxqueryadmin, each run
				seen[row.user]++
			}
		}
		if len(seen) != users {
			t.Errorf("%s: %d users warmed, want %d", f, len(seen), users)
		}
		for u, n := range seen {
			if n != len(standardFolders) {
				t.Errorf("%s: %s has %d lines, want one per folder", f, u, n)
			}
		}
	}
	checkReadmeImports(t, dir, blocks)
	stopSandboxAsReadmeSays(t, dir, env, pid)
}

// startSandbox runs make sandbox's script into a directory of the test's
// own and returns that directory and the server's pid.
func startSandbox(t *testing.T) (string, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sandbox")
	bin := filepath.Dir(testenv.Binary(t, "sxwarm"))
	cmd := exec.Command("bash", filepath.Join(testenv.RepoRoot(), "demo", "sandbox.sh"))
	cmd.Env = append(os.Environ(), "SANDBOX="+dir, "PROVPIPE_BIN="+bin, "STANDIN_BIN="+testenv.StandIns(t))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sandbox: %v\n%s", err, out)
	}
	pid := strings.TrimSpace(readFile(t, filepath.Join(dir, "imapdemo.pid")))
	ox := strings.TrimSpace(readFile(t, filepath.Join(dir, "oxsoapdemo.pid")))
	t.Cleanup(func() { exec.Command("kill", pid, ox).Run() })
	return dir, pid
}

// stopSandboxAsReadmeSays runs the README's stop command from inside the
// sandbox, where the README sent the reader, and waits for the server to go.
func stopSandboxAsReadmeSays(t *testing.T, dir string, env []string, pid string) {
	t.Helper()
	m := regexp.MustCompile("`(kill [^`]*\\.pid[^`]*)`").FindStringSubmatch(readFile(t, filepath.Join(testenv.RepoRoot(), "README.md")))
	if m == nil {
		t.Fatal("README.md: no command that stops the sandbox")
	}
	ox := strings.TrimSpace(readFile(t, filepath.Join(dir, "oxsoapdemo.pid")))
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", ". ./env.sh\n"+m[1]+"\nwhile kill -0 "+pid+" 2>/dev/null || kill -0 "+ox+" 2>/dev/null; do sleep 0.05; done")
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("README's %s, run in the sandbox: %v\n%s", m[1], err, out)
	}
}

// checkReadmeImports: every context the blocks imported was created
// exactly once on the sandbox's one platform, as many as the blocks' id
// ranges add up to.
func checkReadmeImports(t *testing.T, dir string, blocks []shellBlock) {
	t.Helper()
	rangeRE := regexp.MustCompile(`CTXROWS_PASSWORD="\$PW" ctxrows (?:-s (\d+) )?-e (\d+)`)
	imports, want := 0, 0
	for _, b := range blocks {
		m := rangeRE.FindStringSubmatch(b.body)
		if m == nil || !strings.Contains(b.body, "createcontext") {
			continue
		}
		imports++
		first, last := 1, atoi(t, m[2])
		if m[1] != "" {
			first = atoi(t, m[1])
		}
		want += last - first + 1
	}
	created, err := oxsim.Created(filepath.Join(dir, "oxstate"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, c := range created {
		if seen[c.ID] {
			t.Errorf("context %d created twice", c.ID)
		}
		seen[c.ID] = true
	}
	if len(seen) != want {
		t.Errorf("%d contexts created, want %d (the imports' id ranges)", len(seen), want)
	}
	if imports < 3 {
		t.Errorf("found %d README blocks importing contexts, want at least 3", imports)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checkSetupBlock: the set-up block is `make demo` and `make test`. The demo
// runs here (its script, on the binaries this test uses); `make test` is
// what is running this test.
func checkSetupBlock(t *testing.T, b shellBlock) {
	t.Helper()
	if b.body != "make demo\nmake test\n" {
		t.Errorf("%s:%d: the set-up block changed: %q", b.file, b.line, b.body)
		return
	}
	bin := filepath.Dir(testenv.Binary(t, "sxwarm"))
	cmd := exec.Command("bash", filepath.Join(testenv.RepoRoot(), "demo", "run.sh"))
	// The demo builds its server under TMPDIR: a directory of this test's
	// own, so the check below sees only the server this run started.
	tmp := t.TempDir()
	cmd.Env = append(os.Environ(), "PROVPIPE_BIN="+bin, "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{"Skipping: sxqueryadmin", "User2 Test2 (5 of 26)... INBOX: ", "Calendar: missing", "25 users ok (1 with missing folders), 0 partial, 0 failed, 1 skipped", "contexts-03.csv", "ctxcreate: 10000 contexts created, 0 existed, 0 failed"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if ps, _ := exec.Command("pgrep", "-f", filepath.Join(tmp, ".*(imapdemo|oxsoapdemo)")).Output(); len(ps) > 0 {
		t.Errorf("the demo left its server running: %s", ps)
	}
}

// TestDocsNameEveryFlag: each flag a tool's --help lists is named in the
// README or a document of docs/, so the prose cannot fall behind the tools
// (the man pages are made from --help's own definitions).
func TestDocsNameEveryFlag(t *testing.T) {
	var text strings.Builder
	for _, name := range pasteOrder {
		text.WriteString(readFile(t, filepath.Join(testenv.RepoRoot(), name)))
	}
	docs := text.String()
	flagRE := regexp.MustCompile(`--[a-z][a-z0-9-]*`)
	for _, tool := range []string{"sxusers", "sxwarm", "ctxrows", "ctxsplit", "ctxcreate"} {
		help := run(t, "", tool, "--help")
		for _, flag := range flagRE.FindAllString(help.stdout, -1) {
			if flag == "--help" || flag == "--version" {
				continue
			}
			if !regexp.MustCompile(regexp.QuoteMeta(flag) + `\b`).MatchString(docs) {
				t.Errorf("%s %s is named neither in the README nor in docs/", tool, flag)
			}
		}
	}
}

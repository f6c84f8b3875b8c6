package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"provpipe/internal/testserver/mailsim"
	"provpipe/internal/testserver/oxsim"
	"provpipe/internal/testserver/testenv"
)

// shellBlock is one fenced shell block of the README.
type shellBlock struct {
	info string // what follows ``` ("sh test")
	line int    // line of the opening fence
	body string
}

// readmeBlocks returns the README's fenced blocks whose language is sh.
func readmeBlocks(t *testing.T) []shellBlock {
	t.Helper()
	text := readFile(t, filepath.Join(testenv.RepoRoot(), "README.md"))
	var blocks []shellBlock
	var cur *shellBlock
	for i, line := range strings.Split(text, "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```sh"):
			cur = &shellBlock{info: strings.TrimPrefix(line, "```"), line: i + 1}
		case cur != nil && line == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.body += line + "\n"
		}
	}
	return blocks
}

// TestReadmeCommands runs every shell block of the README, in order, in one
// directory, against stand-ins: the embedded IMAP server, a throwaway slapd,
// the createcontext stand-in, GNU parallel with the local machine as the
// only "host". A block must exit 0; a README shell block not marked for the
// test fails it, so nothing shown goes untried.
func TestReadmeCommands(t *testing.T) {
	testenv.RequireProgram(t, "parallel", "parallel")
	blocks := readmeBlocks(t)
	if len(blocks) < 5 {
		t.Fatalf("found %d shell blocks in the README", len(blocks))
	}
	dir, env := readmeFixtures(t)
	for _, b := range blocks {
		switch b.info {
		case "sh test":
		case "sh test-setup":
			checkSetupBlock(t, b)
			continue
		default:
			t.Errorf("README.md:%d: shell block %q is not run by this test; mark it \"sh test\"", b.line, b.info)
			continue
		}
		// Each block is a recipe of its own: on a fresh Open-Xchange platform.
		state := filepath.Join(dir, fmt.Sprintf("oxstate-%d", b.line))
		os.Mkdir(state, 0o700)
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", b.body)
		cmd.Dir, cmd.Env = dir, append(env, "OXSIM_STATE="+state)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("README.md:%d: %v\n%s\n--- output:\n%s", b.line, err, b.body, out)
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
}

// checkReadmeImports: each block that imports contexts created every one of
// them exactly once, as its own createcontext output says too.
func checkReadmeImports(t *testing.T, dir string, blocks []shellBlock) {
	t.Helper()
	sizeRE := regexp.MustCompile(`CTXROWS_PASSWORD="\$PW" ctxrows -e (\d+)`)
	imports := 0
	for _, b := range blocks {
		m := sizeRE.FindStringSubmatch(b.body)
		if m == nil || !strings.Contains(b.body, "createcontext") {
			continue
		}
		imports++
		created, err := oxsim.Created(filepath.Join(dir, fmt.Sprintf("oxstate-%d", b.line)))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int]bool{}
		for _, c := range created {
			if seen[c.ID] {
				t.Errorf("README.md:%d: context %d created twice", b.line, c.ID)
			}
			seen[c.ID] = true
		}
		if fmt.Sprint(len(seen)) != m[1] {
			t.Errorf("README.md:%d: %d contexts created, want %s", b.line, len(seen), m[1])
		}
	}
	if imports < 3 {
		t.Errorf("found %d README blocks importing contexts, want at least 3", imports)
	}
}

// readmeFixtures prepares the directory and environment the README's
// commands expect.
func readmeFixtures(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	const adminPW = "readme-admin-pw"
	srv := mailsim.New(mailsim.Options{Admin: "sxadmin", AdminPassword: adminPW})
	listing := "sxadmin/CN=sxadmin/OU1=demo\nsxqueryadmin/CN=sxqueryadmin/OU1=demo\n"
	srv.AddUser("sxadmin", "", map[string]int{"INBOX": 2, "Calendar": 1, "Contacts": 1, "Sent Items": 1})
	for i := 0; i < 30; i++ {
		listing += fmt.Sprintf("User%d Test%d/S=Test%d/G=User%d/OU1=demo\n", i, i, i, i)
		srv.AddUser(fmt.Sprintf("User%d Test%d", i, i), "", map[string]int{"INBOX": 10 + i, "Calendar": 3, "Contacts": 4, "Sent Items": 5})
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ldap := startSlapd(t, directoryPeople(30))
	files := map[string]string{
		"users.list":  listing,
		"sxadmin.pw":  adminPW + "\n",
		"query.pw":    queryPW + "\n",
		"schemas.csv": readFile(t, filepath.Join(testenv.RepoRoot(), "demo", "schemas.csv")),
		"nodes.txt":   "4/:\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Dir(testenv.Binary(t, "sxwarm"))
	env := append(os.Environ(),
		"PATH="+bin+":"+testenv.StandIns(t)+":"+os.Getenv("PATH"), "LANG=C.UTF-8",
		"IMAP_HOST="+srv.Addr(), "LDAP_URL="+ldap.url,
		"PW=context-admin-secret", "MASTER_PW=oxadminmaster-secret", "OXSIM_MASTER_PASSWORD=oxadminmaster-secret",
		"HOME="+dir) // GNU parallel keeps its state under $HOME
	return dir, env
}

// checkSetupBlock: the set-up block is `make demo` and `make test`. The demo
// runs here (its script, on the binaries this test uses); `make test` is
// what is running this test.
func checkSetupBlock(t *testing.T, b shellBlock) {
	t.Helper()
	if b.body != "make demo\nmake test\n" {
		t.Errorf("README.md:%d: the set-up block changed: %q", b.line, b.body)
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
	for _, want := range []string{"Skipping: sxqueryadmin", "User2 Test2 (5 of 26)... INBOX: ", "Calendar: missing", "25 users ok (1 with missing folders), 0 partial, 0 failed, 1 skipped", "contexts-03.csv"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if ps, _ := exec.Command("pgrep", "-f", filepath.Join(tmp, ".*imapdemo")).Output(); len(ps) > 0 {
		t.Errorf("the demo left its server running: %s", ps)
	}
}

// TestReadmeDocumentsEveryFlag: each flag a tool's --help lists is named in
// the README, so the documentation cannot fall behind the tools.
func TestReadmeDocumentsEveryFlag(t *testing.T) {
	readme := readFile(t, filepath.Join(testenv.RepoRoot(), "README.md"))
	flagRE := regexp.MustCompile(`--[a-z][a-z-]*`)
	for _, tool := range []string{"sxusers", "sxwarm", "ctxrows", "ctxsplit"} {
		help := run(t, "", tool, "--help")
		for _, flag := range flagRE.FindAllString(help.stdout, -1) {
			if flag == "--help" || flag == "--version" {
				continue
			}
			if !regexp.MustCompile(regexp.QuoteMeta(flag) + `\b`).MatchString(readme) {
				t.Errorf("%s %s is not in the README", tool, flag)
			}
		}
	}
}

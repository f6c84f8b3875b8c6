package secret

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"provpipe/pkg/shared/cli"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pw")
	os.WriteFile(file, []byte("from-file\r\nsecond line\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	vars := map[string]string{"PROVPIPE_TEST_PW": "from-env"}
	terminal := func() ([]byte, error) { return []byte("typed"), nil }
	want := Want{What: "admin password", Env: "PROVPIPE_TEST_PW", Flags: "-w"}
	unset := Want{What: "admin password", Env: "PROVPIPE_TEST_UNSET", Flags: "-w"}
	prompted := unset
	prompted.Prompt = "Password: "
	cases := []struct {
		name        string
		flags       Flags
		want        Want
		tty         func() ([]byte, error)
		stdinIsData bool
		got, err    string
	}{
		{"flag wins", Flags{Value: "from-flag", File: file}, want, terminal, false, "from-flag", ""},
		{"the other short form", Flags{Alt: "from-alt", File: file}, want, terminal, false, "from-alt", ""},
		{"both short forms, one value", Flags{Value: "same", Alt: "same"}, want, terminal, false, "same", ""},
		{"both short forms, two values", Flags{Value: "one", Alt: "two"}, want, terminal, false, "", "given twice"},
		{"file next, first line only", Flags{File: file}, want, terminal, false, "from-file", ""},
		{"env next", Flags{}, want, terminal, false, "from-env", ""},
		{"terminal last", Flags{}, prompted, terminal, false, "typed", ""},
		{"no prompt asked for", Flags{}, unset, terminal, false, "", "admin password: no password given: use -w or the PROVPIPE_TEST_UNSET"},
		{"no terminal", Flags{}, prompted, nil, false, "", "no password given"},
		{"terminal holds the data", Flags{}, prompted, terminal, true, "", "no password given"},
		{"empty file", Flags{File: empty}, want, nil, false, "", "first line is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			env := &cli.Env{Stderr: &stderr, ReadPassword: c.tty, LookupEnv: func(k string) (string, bool) {
				v, ok := vars[k]
				return v, ok
			}}
			got, err := c.flags.Resolve(c.want, env, c.stdinIsData)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				if strings.Contains(c.err, "no password") && !errors.Is(err, ErrMissing) {
					t.Errorf("not ErrMissing: %v", err)
				}
				return
			}
			if err != nil || got != c.got {
				t.Errorf("got %q, %v; want %q", got, err, c.got)
			}
			if prompted := stderr.String() == "Password: \n"; prompted != (c.got == "typed") {
				t.Errorf("stderr %q: the prompt is written when, and only when, the terminal is asked", stderr.String())
			}
		})
	}
}

// TestWarnings: a password on the command line, or in a file its group or
// others may read, gets one warning line that never holds the password; a
// private file and the environment get none.
func TestWarnings(t *testing.T) {
	dir := t.TempDir()
	private := filepath.Join(dir, "private")
	os.WriteFile(private, []byte("pw-private\n"), 0o600)
	open := filepath.Join(dir, "open")
	os.WriteFile(open, []byte("pw-open\n"), 0o600)
	os.Chmod(open, 0o644)
	want := Want{Tool: "tool", What: "admin password", Env: "TOOL_PW", Flags: "-w, --password-file"}
	cases := []struct {
		name  string
		flags Flags
		warn  string // "" for none
	}{
		{"command line", Flags{Value: "pw-flag"}, "tool: warning: the admin password on the command line can be read by every local user (ps, /proc); use --password-file or $TOOL_PW\n"},
		{"open file", Flags{File: open}, "tool: warning: password file " + open + " is readable by others (mode 0644); chmod 600 " + open + "\n"},
		{"private file", Flags{File: private}, ""},
		{"environment", Flags{}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			env := &cli.Env{Stderr: &stderr, LookupEnv: func(string) (string, bool) { return "pw-env", true }}
			pw, err := c.flags.Resolve(want, env, false)
			if err != nil {
				t.Fatal(err)
			}
			if stderr.String() != c.warn {
				t.Errorf("stderr %q, want %q", stderr.String(), c.warn)
			}
			if strings.Contains(stderr.String(), pw) {
				t.Errorf("the warning shows the password")
			}
		})
	}
}

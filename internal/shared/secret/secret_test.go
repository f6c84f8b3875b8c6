package secret

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"provpipe/internal/shared/cli"
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

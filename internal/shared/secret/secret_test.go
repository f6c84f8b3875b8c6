package secret

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pw")
	os.WriteFile(file, []byte("from-file\r\nsecond line\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	t.Setenv("PROVPIPE_TEST_PW", "from-env")
	cases := []struct {
		name string
		src  Source
		want string
		err  string
	}{
		{"flag wins", Source{Value: "from-flag", File: file, Env: "PROVPIPE_TEST_PW"}, "from-flag", ""},
		{"file next, first line only", Source{File: file, Env: "PROVPIPE_TEST_PW"}, "from-file", ""},
		{"env last", Source{Env: "PROVPIPE_TEST_PW"}, "from-env", ""},
		{"none", Source{What: "admin password", Env: "PROVPIPE_TEST_UNSET", Flags: "-w"}, "", "admin password: no password given: use -w or the PROVPIPE_TEST_UNSET"},
		{"empty file", Source{File: empty}, "", "first line is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.src.Resolve()
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				if c.name == "none" && !errors.Is(err, ErrMissing) {
					t.Errorf("not ErrMissing: %v", err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

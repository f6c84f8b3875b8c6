package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFindProgramInSbin: a server Debian installs in /usr/sbin is found
// with a PATH that leaves /usr/sbin out, as many users' PATH does.
func TestFindProgramInSbin(t *testing.T) {
	var server string
	for _, name := range []string{"dovecot", "slapd"} {
		if _, err := os.Stat(filepath.Join("/usr/sbin", name)); err == nil {
			server = name
		}
	}
	if server == "" {
		Skip(t, "neither dovecot nor slapd in /usr/sbin (Debian packages dovecot-imapd, slapd)")
	}
	t.Setenv("PATH", "/usr/bin:/bin")
	if _, err := exec.LookPath(server); err == nil {
		t.Fatalf("%s found on PATH=/usr/bin:/bin; the test proves nothing here", server)
	}
	got, err := FindProgram(server)
	if err != nil || got != filepath.Join("/usr/sbin", server) {
		t.Errorf("FindProgram(%q) = %q, %v; want /usr/sbin/%s", server, got, err, server)
	}
	if _, err := FindProgram("no-such-program-provpipe"); err == nil {
		t.Error("a missing program was found")
	}
}

// TestSkipIsRecorded: outside CI a skip is written to $PROVPIPE_SKIPS, as
// "reason<TAB>test", for make test's closing lines.
func TestSkipIsRecorded(t *testing.T) {
	skips := filepath.Join(t.TempDir(), "skips")
	t.Setenv("PROVPIPE_SKIPS", skips)
	t.Setenv("CI", "")
	t.Run("needs a program", func(t *testing.T) {
		RequireProgram(t, "no-such-program-provpipe", "provpipe-test")
		t.Error("RequireProgram returned for a missing program")
	})
	b, err := os.ReadFile(skips)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSuffix(string(b), "\n")
	if !strings.HasPrefix(line, "no-such-program-provpipe not found on PATH nor in /usr/sbin") ||
		!strings.HasSuffix(line, "\tTestSkipIsRecorded/needs_a_program") {
		t.Errorf("recorded %q", line)
	}
}

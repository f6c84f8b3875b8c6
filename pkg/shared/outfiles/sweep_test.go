//go:build unix

package outfiles

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary a writer that is killed mid-write.
const helperEnv = "OUTFILES_KILLED_WRITER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		killedWriter(dir)
		return
	}
	os.Exit(m.Run())
}

// writing keeps the helper's set reachable while it waits.
var writing *Set

// killedWriter writes a shard under a named temporary, says so on stdout
// and waits to be killed.
func killedWriter(dir string) {
	unnamedFiles = false
	set := New(false)
	f, err := set.Create(filepath.Join(dir, "s-01.csv"), 4096)
	if err != nil {
		os.Exit(3)
	}
	f.WriteString("contextid,password\n1,secret\n")
	f.Flush()
	writing = set // held, or the collector closes the file and its lock
	os.Stdout.WriteString("writing\n")
	time.Sleep(time.Hour) // not select{}: the runtime ends a process all of whose goroutines block
}

// TestKilledRunsTemporariesSwept: where files cannot be unnamed, a run
// killed with SIGKILL leaves its named temporary (the passwords inside);
// the next run with the same names removes it and says how many, and
// leaves alone the temporary of a run still at work (it holds a lock).
func TestKilledRunsTemporariesSwept(t *testing.T) {
	dir := t.TempDir()
	live := startWriter(t, dir)
	defer func() { live.Process.Kill(); live.Wait() }()
	killed := startWriter(t, dir)
	killed.Process.Signal(syscall.SIGKILL)
	killed.Wait()
	if n := len(temporaries(t, dir)); n != 2 {
		t.Fatalf("%d temporaries before the sweep, want the killed run's and the live one's", n)
	}

	defer func(was bool) { unnamedFiles = was }(unnamedFiles)
	unnamedFiles = false
	set := New(false)
	if _, err := set.Create(filepath.Join(dir, "s-01.csv"), 4096); err != nil {
		t.Fatal(err)
	}
	defer set.Abort()
	if got := set.Swept(); got != 1 {
		t.Errorf("Swept() = %d, want 1 (the killed run's)", got)
	}
	// Left: the live writer's and this set's own, both locked.
	if n := len(temporaries(t, dir)); n != 2 {
		t.Errorf("%d temporaries after the sweep, want 2: %v", n, temporaries(t, dir))
	}
	again := New(false)
	if _, err := again.Create(filepath.Join(dir, "s-01.csv"), 4096); err != nil {
		t.Fatal(err)
	}
	defer again.Abort()
	if got := again.Swept(); got != 0 {
		t.Errorf("a second set swept %d files in use", got)
	}
}

func startWriter(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "writing\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("writer said %q", line)
	}
	return cmd
}

func temporaries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var tmp []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			tmp = append(tmp, e.Name())
		}
	}
	return tmp
}

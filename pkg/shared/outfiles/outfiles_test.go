package outfiles

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestCommitRenamesAll(t *testing.T) {
	dir := t.TempDir()
	set := New(false)
	for _, n := range []string{"a", "b"} {
		f, err := set.Create(filepath.Join(dir, n), 16)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("data " + n)
	}
	// Before the commit nothing has a name on Linux (unnamed files); elsewhere
	// two hidden temporary names.
	entries, _ := os.ReadDir(dir)
	if runtime.GOOS == "linux" && len(entries) != 0 || runtime.GOOS != "linux" && (len(entries) != 2 || entries[0].Name()[0] != '.') {
		t.Fatalf("before commit: %v", entries)
	}
	if err := set.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b"} {
		if b, err := os.ReadFile(filepath.Join(dir, n)); err != nil || string(b) != "data "+n {
			t.Errorf("%s: %q %v", n, b, err)
		}
	}
	set.Abort() // after commit: nothing happens
	if _, err := os.Stat(filepath.Join(dir, "a")); err != nil {
		t.Error("abort after commit removed a file")
	}
}

func TestRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a")
	os.WriteFile(path, []byte("old"), 0o644)
	if _, err := New(false).Create(path, 16); !errors.Is(err, ErrExists) {
		t.Errorf("Create over existing file: %v", err)
	}
	// A file appearing while the set is written is not clobbered either.
	set := New(false)
	f, err := set.Create(filepath.Join(dir, "b"), 16)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("new")
	os.WriteFile(filepath.Join(dir, "b"), []byte("theirs"), 0o644)
	if err := set.Commit(); !errors.Is(err, ErrExists) {
		t.Errorf("Commit over a file that appeared: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "b")); string(b) != "theirs" {
		t.Errorf("file clobbered: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("temporaries left: %v", entries)
	}
}

func TestAbortRemovesTemporaries(t *testing.T) {
	dir := t.TempDir()
	set := New(true)
	f, _ := set.Create(filepath.Join(dir, "a"), 16)
	f.WriteString("x")
	set.Abort()
	set.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v", entries)
	}
}

// TestForceIsAllOrNothing: a target that cannot be replaced (a directory)
// leaves every other target as it was.
func TestForceIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "s01.csv"), []byte("old"), 0o644)
	os.MkdirAll(filepath.Join(dir, "s02.csv", "x"), 0o755)
	set := New(true)
	for _, n := range []string{"s01.csv", "s02.csv", "s03.csv"} {
		f, err := set.Create(filepath.Join(dir, n), 16)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("new")
	}
	if err := set.Commit(); err == nil {
		t.Fatal("commit over a directory succeeded")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "s01.csv")); string(b) != "old" {
		t.Errorf("s01.csv = %q, want the old content", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "s03.csv")); err == nil {
		t.Error("s03.csv appeared")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("left behind: %v", entries)
	}
}

// TestConcurrentCommitsNeverMix: sets racing for the same paths; each
// ends with one whole set on disk, never a mix, and losers report ErrExists.
func TestConcurrentCommitsNeverMix(t *testing.T) {
	for round := 0; round < 50; round++ {
		dir := t.TempDir()
		names := []string{"a", "b", "c", "d"}
		errs := make(chan error, 2)
		for _, who := range []string{"A", "B"} {
			go func() {
				set := New(false)
				for _, n := range names {
					f, err := set.Create(filepath.Join(dir, n), 16)
					if err != nil {
						errs <- err
						return
					}
					f.WriteString(who)
				}
				errs <- set.Commit()
			}()
		}
		ok := 0
		for range 2 {
			if err := <-errs; err == nil {
				ok++
			} else if !errors.Is(err, ErrExists) {
				t.Fatal(err)
			}
		}
		if ok > 1 {
			t.Fatalf("round %d: both commits succeeded", round)
		}
		var first string
		for _, n := range names {
			b, err := os.ReadFile(filepath.Join(dir, n))
			if ok == 0 {
				if err == nil {
					t.Fatalf("round %d: no winner but %s exists", round, n)
				}
				continue
			}
			if first == "" {
				first = string(b)
			}
			if string(b) != first {
				t.Fatalf("round %d: a mix of both sets: %s = %q, first %q", round, n, b, first)
			}
		}
	}
}

// TestRestartDropsWhatWasWritten: after Restart a file holds only what is
// written next, whether the first writing reached the disk or stayed in
// the buffer.
func TestRestartDropsWhatWasWritten(t *testing.T) {
	dir := t.TempDir()
	set := New(false)
	f, err := set.Create(filepath.Join(dir, "a"), 16)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("a first writing longer than the buffer, ") // passed on to the file
	f.WriteString("and a tail")                               // still buffered
	if err := f.Restart(); err != nil {
		t.Fatal(err)
	}
	f.WriteString("second")
	if err := set.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "a")); err != nil || string(b) != "second" {
		t.Errorf("after restart: %q %v", b, err)
	}
}

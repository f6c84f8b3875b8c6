package outfiles

import (
	"errors"
	"os"
	"path/filepath"
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
	if entries, _ := os.ReadDir(dir); len(entries) != 2 || entries[0].Name()[0] != '.' {
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

// Package outfiles writes a set of output files all or nothing: each file is
// written under a temporary name beside its final path and the set is renamed
// into place only on Commit, so a failed or interrupted run leaves no half
// result and never clobbers an existing file unless told to.
package outfiles

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// ErrExists is returned when a final path exists and overwriting was not allowed.
var ErrExists = errors.New("exists (use --force to overwrite)")

// File is one member of a Set, buffered.
type File struct {
	*bufio.Writer
	Path string // final path
	tmp  *os.File
	sync bool
}

// Set is a group of files committed together.
type Set struct {
	mu        sync.Mutex
	files     []*File
	overwrite bool
	done      bool
	// Sync makes Commit fsync each file before renaming it, so the result
	// survives a power cut; it costs time on large outputs.
	Sync bool
}

// New returns an empty set. With overwrite false, Create and Commit refuse
// to replace an existing file.
func New(overwrite bool) *Set { return &Set{overwrite: overwrite} }

// CheckFree fails if any of paths exists and overwriting is not allowed.
// Tools call it before reading input so a refusal costs nothing.
func CheckFree(paths []string, overwrite bool) error {
	if overwrite {
		return nil
	}
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s: %w", p, ErrExists)
		} else if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

// Create adds a file that will appear at path on Commit.
func (s *Set) Create(path string, bufSize int) (*File, error) {
	if err := CheckFree([]string{path}, s.overwrite); err != nil {
		return nil, err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create temporary file for %s: %w", path, err)
	}
	f := &File{Writer: bufio.NewWriterSize(tmp, bufSize), Path: path, tmp: tmp, sync: s.Sync}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, errors.New("output set already closed")
	}
	s.files = append(s.files, f)
	return f, nil
}

// Commit flushes, syncs and closes every file, then renames each into place.
func (s *Set) Commit() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return errors.New("output set already closed")
	}
	for _, f := range s.files {
		if err := f.finish(); err != nil {
			s.abortLocked()
			return err
		}
	}
	if err := CheckFree(s.paths(), s.overwrite); err != nil {
		s.abortLocked()
		return err
	}
	for _, f := range s.files {
		if err := os.Rename(f.tmp.Name(), f.Path); err != nil {
			s.abortLocked()
			return fmt.Errorf("rename into %s: %w", f.Path, err)
		}
	}
	s.done = true
	return nil
}

func (f *File) finish() error {
	if err := f.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", f.Path, err)
	}
	if f.sync {
		if err := f.tmp.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", f.Path, err)
		}
	}
	if err := f.tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", f.Path, err)
	}
	return nil
}

// Abort removes every temporary file. It is safe to call from a signal
// handler goroutine, more than once, and after Commit (then it does nothing).
func (s *Set) Abort() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.abortLocked()
}

func (s *Set) abortLocked() {
	if s.done {
		return
	}
	s.done = true
	for _, f := range s.files {
		f.tmp.Close()
		os.Remove(f.tmp.Name())
	}
}

func (s *Set) paths() []string {
	out := make([]string, len(s.files))
	for i, f := range s.files {
		out[i] = f.Path
	}
	return out
}

// Package outfiles writes a set of output files all or nothing: each file is
// written beside its final path, as a file with no name where the system
// has them (Linux's O_TMPFILE) or else under a temporary name, and the set
// is linked into place only on Commit, so a failed, interrupted or killed
// run leaves no half result and never clobbers an existing file unless told
// to.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package outfiles

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// ErrExists is returned when a final path exists and overwriting was not allowed.
var ErrExists = errors.New("exists")

// File is one member of a Set, buffered.
type File struct {
	*bufio.Writer
	Path    string // final path
	tmp     *os.File
	unnamed bool // tmp has no name until Commit links it
	sync    bool
}

// Set is a group of files committed together.
type Set struct {
	mu        sync.Mutex
	files     []*File
	obsolete  []string // removed once the set is in place
	overwrite bool
	done      bool
	swept     map[string]bool // temporary-name patterns swept
	removed   int             // stale temporaries removed by the sweeps
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
	tmp, unnamed, err := s.openTemp(path)
	if err != nil {
		return nil, fmt.Errorf("create temporary file for %s: %w", path, err)
	}
	f := &File{Writer: bufio.NewWriterSize(tmp, bufSize), Path: path, tmp: tmp, unnamed: unnamed, sync: s.Sync}
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

// openTemp opens the file that becomes path on Commit: unnamed where the
// system allows it, else named ".BASE.*.tmp" beside path, locked while
// open, after the stale ones of that name (left by a killed run) are
// removed.
func (s *Set) openTemp(path string) (*os.File, bool, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if unnamedFiles {
		if f, ok, err := openUnnamed(dir); ok || err != nil {
			return f, ok, err
		}
	}
	pattern := "." + base + ".*.tmp"
	if err := s.sweep(dir, pattern); err != nil {
		return nil, false, err
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, false, err
	}
	if err := lockTemp(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, false, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return f, false, nil
}

// unnamedFiles is false in the tests of the named fallback.
var unnamedFiles = true

// sweep removes the stale temporaries of pattern in dir, once per set.
func (s *Set) sweep(dir, pattern string) error {
	key := filepath.Join(dir, pattern)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.swept[key] {
		return nil
	}
	n, err := sweepStale(dir, pattern)
	if s.swept == nil {
		s.swept = map[string]bool{}
	}
	s.swept[key], s.removed = true, s.removed+n
	if err != nil {
		return fmt.Errorf("remove stale temporary files %s: %w", key, err)
	}
	return nil
}

// Swept is how many temporary files left by earlier, killed runs the set
// removed (only where files cannot be unnamed); the tool says so.
func (s *Set) Swept() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.removed
}

// link gives the written file the name path; it fails if path exists.
func (f *File) link(path string) error {
	if f.unnamed {
		return linkUnnamed(f.tmp, path)
	}
	return os.Link(f.tmp.Name(), path)
}

// Commit flushes, syncs and closes every file, then puts the whole set in
// place or none of it. Without overwrite each final path is claimed with a
// hard link, which fails if the path exists: two runs racing for the same
// paths can never both succeed nor leave a mix. With overwrite, existing
// files are moved aside first and restored if any rename fails.
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
	var err error
	if s.overwrite {
		err = s.replaceAll()
	} else {
		err = s.claimAll()
	}
	s.abortLocked() // removes the temporary names (the data lives on under the final ones)
	if err == nil {
		for _, p := range s.obsolete {
			if rerr := os.Remove(p); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				return fmt.Errorf("remove %s: %w", p, rerr)
			}
		}
	}
	return err
}

// RemoveOnCommit names files to delete once the set is in place (an
// earlier run's leftovers), and only then.
func (s *Set) RemoveOnCommit(paths ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.obsolete = append(s.obsolete, paths...)
}

// claimAll links every temporary file to its final path; if any path is
// taken, the ones this set claimed are removed again.
func (s *Set) claimAll() error {
	var claimed []string
	for _, f := range s.files {
		if err := f.link(f.Path); err != nil {
			for _, p := range claimed {
				os.Remove(p)
			}
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%s: %w", f.Path, ErrExists)
			}
			return fmt.Errorf("create %s: %w", f.Path, err)
		}
		claimed = append(claimed, f.Path)
	}
	return nil
}

// replaceAll renames every temporary file over its final path, all or
// nothing: a path that cannot be replaced (a directory) is found before
// anything moves, and a rename failing half-way puts the old files back.
func (s *Set) replaceAll() error {
	for _, f := range s.files {
		if fi, err := os.Lstat(f.Path); err == nil && fi.IsDir() {
			return fmt.Errorf("replace %s: is a directory", f.Path)
		}
	}
	type moved struct{ path, backup string }
	var aside []moved
	restore := func(placed []string) {
		for _, p := range placed {
			os.Remove(p)
		}
		for _, m := range aside {
			os.Rename(m.backup, m.path)
		}
	}
	for _, f := range s.files {
		backup := backupName(f.Path)
		if err := os.Rename(f.Path, backup); err == nil {
			aside = append(aside, moved{f.Path, backup})
		} else if !errors.Is(err, os.ErrNotExist) {
			restore(nil)
			return fmt.Errorf("move aside %s: %w", f.Path, err)
		}
	}
	var placed []string
	for _, f := range s.files {
		if err := f.link(f.Path); err != nil {
			restore(placed)
			return fmt.Errorf("put %s in place: %w", f.Path, err)
		}
		placed = append(placed, f.Path)
	}
	for _, m := range aside {
		os.Remove(m.backup)
	}
	return nil
}

// backupName is where replaceAll moves an existing file aside.
func backupName(path string) string {
	dir, base := filepath.Split(path)
	return filepath.Join(dir, fmt.Sprintf(".%s.%d.old", base, os.Getpid()))
}

// Restart drops what was written to f, to write it again from the start.
func (f *File) Restart() error {
	f.Writer.Reset(f.tmp)
	if _, err := f.tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind temporary file for %s: %w", f.Path, err)
	}
	if err := f.tmp.Truncate(0); err != nil {
		return fmt.Errorf("truncate temporary file for %s: %w", f.Path, err)
	}
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
	if f.unnamed {
		return nil // closed by abortLocked, once linked: closing loses it
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
		if !f.unnamed {
			os.Remove(f.tmp.Name())
		}
	}
}

//go:build unix

package outfiles

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// lockTemp marks a named temporary file as in use for as long as it is
// open: sweepStale leaves a locked file alone (another run is writing it)
// and removes one nobody holds (its run was killed). The lock goes with
// the process, kill -9 included.
func lockTemp(f *os.File) error {
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
}

// sweepStale removes the named temporaries of pattern (".BASE.*.tmp") in
// dir that no process holds, and returns how many it removed. A run
// killed where unnamed files are not available leaves its temporaries
// (with the contexts' passwords in them); the next run cleans up.
func sweepStale(dir, pattern string) (int, error) {
	paths, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, p := range paths {
		f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW, 0)
		if err != nil {
			continue // gone meanwhile, or not ours to open
		}
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
			f.Close() // held: a run at work
			continue
		}
		fi, err := f.Stat()
		if err == nil && fi.Mode().IsRegular() {
			if err := os.Remove(p); err == nil {
				removed++
			} else if !errors.Is(err, os.ErrNotExist) {
				f.Close()
				return removed, err
			}
		}
		f.Close()
	}
	return removed, nil
}

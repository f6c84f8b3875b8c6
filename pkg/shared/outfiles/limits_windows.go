//go:build windows

package outfiles

import (
	"os"

	"golang.org/x/sys/windows"
)

// EnsureOpenFiles has nothing to raise: Windows sets no per-process limit
// on open files that a split of up to 10 000 shards would meet.
func EnsureOpenFiles(int) error { return nil }

// lockFile locks the file's first byte, waiting for it, as flock does on
// Unix: the writers of one --append file take turns. (A byte lock, not the
// whole file: appends land past it and are not blocked by it.)
func lockFile(f *os.File) error {
	return windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, new(windows.Overlapped))
}

func unlockFile(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
}

//go:build unix

package outfiles

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// EnsureOpenFiles raises the soft limit on open files to what need takes,
// up to the hard limit, or says why it cannot.
func EnsureOpenFiles(need int) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return nil // unknown: let open fail with its own error
	}
	if uint64(need) <= uint64(lim.Cur) {
		return nil
	}
	if uint64(need) > uint64(lim.Max) {
		return fmt.Errorf("needs %d open files, the limit is %d (ulimit -Hn)", need, lim.Max)
	}
	setLimit(&lim.Cur, need) // uint64 on Linux, int64 on the BSDs
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raise the open-file limit to %d: %w", need, err)
	}
	return nil
}

func setLimit[T int64 | uint64](field *T, n int) { *field = T(n) }

// lockFile takes the file's advisory lock, waiting for it: the writers of
// one --append file take turns.
func lockFile(f *os.File) error { return unix.Flock(int(f.Fd()), unix.LOCK_EX) }

func unlockFile(f *os.File) error { return unix.Flock(int(f.Fd()), unix.LOCK_UN) }

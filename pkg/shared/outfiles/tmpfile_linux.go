package outfiles

import (
	"errors"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// openUnnamed opens a file with no name in dir (O_TMPFILE): what is written
// to it (the contexts' passwords, in ctxsplit's shards) is gone with the
// process however it ends, kill -9 included, until link gives it a name.
// ok is false where the file system cannot (the caller falls back to a
// named temporary file).
func openUnnamed(dir string) (f *os.File, ok bool, err error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EINVAL) {
			return nil, false, nil
		}
		return nil, false, &os.PathError{Op: "open unnamed file in", Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), ""), true, nil
}

// linkUnnamed gives an unnamed file its name; it fails if path exists.
// Through /proc/self/fd, as linkat with AT_EMPTY_PATH needs a capability.
func linkUnnamed(f *os.File, path string) error {
	proc := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	if err := unix.Linkat(unix.AT_FDCWD, proc, unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW); err != nil {
		return &os.LinkError{Op: "link", Old: "unnamed file", New: path, Err: err}
	}
	return nil
}

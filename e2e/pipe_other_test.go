//go:build unix && !linux

package e2e

import (
	"os"

	"golang.org/x/sys/unix"
)

// fionread is the BSDs' and macOS's FIONREAD, _IOR('f', 127, int), which
// x/sys/unix does not name there.
const fionread = 0x4004667f

// pipeEmpty tells whether the pipe w writes to holds no unread byte.
func pipeEmpty(w *os.File) bool {
	n, err := unix.IoctlGetInt(int(w.Fd()), fionread)
	return err == nil && n == 0
}

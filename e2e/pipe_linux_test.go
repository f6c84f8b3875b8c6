package e2e

import (
	"os"

	"golang.org/x/sys/unix"
)

// pipeEmpty tells whether the pipe w writes to holds no unread byte.
func pipeEmpty(w *os.File) bool {
	n, err := unix.IoctlGetInt(int(w.Fd()), unix.TIOCINQ)
	return err == nil && n == 0
}

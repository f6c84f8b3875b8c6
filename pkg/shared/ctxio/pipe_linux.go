package ctxio

import (
	"os"
	"syscall"
)

// fSetPipeSize is Linux's F_SETPIPE_SZ (fcntl(2)); package syscall does
// not name it.
const fSetPipeSize = 1031

// widenPipe asks the kernel for a 1 MiB pipe buffer when f is a pipe, in
// place of the default 64 KiB: a writer as fast as ctxrows then blocks, and
// the reader wakes, 16 times less often. Refused (a lower
// /proc/sys/fs/pipe-max-size, or not a pipe), it changes nothing.
func widenPipe(f *os.File) {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return
	}
	syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), fSetPipeSize, pumpBuffer)
}

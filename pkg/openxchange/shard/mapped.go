//go:build unix

package shard

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"unsafe"

	"golang.org/x/sys/unix"

	"provpipe/pkg/shared/csvstream"
)

// mapping is a regular file's input mapped into memory, from where the
// file stood when the split began to its end then: the passes cut records
// where they lie in it, in windows as large as the read buffers, instead
// of reading every byte through the kernel into a buffer first (15 % of
// ctxsplit's time from a file). Should the file grow meanwhile, what
// follows the mapped end is read as before; should it shrink, touching
// the lost pages faults (SIGBUS), which guard turns into an error.
type mapping struct {
	name  string
	file  *os.File
	start int64  // the input's first byte in the file
	data  []byte // the input
	pages []byte // the mapping, from the page data starts on
	// dropped is how much of data is given back to the page cache: the
	// pages behind the windows are let go, so the split's memory stays
	// flat however large the file (touched again, they come back).
	dropped, reached int
}

// dropBehind is how far behind the newest window pages are let go: the
// second stage is never that far behind (a few thousand records, some
// hundred kilobytes), and should it be, the pages come back.
const dropBehind = 2 << 20

// mapInput maps in if it is a regular file with bytes left to read, or
// returns nil: the input is then read.
func mapInput(in io.Reader, name string) *mapping {
	f, ok := in.(*os.File)
	if !ok {
		return nil
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	start, err := f.Seek(0, io.SeekCurrent)
	if err != nil || fi.Size() <= start || fi.Size()-start > int64(^uint(0)>>1) {
		return nil
	}
	page := int64(os.Getpagesize())
	from := start - start%page
	pages, err := unix.Mmap(int(f.Fd()), from, int(fi.Size()-from), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil // reading works where mapping does not
	}
	if afterMapping != nil {
		afterMapping(f)
	}
	return &mapping{name: name, file: f, start: start, data: pages[start-from:], pages: pages}
}

// afterMapping, set by a test, changes the file once it is mapped.
var afterMapping func(*os.File)

// attach has r take the mapped bytes (the file is placed past them, for
// whatever follows), each window checked for the end of ctx first and
// given to fresh, if not nil.
func (m *mapping) attach(ctx context.Context, r *csvstream.Reader, fresh func([]byte)) error {
	if m == nil {
		return nil
	}
	if _, err := m.file.Seek(m.start+int64(len(m.data)), io.SeekStart); err != nil {
		return fmt.Errorf("%s: %w", m.name, err)
	}
	m.dropped, m.reached = 0, 0
	r.Map(m.data, readBlock, func(window []byte) error {
		if err := context.Cause(ctx); err != nil {
			return err
		}
		if fresh != nil {
			fresh(window)
		}
		m.reached += len(window)
		m.dropBehind()
		return nil
	})
	return nil
}

// dropBehind lets go of the whole pages more than dropBehind behind the
// newest window.
func (m *mapping) dropBehind() {
	if m.reached-m.dropped < 2*dropBehind {
		return
	}
	page, skew := os.Getpagesize(), len(m.pages)-len(m.data)
	from := (skew + m.dropped) / page * page
	to := (skew + m.reached - dropBehind) / page * page
	if to > from && unix.Madvise(m.pages[from:to], unix.MADV_DONTNEED) == nil {
		m.dropped = to - skew
	}
}

// guard runs f, a fault on the mapped input made its error: the file was
// cut short while it was split. So is any other error once the file is
// shorter than mapped: the rest of its last page reads as zeros, which
// the reader would call a binary file. Each goroutine that touches the
// mapped bytes runs under a guard of its own.
func (m *mapping) guard(f func() error) (err error) {
	if m == nil {
		return f()
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			fault, ok := p.(interface{ Addr() uintptr })
			if !ok || !m.holds(fault.Addr()) {
				panic(p)
			}
			err = m.shorter()
		}
		if err != nil && m.shrunk() {
			err = m.shorter()
		}
	}()
	return f()
}

func (m *mapping) shorter() error {
	return fmt.Errorf("%s: the file got shorter while it was split (%d bytes when opened)", m.name, m.start+int64(len(m.data)))
}

// shrunk tells whether the file is now shorter than its mapping.
func (m *mapping) shrunk() bool {
	fi, err := m.file.Stat()
	return err == nil && fi.Size() < m.start+int64(len(m.data))
}

// holds says whether addr is in the mapping.
func (m *mapping) holds(addr uintptr) bool {
	base := uintptr(unsafe.Pointer(unsafe.SliceData(m.pages)))
	return addr >= base && addr < base+uintptr(len(m.pages))
}

// close unmaps the input, once no goroutine touches it any more.
func (m *mapping) close() {
	if m != nil {
		unix.Munmap(m.pages)
	}
}

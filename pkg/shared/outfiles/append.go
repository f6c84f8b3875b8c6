package outfiles

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// Appender adds whole records to a file that several processes may share
// (sxwarm --append under GNU parallel). Each Write is one record: under an
// exclusive lock it is appended whole, or, when the write fails part way (a
// full disk, a file size limit), what it wrote is cut off again, so the file
// never ends in a torn record that the next writer would run on from.
type Appender struct {
	f    *os.File
	path string
}

// OpenAppend opens path for appending, creating it. A torn last record left
// by a process killed mid-write is cut off first; warn says so.
func OpenAppend(path string, warn func(string)) (*Appender, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	a := &Appender{f: f, path: path}
	if err := a.locked(func(size int64) error { return a.cutTornTail(size, warn) }); err != nil {
		f.Close()
		return nil, err
	}
	return a, nil
}

// Write appends p, which should end in a newline, whole or not at all.
func (a *Appender) Write(p []byte) (int, error) {
	err := a.locked(func(size int64) error {
		n, err := a.f.Write(p)
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named below
		}
		if err != nil && n > 0 {
			if terr := a.f.Truncate(size); terr != nil {
				return fmt.Errorf("%s: %w; cutting off the partial record failed too: %v", a.path, err, terr)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", a.path, err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close closes the file.
func (a *Appender) Close() error { return a.f.Close() }

// locked runs fn with the file locked against the other writers, passing
// the file's size.
func (a *Appender) locked(fn func(size int64) error) error {
	if err := lockFile(a.f); err != nil {
		return fmt.Errorf("%s: lock: %w", a.path, err)
	}
	defer unlockFile(a.f)
	st, err := a.f.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", a.path, err)
	}
	return fn(st.Size())
}

// cutTornTail removes an unfinished last line.
func (a *Appender) cutTornTail(size int64, warn func(string)) error {
	if size == 0 {
		return nil
	}
	r, err := os.Open(a.path)
	if err != nil {
		return err
	}
	defer r.Close()
	end, err := lastLineEnd(r, size)
	if err != nil {
		return fmt.Errorf("%s: %w", a.path, err)
	}
	if end == size {
		return nil
	}
	if err := a.f.Truncate(end); err != nil {
		return fmt.Errorf("%s: cut off the torn last line: %w", a.path, err)
	}
	warn(fmt.Sprintf("%s: cut off a torn last line (%d bytes) an interrupted write left", a.path, size-end))
	return nil
}

// lastLineEnd is the offset just after the file's last newline (0 if none).
func lastLineEnd(r io.ReaderAt, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		start := max(0, end-int64(len(buf)))
		chunk := buf[:end-start]
		if _, err := r.ReadAt(chunk, start); err != nil && err != io.EOF {
			return 0, err
		}
		if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

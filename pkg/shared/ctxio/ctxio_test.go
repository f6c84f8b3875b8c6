package ctxio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var errStopped = errors.New("stopped by the test")

// TestBlockedReadReturns: a read of a pipe whose writer is silent returns
// with the context's cause once the context ends.
func TestBlockedReadReturns(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithCancelCause(context.Background())
	in := Reader(ctx, r)
	w.Write([]byte("first"))
	buf := make([]byte, 16)
	n, err := in.Read(buf)
	if err != nil || string(buf[:n]) != "first" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := in.Read(buf)
		done <- err
	}()
	time.AfterFunc(50*time.Millisecond, func() { cancel(errStopped) })
	select {
	case err := <-done:
		if !errors.Is(err, errStopped) {
			t.Errorf("error %v, want the cause", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the read did not return when the context ended")
	}
}

// TestCopiesEverything: the pumped reader hands on every byte in order,
// whatever the sizes of the reads.
func TestCopiesEverything(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 3*pumpBuffer/16+7)
	for _, size := range []int{1, 7, 4096, pumpBuffer, 3 * pumpBuffer} {
		in := Reader(context.Background(), io.MultiReader(bytes.NewReader(data[:1000]), bytes.NewReader(data[1000:])))
		ctx, cancel := context.WithCancel(context.Background())
		in = Reader(ctx, in)
		var got bytes.Buffer
		buf := make([]byte, size)
		for {
			n, err := in.Read(buf)
			got.Write(buf[:n])
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		cancel()
		if !bytes.Equal(got.Bytes(), data) {
			t.Errorf("reads of %d: %d bytes differ from the %d written", size, got.Len(), len(data))
		}
	}
}

// TestRegularFileStaysSeekable: a file is checked between reads, not
// pumped, and Blocks says so.
func TestRegularFileStaysSeekable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	os.WriteFile(path, []byte("abc"), 0o600)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if Blocks(f) {
		t.Error("a regular file reported as blocking")
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	in := Reader(ctx, f)
	cancel(errStopped)
	if _, err := in.Read(make([]byte, 3)); !errors.Is(err, errStopped) {
		t.Errorf("read after the end: %v, want the cause", err)
	}
}

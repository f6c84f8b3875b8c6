//go:build !unix

package shard

import (
	"context"
	"io"

	"provpipe/pkg/shared/csvstream"
)

// mapping is nil where files are not mapped: every input is read.
type mapping struct{ data []byte }

func mapInput(io.Reader, string) *mapping { return nil }

func (m *mapping) attach(context.Context, *csvstream.Reader, func([]byte)) error { return nil }

func (m *mapping) guard(f func() error) error { return f() }

func (m *mapping) close() {}

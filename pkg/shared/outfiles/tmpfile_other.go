//go:build !linux

package outfiles

import (
	"errors"
	"os"
)

// openUnnamed reports that this system has no unnamed files (O_TMPFILE):
// the set writes named temporary files instead.
func openUnnamed(string) (*os.File, bool, error) { return nil, false, nil }

func linkUnnamed(*os.File, string) error {
	return errors.New("unnamed files are not supported here")
}

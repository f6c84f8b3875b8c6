//go:build unix

package e2e

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"provpipe/internal/testserver/testenv"
)

// TestMain skips the whole package under -short (make unit): every test
// here runs the built tools, most against real or embedded servers.
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped under -short (make unit); make test runs them")
		os.Exit(0)
	}
	code := m.Run()
	testenv.Cleanup() // the commands built when $PROVPIPE_BIN is not set
	os.Exit(code)
}

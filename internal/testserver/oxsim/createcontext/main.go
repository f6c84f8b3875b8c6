// Command createcontext is the test-only stand-in for Open-Xchange's
// createcontext --csv-import; see package oxsim for the contract it follows.
package main

import (
	"os"

	"provpipe/internal/testserver/oxsim"
)

func main() {
	os.Exit(oxsim.Main(oxsim.Env{Args: os.Args[1:], Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}

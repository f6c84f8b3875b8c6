// Command ctxcreate creates Open-Xchange contexts over the SOAP API from
// createcontext CSV rows, one stream per schema at a time, and prints one
// result line per context.
package main

import (
	"os"

	"provpipe/pkg/openxchange/ctxcreatecli"
	"provpipe/pkg/shared/cli"
)

func main() {
	os.Exit(ctxcreatecli.Main(os.Args[1:], cli.OSEnv()))
}

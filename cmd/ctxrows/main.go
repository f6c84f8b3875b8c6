// Command ctxrows writes the CSV rows for Open-Xchange's
// `createcontext --csv-import`, one per context, or with
// --users-per-context the rows for `createuser --csv-import`.
package main

import (
	"os"

	"provpipe/internal/openxchange/ctxrowscli"
	"provpipe/internal/shared/cli"
)

func main() {
	os.Exit(ctxrowscli.Main(os.Args[1:], cli.OSEnv()))
}

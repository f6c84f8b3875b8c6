// Command ctxrows writes the CSV rows for Open-Xchange's
// `createcontext --csv-import`, one per context, or with
// --users-per-context the rows for `createuser --csv-import`.
package main

import (
	"os"

	"provpipe/pkg/openxchange/ctxrowscli"
	"provpipe/pkg/shared/cli"
)

func main() {
	os.Exit(ctxrowscli.Main(os.Args[1:], cli.OSEnv()))
}

// Command ctxsplit splits a CSV stream into N shard files, the header at the
// top of each, records never broken, and prints the paths it wrote.
package main

import (
	"os"

	"provpipe/pkg/openxchange/ctxsplitcli"
	"provpipe/pkg/shared/cli"
)

func main() {
	os.Exit(ctxsplitcli.Main(os.Args[1:], cli.OSEnv()))
}

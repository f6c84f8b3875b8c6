// Command sxwarm is not written yet; see the project's open issues.
package main

import (
	"os"

	"provpipe/pkg/cli"
)

type command struct {
	cli.VersionFlag
}

func main() {
	os.Exit(cli.Main("sxwarm", "Not implemented yet.", &command{}, os.Args[1:], os.Stderr))
}

func (c *command) Run() error {
	return cli.Usagef("sxwarm is not implemented yet")
}

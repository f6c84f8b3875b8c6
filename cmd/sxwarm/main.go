// Command sxwarm warms every user's folders over IMAP, as an admin acting as
// each user, and prints a timing line per user.
package main

import (
	"os"

	"provpipe/pkg/scalix/sxwarmcli"
	"provpipe/pkg/shared/cli"
)

func main() {
	os.Exit(sxwarmcli.Main(os.Args[1:], cli.OSEnv()))
}

// Command sxusers finds the users to warm, from omsearch, a file of its
// output, a list of names or an LDAP directory, and writes them as a stream
// that sxwarm reads.
package main

import (
	"os"

	"provpipe/pkg/scalix/sxuserscli"
	"provpipe/pkg/shared/cli"
)

func main() {
	os.Exit(sxuserscli.Main(os.Args[1:], cli.OSEnv()))
}

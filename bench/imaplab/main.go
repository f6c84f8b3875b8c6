// Command imaplab prepares and serves the Dovecot that `make bench` warms:
//
//	imaplab populate DIR   write N users x 4 folders x M messages, and one big folder
//	imaplab serve DIR      reset Dovecot's indexes, start it, print its address,
//	                       stop when stdin closes
//	imaplab cyrus-populate DIR -root R, imaplab cyrus-serve DIR -root R
//	                       the same for Cyrus, unpacked in R (cyrus.go)
//
// The benchmark resets the indexes before every measured run, so each tool
// meets cold mailboxes, which is the state warming exists for.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"provpipe/internal/testserver/dovecotlab"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: imaplab populate|serve|cyrus-populate|cyrus-serve DIR [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "populate":
		err = populate(os.Args[2], os.Args[3:])
	case "serve":
		err = serve(os.Args[2])
	case "cyrus-populate":
		err = cyrusPopulate(os.Args[2], os.Args[3:])
	case "cyrus-serve":
		err = cyrusServe(os.Args[2], os.Args[3:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "imaplab:", err)
		os.Exit(1)
	}
}

func populate(dir string, args []string) error {
	fs := flag.NewFlagSet("populate", flag.ExitOnError)
	users := fs.Int("users", 200, "users")
	messages := fs.Int("messages", 500, "messages per folder")
	big := fs.Int("big", 100000, "messages in biguser's INBOX (0: none)")
	body := fs.Int("body", 2000, "body bytes per message")
	only := fs.String("folders", "INBOX,Calendar,Contacts,Sent Items", "folders of each user")
	fs.Parse(args)
	all := map[string]map[string]int{}
	for i := 0; i < *users; i++ {
		folders := map[string]int{}
		for _, f := range strings.Split(*only, ",") {
			folders[f] = *messages
		}
		all[fmt.Sprintf("user%d", i)] = folders
	}
	if *big > 0 {
		all["biguser"] = map[string]int{"INBOX": *big}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return dovecotlab.Populate(dir, all, *body)
}

func serve(dir string) error {
	if err := dovecotlab.ResetIndexes(dir); err != nil {
		return fmt.Errorf("reset indexes: %w", err)
	}
	os.Remove(filepath.Join(dir, "dovecot.log"))
	lab, err := dovecotlab.Start(dir, os.Stderr)
	if err != nil {
		return err
	}
	defer lab.Stop()
	fmt.Println(lab.Addr)
	io.Copy(io.Discard, os.Stdin) // until the benchmark closes our stdin
	return nil
}

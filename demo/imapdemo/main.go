// Command imapdemo serves `make demo`: the project's embedded IMAP server
// (internal/testserver/mailsim) on 127.0.0.1 with demo users, standing in for a Scalix
// server. It writes the users as omsearch would list them, prints its
// address on stdout and serves until its stdin closes, so the demo script
// can never leave it running; with -keep (make sandbox) it serves until
// SIGINT or SIGTERM instead.
//
//	imapdemo [-keep] -users N -list FILE -password-file FILE
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"provpipe/internal/testserver/mailsim"
)

// Demo admin: acts as every user with mboxadmin:ADMIN:USER logins.
const admin = "sxadmin"

func main() {
	users := flag.Int("users", 24, "demo users besides sxadmin and sxqueryadmin")
	list := flag.String("list", "users.list", "write the omsearch-style user listing here")
	pwFile := flag.String("password-file", "admin.pw", "write the admin password here")
	keep := flag.Bool("keep", false, "serve until SIGINT or SIGTERM, not until stdin closes")
	ldapDir := flag.String("ldap", "", "also run a throwaway OpenLDAP with the users in this directory (writes ldap.url and query.pw there)")
	flag.Parse()
	until := func() { io.Copy(io.Discard, os.Stdin) }
	if *keep {
		until = func() {
			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
			<-sigs
		}
	}
	if err := serve(*users, *list, *pwFile, *ldapDir, until); err != nil {
		fmt.Fprintln(os.Stderr, "imapdemo:", err)
		os.Exit(1)
	}
}

func serve(n int, list, pwFile, ldapDir string, until func()) error {
	const password = "demo-admin-secret"
	srv := mailsim.New(mailsim.Options{Admin: admin, AdminPassword: password})
	var listing strings.Builder
	listing.WriteString("sxadmin/CN=sxadmin/OU1=demo/OU2=scalix\n")
	if err := srv.AddUser(admin, "", folders(0, true)); err != nil {
		return err
	}
	// sxqueryadmin is the directory's query account: listed, no mailbox.
	listing.WriteString("sxqueryadmin/CN=sxqueryadmin/OU1=demo/OU2=scalix\n")
	names := []string{admin}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("User%d Test%d", i, i)
		names = append(names, name)
		fmt.Fprintf(&listing, "%s/S=Test%d/G=User%d/OU1=demo/OU2=scalix\n", name, i, i)
		// User2 never opened a calendar: its folder is reported missing.
		if err := srv.AddUser(name, "", folders(i+1, i != 2)); err != nil {
			return err
		}
	}
	if err := os.WriteFile(list, []byte(listing.String()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		return err
	}
	if ldapDir != "" {
		stop, err := startLDAP(ldapDir, names)
		if err != nil {
			return err
		}
		defer stop()
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		return err
	}
	defer srv.Close()
	fmt.Println(srv.Addr())
	until()
	return nil
}

// folders gives user k a few hundred messages, more in INBOX, varied per user.
func folders(k int, calendar bool) map[string]int {
	f := map[string]int{
		"INBOX":      150 + 37*k%200,
		"Contacts":   20 + 7*k%40,
		"Sent Items": 60 + 13*k%90,
	}
	if calendar {
		f["Calendar"] = 30 + 11*k%50
	}
	return f
}

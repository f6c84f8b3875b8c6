package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"provpipe/internal/testserver/loopback"
	"provpipe/internal/testserver/testenv"
)

// The sandbox directory's query account, as README's LDAP examples bind.
const (
	queryDN = "cn=sxqueryadmin,o=Scalix"
	queryPW = "sandbox-query-secret"
)

// startLDAP runs a throwaway OpenLDAP (Debian's slapd) under dir with an
// o=Scalix tree of the demo's users, writes its URL to dir/ldap.url and the
// query account's password to query.pw, and returns a func that stops it.
func startLDAP(dir string, users []string) (stop func(), err error) {
	slapd, err := testenv.FindProgram("slapd")
	if err != nil {
		return nil, fmt.Errorf("-ldap: slapd not found (apt-get install slapd): %w", err)
	}
	slapadd, err := testenv.FindProgram("slapadd")
	if err != nil {
		return nil, fmt.Errorf("-ldap: slapadd not found (apt-get install slapd): %w", err)
	}
	db := filepath.Join(dir, "ldap-db")
	if err := os.MkdirAll(db, 0o700); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "slapd.conf")
	if err := os.WriteFile(conf, []byte(slapdConf(dir, db)), 0o600); err != nil {
		return nil, err
	}
	ldif := filepath.Join(dir, "ldap.ldif")
	if err := os.WriteFile(ldif, []byte(demoLDIF(users)), 0o600); err != nil {
		return nil, err
	}
	if out, err := exec.Command(slapadd, "-q", "-f", conf, "-l", ldif).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("slapadd: %v: %s", err, out)
	}
	port, err := loopback.FreePort()
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("ldap://127.0.0.1:%d", port)
	cmd := exec.Command(slapd, "-f", conf, "-h", url+"/", "-d", "0")
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start slapd: %w", err)
	}
	stop = func() { cmd.Process.Kill(); cmd.Wait() }
	if err := loopback.WaitListening(fmt.Sprintf("127.0.0.1:%d", port), 15*time.Second); err != nil {
		stop()
		return nil, fmt.Errorf("slapd: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "query.pw"), []byte(queryPW+"\n"), 0o600); err != nil {
		stop()
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "ldap.url"), []byte(url+"\n"), 0o644); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

func slapdConf(dir, db string) string {
	return fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile %s/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 268435456
suffix "o=Scalix"
rootdn "cn=Manager,o=Scalix"
directory %s
access to attrs=userPassword by anonymous auth by * none
access to * by * read
`, dir, db)
}

// demoLDIF is the o=Scalix tree: the query account and one inetOrgPerson
// with mail per demo user.
func demoLDIF(users []string) string {
	var b strings.Builder
	b.WriteString("dn: o=Scalix\nobjectClass: organization\no: Scalix\n\n")
	fmt.Fprintf(&b, "dn: %s\nobjectClass: person\ncn: sxqueryadmin\nsn: sxqueryadmin\nuserPassword: %s\n\n", queryDN, queryPW)
	for _, u := range users {
		surname := u
		if i := strings.LastIndexByte(u, ' '); i >= 0 {
			surname = u[i+1:]
		}
		fmt.Fprintf(&b, "dn: cn=%s,o=Scalix\nobjectClass: inetOrgPerson\ncn: %s\nsn: %s\nmail: %s@example.com\n\n",
			u, u, surname, strings.ReplaceAll(strings.ToLower(u), " ", "."))
	}
	return b.String()
}

//go:build unix

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"provpipe/internal/testserver/loopback"
	"provpipe/internal/testserver/testcert"
	"provpipe/internal/testserver/testenv"
)

// slapd is a throwaway OpenLDAP server started for one test: a Scalix-like
// o=Scalix tree in an mdb database under a temporary directory, on
// 127.0.0.1 and a port the test picked, with a size limit of 500 so that
// listing more entries needs paged results.
type slapd struct {
	url  string
	cert testcert.Files
}

// Bind account and password of the Scalix query service.
const (
	queryDN = "cn=sxqueryadmin,o=Scalix"
	queryPW = "query-secret-42"
)

// ldapUser is one person of the test directory.
type ldapUser struct{ given, surname string }

func (u ldapUser) cn() string { return strings.TrimSpace(u.given + " " + u.surname) }

func startSlapd(t *testing.T, people []ldapUser) *slapd {
	t.Helper()
	bin := testenv.RequireProgram(t, "slapd", "slapd")
	slapadd := testenv.RequireProgram(t, "slapadd", "slapd")
	dir := t.TempDir()
	s := &slapd{cert: testcert.New(t, dir)}
	os.MkdirAll(filepath.Join(dir, "db"), 0o700)
	conf := filepath.Join(dir, "slapd.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile %[1]s/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile %[2]s
TLSCertificateFile %[3]s
TLSCertificateKeyFile %[4]s
sizelimit size.soft=500 size.hard=500 size.prtotal=unlimited
database mdb
maxsize 268435456
suffix "o=Scalix"
rootdn "cn=Manager,o=Scalix"
rootpw manager-secret
directory %[1]s/db
access to attrs=userPassword by anonymous auth by * none
access to * by * read
`, dir, s.cert.CA, s.cert.Cert, s.cert.Key)), 0o600)
	ldif := filepath.Join(dir, "data.ldif")
	os.WriteFile(ldif, []byte(scalixLDIF(people)), 0o600)
	if out, err := exec.Command(slapadd, "-q", "-f", conf, "-l", ldif).CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}
	port, err := loopback.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	s.url = fmt.Sprintf("ldap://127.0.0.1:%d", port)
	cmd := exec.Command(bin, "-f", conf, "-h", s.url+"/", "-d", "0")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start slapd: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if err := loopback.WaitListening(fmt.Sprintf("127.0.0.1:%d", port), 15*time.Second); err != nil {
		t.Fatalf("slapd: %v\n%s", err, logs.String())
	}
	return s
}

// scalixLDIF is the tree: o=Scalix, the admin and the query service account,
// the people (inetOrgPerson with mail), and two entries the default filter
// must leave out: a person without mail and an organizational unit.
func scalixLDIF(people []ldapUser) string {
	var b strings.Builder
	b.WriteString("dn: o=Scalix\nobjectClass: organization\no: Scalix\n\n")
	fmt.Fprintf(&b, "dn: %s\nobjectClass: person\ncn: sxqueryadmin\nsn: sxqueryadmin\nuserPassword: %s\n\n", queryDN, queryPW)
	b.WriteString("dn: cn=sxadmin,o=Scalix\nobjectClass: inetOrgPerson\ncn: sxadmin\nsn: sxadmin\nmail: sxadmin@example.com\n\n")
	for _, p := range people {
		fmt.Fprintf(&b, "dn: cn=%s,o=Scalix\nobjectClass: inetOrgPerson\ncn: %s\nsn: %s\n", p.cn(), p.cn(), p.surname)
		if p.given != "" {
			fmt.Fprintf(&b, "givenName: %s\n", p.given)
		}
		fmt.Fprintf(&b, "mail: %s@example.com\n\n", strings.ReplaceAll(strings.ToLower(p.cn()), " ", "."))
	}
	b.WriteString("dn: cn=No Mailbox,o=Scalix\nobjectClass: person\ncn: No Mailbox\nsn: Mailbox\n\n")
	b.WriteString("dn: ou=Resources,o=Scalix\nobjectClass: organizationalUnit\nou: Resources\n\n")
	return b.String()
}

// directoryPeople is the test directory: more people than one page, and two
// who share a surname with others, for -U ambiguity.
func directoryPeople(n int) []ldapUser {
	people := make([]ldapUser, 0, n+2)
	for i := 0; i < n; i++ {
		people = append(people, ldapUser{fmt.Sprintf("User%d", i), fmt.Sprintf("Test%d", i)})
	}
	return append(people, ldapUser{"Other", "Test7"}, ldapUser{"Jörg", "Müller"})
}

func TestSxusersLDAP(t *testing.T) {
	const n = 2600
	s := startSlapd(t, directoryPeople(n))
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "bindpw")
	os.WriteFile(pwFile, []byte(queryPW+"\n"), 0o600)
	base := []string{"--ldap", s.url, "--bind-dn", queryDN, "--bind-password-file", pwFile}

	t.Run("paging lists everyone in directory order", func(t *testing.T) {
		for _, page := range []string{"500", "97"} {
			r := run(t, "", "sxusers", append(base, "--page-size", page)...)
			got := lines(r.stdout)
			if r.code != 0 || len(got) != n+3 {
				t.Fatalf("page %s: exit %d, %d logins, want %d; stderr:\n%s", page, r.code, len(got), n+3, r.stderr)
			}
			if got[0] != "sxadmin" || got[1] != "User0 Test0" || got[n] != fmt.Sprintf("User%d Test%d", n-1, n-1) || got[n+2] != "Jörg Müller" {
				t.Errorf("order: %q ... %q", got[:2], got[n:])
			}
			if !strings.Contains(r.stderr, fmt.Sprintf("found %d.", n+3)) {
				t.Errorf("stderr: %s", r.stderr)
			}
		}
		// Without paging the server's size limit (500) stops the search.
		r := run(t, "", "sxusers", append(base, "--page-size", "0")...)
		if r.code == 0 {
			t.Errorf("an unpaged search of %d entries passed a 500 size limit", n)
		}
	})

	t.Run("a login attribute no entry has is an error", func(t *testing.T) {
		r := run(t, "", "sxusers", append(base, "--attr-login", "nonexist")...)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, `has the login attribute "nonexist"`) {
			t.Errorf("exit %d, stdout %d bytes, stderr %q", r.code, len(r.stdout), r.stderr)
		}
	})

	t.Run("csv fields from attributes", func(t *testing.T) {
		r := run(t, "", "sxusers", append(base, "--format", "csv", "-q", "--match", "^User12 ")...)
		want := "login,cn,surname,given,mail,formal\nUser12 Test12,User12 Test12,Test12,User12,user12.test12@example.com,\"cn=User12 Test12,o=Scalix\"\n"
		if r.stdout != want {
			t.Errorf("csv\n got %q\nwant %q", r.stdout, want)
		}
	})

	t.Run("-U resolution", func(t *testing.T) {
		r := run(t, "", "sxusers", append(base, "-U", "User0 Test0,S=Test3,S=Test4/G=User4,Test2599,S=Müller/G=Jörg,Test7,Nobody")...)
		want := []string{"User0 Test0", "User3 Test3", "User4 Test4", "User2599 Test2599", "Jörg Müller"}
		if got := lines(r.stdout); !reflect.DeepEqual(got, want) {
			t.Errorf("resolved %q, want %q", got, want)
		}
		if r.code != 1 || !strings.Contains(r.stderr, `-U "Test7" matches 2 users: User7 Test7 <cn=User7 Test7,o=Scalix>; Other Test7`) ||
			!strings.Contains(r.stderr, `-U "Nobody": no such user`) {
			t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
		}
	})

	t.Run("wrong bind password", func(t *testing.T) {
		r := run(t, "", "sxusers", "--ldap", s.url, "--bind-dn", queryDN, "--bind-password", "not-the-"+queryPW)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "wrong DN or password") || !strings.Contains(r.stderr, queryDN) {
			t.Errorf("exit %d, stdout %q, stderr:\n%s", r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stderr, queryPW) {
			t.Errorf("password in stderr: %s", r.stderr)
		}
	})

	t.Run("password from the environment", func(t *testing.T) {
		r := shell(t, "", fmt.Sprintf("SXUSERS_BIND_PASSWORD=%s sxusers --ldap %s --bind-dn %s -q --match '^User42 '", queryPW, s.url, queryDN))
		if r.code != 0 || r.stdout != "User42 Test42\n" {
			t.Errorf("exit %d, %q, %s", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("StartTLS verifies the certificate", func(t *testing.T) {
		r := run(t, "", "sxusers", append(base, "--starttls", "--ca", s.cert.CA, "-q", "--match", "^User5 ")...)
		if r.code != 0 || r.stdout != "User5 Test5\n" {
			t.Errorf("with --ca: exit %d, %q, %s", r.code, r.stdout, r.stderr)
		}
		r = run(t, "", "sxusers", append(base, "--starttls", "-q")...)
		if r.code != 2 || !strings.Contains(r.stderr, "certificate") {
			t.Errorf("unknown CA accepted: exit %d, %s", r.code, r.stderr)
		}
		r = run(t, "", "sxusers", append(base, "--starttls", "--insecure", "-q", "--match", "^User5 ")...)
		if r.code != 0 || r.stdout != "User5 Test5\n" {
			t.Errorf("--insecure: exit %d, %q, %s", r.code, r.stdout, r.stderr)
		}
	})
}

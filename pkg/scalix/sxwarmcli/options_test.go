package sxwarmcli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"provpipe/pkg/scalix/imapwarm"
	"provpipe/pkg/scalix/warmreport"
	"provpipe/pkg/shared/cli"
)

// parsed is sxwarm's flags as kong fills them from args, with an
// environment holding vars and a terminal where tty says.
func parsed(t *testing.T, tty bool, vars map[string]string, args ...string) *Command {
	t.Helper()
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{},
		StdoutTerminal: tty, StdinTerminal: tty,
		LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
	if tty {
		env.ReadPassword = func() ([]byte, error) { return []byte("typed"), nil }
	}
	c := &Command{}
	if err := cli.Parse(Program, c, args, env); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	c.env = env
	return c
}

// TestIMAPConfig: what the flags make of the IMAP warmer's configuration,
// or the error that names the flags at fault.
func TestIMAPConfig(t *testing.T) {
	pw := map[string]string{"SXWARM_PASSWORD": "from-env"}
	cases := []struct {
		name  string
		vars  map[string]string
		tty   bool
		args  []string
		check func(*imapwarm.Config) string
		err   string
	}{
		{"defaults", pw, false, []string{"-u", "admin"}, func(c *imapwarm.Config) string {
			return want(c.Addr == "localhost:143" && len(c.Folders) == 4 && c.Folders[3] == "Sent Items" &&
				c.Password == "from-env" && c.Auth == imapwarm.AuthMboxadmin && c.TLS == imapwarm.Plain && c.Fetch != "", "%+v", c)
		}, ""},
		{"--ssl picks port 993 and verifies", pw, false, []string{"-u", "a", "--ssl", "--host", "mail.example.com"}, func(c *imapwarm.Config) string {
			return want(c.Addr == "mail.example.com:993" && c.TLS == imapwarm.ImplicitTLS && c.TLSConfig != nil && !c.TLSConfig.InsecureSkipVerify && c.TLSConfig.ServerName == "mail.example.com", "%+v", c)
		}, ""},
		{"an IPv6 host keeps its port rule", pw, false, []string{"-u", "a", "--host", "[::1]"}, func(c *imapwarm.Config) string {
			return want(c.Addr == "[::1]:143", "addr %s", c.Addr)
		}, ""},
		{"a given port is kept", pw, false, []string{"-u", "a", "--starttls", "--host", "h:1143"}, func(c *imapwarm.Config) string {
			return want(c.Addr == "h:1143" && c.TLS == imapwarm.StartTLS, "%+v", c)
		}, ""},
		{"-w wins over the environment", pw, false, []string{"-u", "a", "-w", "flag"}, func(c *imapwarm.Config) string {
			return want(c.Password == "flag", "password from the wrong source")
		}, ""},
		{"the terminal is asked last", nil, true, []string{"-u", "a", "-U", "x"}, func(c *imapwarm.Config) string {
			return want(c.Password == "typed", "password not read from the terminal")
		}, ""},
		{"--auth user needs no admin", nil, false, []string{"--auth", "user"}, func(c *imapwarm.Config) string {
			return want(c.Password == "" && c.Auth == imapwarm.AuthUser, "%+v", c)
		}, ""},
		{"no password anywhere", nil, false, []string{"-u", "a"}, nil, "admin password: no password given: use -w, --password-file or the SXWARM_PASSWORD"},
		{"a terminal that holds the user list is not asked", nil, true, []string{"-u", "a"}, nil, "no password given"},
		{"no admin", pw, false, nil, nil, "--auth mboxadmin needs the admin account: -u ADMIN"},
		{"a folder twice", pw, false, []string{"-u", "a", "-F", "INBOX,Calendar,INBOX"}, nil, `-F names folder "INBOX" twice`},
		{"no folder", pw, false, []string{"-u", "a", "-F", " , "}, nil, "no folders to warm: give -F or --all-folders"},
		{"no session", pw, false, []string{"-u", "a", "-j", "0"}, nil, `--jobs must be auto or between 1 and 1000, not "0"`},
		{"--fetch and --profile", pw, false, []string{"-u", "a", "--fetch", "UID", "--profile", "outlook"}, nil, "give --fetch or --profile, not both"},
		{"a FETCH that writes", pw, false, []string{"-u", "a", "--fetch", "BODY[]"}, nil, "BODY[]"},
		{"--api without platform", pw, false, []string{"-u", "a", "--api", "h"}, nil, "--api and --realm are for --via platform"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := parsed(t, c.tty, c.vars, c.args...)
			w, _, err := cmd.warmer(true)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cfg, ok := w.(*imapwarm.Config)
			if !ok {
				t.Fatalf("warmer %T, want the IMAP warmer", w)
			}
			if msg := c.check(cfg); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func want(ok bool, format string, args ...any) string {
	if ok {
		return ""
	}
	return "unexpected: " + fmt.Sprintf(format, args...)
}

// TestPlatformURL: --api as given, or built from a host; the flags that
// mean nothing to the Platform API are refused by name; http to a host
// that is not this machine only with --send-password-in-clear.
func TestPlatformURL(t *testing.T) {
	pw := map[string]string{"SXWARM_PASSWORD": "x"}
	cases := []struct {
		args []string
		url  string
		err  string
	}{
		{[]string{"--api", "scalix.example.invalid:8080", "--send-password-in-clear"}, "http://scalix.example.invalid:8080/api", ""},
		{[]string{"--api", "scalix.example.invalid:8080"}, "", "http://scalix.example.invalid:8080/api: http to a host that is not this machine would send the admin's credentials in clear"},
		{[]string{"--api", "http://127.0.0.1:8080/api"}, "http://127.0.0.1:8080/api", ""},
		{[]string{"--api", "localhost:8080"}, "http://localhost:8080/api", ""},
		{[]string{"--api", "scalix.example.com", "--ssl"}, "https://scalix.example.com/api", ""},
		{[]string{"--api", "https://h/api/"}, "https://h/api/", ""},
		{[]string{"--api", "http://h/api", "--ssl"}, "", "--ssl with an http:// --api"},
		{nil, "", "--via platform needs --api URL"},
		{[]string{"--api", "h", "--starttls"}, "", "--starttls is for IMAP"},
		{[]string{"--api", "h", "--auth", "master"}, "", "--auth is for IMAP"},
		{[]string{"--api", "h", "--profile", "outlook"}, "", "--fetch, --profile and --check are for IMAP"},
	}
	for _, c := range cases {
		args := append([]string{"--via", "platform", "-u", "admin"}, c.args...)
		cmd := parsed(t, false, pw, args...)
		_, _, err := cmd.warmer(true)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.args, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if got, _ := cmd.apiURL(); got != c.url {
			t.Errorf("%q: API %q, want %q", c.args, got, c.url)
		}
	}
}

// TestFormatAndDestination: auto is text for a terminal and tsv otherwise;
// --append takes no header.
func TestFormatAndDestination(t *testing.T) {
	cases := []struct {
		tty    bool
		args   []string
		format string
		err    string
	}{
		{true, nil, warmreport.Text, ""},
		{false, nil, warmreport.TSV, ""},
		{true, []string{"--append", "done.tsv"}, warmreport.TSV, ""},
		{false, []string{"--format", "jsonl"}, warmreport.JSONL, ""},
		{false, []string{"--append", "x.csv", "--format", "csv"}, "", "--append writes no header"},
		{false, []string{"--append", "x.tsv", "--header"}, "", "--append writes no header"},
	}
	for _, c := range cases {
		cmd := parsed(t, c.tty, nil, c.args...)
		if c.err != "" {
			if _, _, err := cmd.destination(); err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.args, err, c.err)
			}
			continue
		}
		if got := cmd.format(); got != c.format {
			t.Errorf("tty %v %q: format %q, want %q", c.tty, c.args, got, c.format)
		}
	}
}

// TestLoginForm: what --dry-run and a refused first login show as sent.
func TestLoginForm(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, `LOGIN "mboxadmin:admin:jo" (--auth mboxadmin)`},
		{[]string{"--auth", "master"}, `LOGIN "jo*admin" (--auth master)`},
		{[]string{"--auth", "master", "--master-sep", "%"}, `LOGIN "jo%admin" (--auth master)`},
		{[]string{"--auth", "authzid"}, `authorization identity "jo", authentication identity "admin"`},
		{[]string{"--auth", "user"}, `LOGIN "jo" with the user's own password`},
		{[]string{"--via", "platform"}, `HTTP user "mboxadmin:admin:jo" (--api-login mboxadmin:{admin}:{user})`},
		{[]string{"--via", "platform", "--api-login", "{user}"}, `HTTP user "jo" (--api-login {user})`},
	}
	for _, c := range cases {
		cmd := parsed(t, false, nil, append([]string{"-u", "admin"}, c.args...)...)
		if got := cmd.loginForm("jo"); !strings.Contains(got, c.want) {
			t.Errorf("%q: %s, want %s", c.args, got, c.want)
		}
	}
}

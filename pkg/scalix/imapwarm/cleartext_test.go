package imapwarm

import (
	"errors"
	"strings"
	"testing"
	"time"

	"provpipe/internal/testserver/mailsim"
	"provpipe/internal/testserver/testcert"
	"provpipe/pkg/scalix/warm"
	"provpipe/pkg/shared/tlsconf"
)

// TestNoCleartextPasswordToAnotherMachine: a plain connection to a host
// that is not loopback (the test's loopback server stands for one) is
// upgraded with STARTTLS when the server offers it, refused before LOGIN
// when it does not, and sent in clear only with CleartextOK.
func TestNoCleartextPasswordToAnotherMachine(t *testing.T) {
	cert := testcert.New(t, t.TempDir())
	verified, err := tlsconf.Client("127.0.0.1", cert.CA, false)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		offersTLS   bool
		cleartextOK bool
		wantErr     string
		wantTrace   string // in the --debug trace, before the login
	}{
		{"STARTTLS offered: used", true, false, "", "STARTTLS"},
		{"no STARTTLS: refused before LOGIN", false, false, "is not this machine and offers no STARTTLS", ""},
		{"no STARTTLS, --send-password-in-clear", false, true, "", "LOGIN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := mailsim.Options{Admin: "admin", AdminPassword: "pw"}
			if c.offersTLS {
				opt.TLS = cert.TLS
			}
			srv := mailsim.New(opt)
			if err := srv.AddUser("ann", "", map[string]int{"INBOX": 2}); err != nil {
				t.Fatal(err)
			}
			if err := srv.Listen("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			var trace strings.Builder
			cfg := &Config{Addr: srv.Addr(), ConnectTimeout: 5 * time.Second, Timeout: 10 * time.Second,
				Admin: "admin", Password: "pw", Auth: AuthMboxadmin, Folders: []string{"INBOX"},
				TLSConfig: verified, CleartextOK: c.cleartextOK, Debug: &trace,
				loopback: func(string) bool { return false }}
			probeErr := Probe(cfg)
			res := cfg.WarmOnce(warm.User{Login: "ann", Index: 1})
			if c.wantErr != "" {
				var clear *CleartextError
				if !errors.As(res.Err, &clear) || !strings.Contains(res.Err.Error(), c.wantErr) {
					t.Errorf("warm: error %v, want %q", res.Err, c.wantErr)
				}
				if probeErr == nil || !strings.Contains(probeErr.Error(), c.wantErr) {
					t.Errorf("probe: error %v, want %q", probeErr, c.wantErr)
				}
				if n := srv.Logins()["ann"]; n != 0 {
					t.Errorf("%d logins reached the server; the password must not be sent", n)
				}
				if strings.Contains(trace.String(), "LOGIN") {
					t.Errorf("LOGIN sent:\n%s", trace.String())
				}
				return
			}
			if probeErr != nil || res.Err != nil {
				t.Fatalf("probe %v, warm %v", probeErr, res.Err)
			}
			if !strings.Contains(trace.String(), c.wantTrace) {
				t.Errorf("trace has no %q:\n%s", c.wantTrace, trace.String())
			}
			if c.cleartextOK && strings.Contains(trace.String(), "STARTTLS") {
				t.Errorf("STARTTLS without the server offering it:\n%s", trace.String())
			}
		})
	}
}

func TestGreetingWithoutCode(t *testing.T) {
	cases := []struct{ in, want string }{
		{"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.", "* OK Dovecot ready.\r\n"},
		{"* OK IMAP4 ready", "* OK IMAP4 ready\r\n"},
		{"* OK [ALERT] x", "* OK x\r\n"},
	}
	for _, c := range cases {
		if got := string(withoutCode([]byte(c.in))); got != c.want {
			t.Errorf("withoutCode(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

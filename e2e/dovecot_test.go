package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"provpipe/internal/testenv"
)

// dovecot is a throwaway Dovecot started for one test, on 127.0.0.1 and a
// port the test picked, with a master user and cold Maildir++ mailboxes.
type dovecot struct {
	dir, addr string
	cmd       *exec.Cmd
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startDovecot(t *testing.T, users map[string]map[string]int) *dovecot {
	t.Helper()
	bin := testenv.RequireProgram(t, "dovecot", "dovecot-imapd")
	d := &dovecot{dir: t.TempDir()}
	// The login processes run as dovenull and reach their sockets under dir.
	os.Chmod(d.dir, 0o755)
	os.Chmod(filepath.Dir(d.dir), 0o755)
	port := freePort(t)
	d.addr = fmt.Sprintf("127.0.0.1:%d", port)
	var passwd strings.Builder
	for u := range users {
		fmt.Fprintf(&passwd, "%s:{PLAIN}pw-%s\n", u, u)
		writeMaildir(t, filepath.Join(d.dir, "mail", u, "Maildir"), users[u])
	}
	uid, gid := mailOwner(t, filepath.Join(d.dir, "mail"))
	os.WriteFile(filepath.Join(d.dir, "users.passwd"), []byte(passwd.String()), 0o600)
	os.WriteFile(filepath.Join(d.dir, "master.passwd"), []byte("warmadmin:{PLAIN}master-pw\n"), 0o600)
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_master_user_separator = *
first_valid_uid = 0
default_internal_user = root
default_internal_group = root
default_login_user = dovenull
mail_location = maildir:~/Maildir
mail_privileged_group =
passdb {
  driver = passwd-file
  args = %[1]s/master.passwd
  master = yes
  pass = yes
}
passdb {
  driver = passwd-file
  args = %[1]s/users.passwd
}
userdb {
  driver = static
  args = uid=%[2]d gid=%[3]d home=%[1]s/mail/%%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[4]d
  }
  inet_listener imaps {
    port = 0
  }
}
service auth {
  user = root
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
`, d.dir, uid, gid, port)
	confPath := filepath.Join(d.dir, "dovecot.conf")
	os.WriteFile(confPath, []byte(conf), 0o644)
	d.cmd = exec.Command(bin, "-F", "-c", confPath)
	d.cmd.Stdout, d.cmd.Stderr = os.Stderr, os.Stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start dovecot: %v", err)
	}
	t.Cleanup(func() {
		d.cmd.Process.Kill()
		d.cmd.Wait()
	})
	for deadline := time.Now().Add(15 * time.Second); ; {
		c, err := net.Dial("tcp", d.addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(d.dir, "dovecot.log"))
			t.Fatalf("dovecot did not listen on %s: %v\n%s", d.addr, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return d
}

// mailOwner picks the uid the mail processes run as: Dovecot refuses root,
// so as root the mailboxes are given to the unprivileged dovenull account.
func mailOwner(t *testing.T, root string) (int, int) {
	t.Helper()
	if os.Getuid() != 0 {
		return os.Getuid(), os.Getgid()
	}
	u, err := user.Lookup("dovenull")
	if err != nil {
		t.Fatalf("no dovenull account to own the test mailboxes: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	filepath.Walk(root, func(path string, _ os.FileInfo, err error) error {
		if err == nil {
			os.Chown(path, uid, gid)
		}
		return nil
	})
	return uid, gid
}

// writeMaildir writes a cold Maildir++ mailbox: every message already in cur/
// with flags in its name (some seen, some flagged), so that a warming run
// that changed any flag would rename a file.
func writeMaildir(t *testing.T, root string, folders map[string]int) {
	t.Helper()
	for folder, n := range folders {
		dir := root
		if folder != "INBOX" {
			dir = filepath.Join(root, "."+folder)
		}
		for _, sub := range []string{"cur", "new", "tmp"} {
			if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		for i := 1; i <= n; i++ {
			flags := []string{"", "S", "FS", ""}[i%4]
			name := fmt.Sprintf("%d.M%dP1.test:2,%s", 1700000000+i, i, flags)
			msg := fmt.Sprintf("From: a%d@example.com\r\nTo: b@example.com\r\nSubject: %s %d\r\nMessage-ID: <%d.%s@test>\r\n\r\nbody %d\r\n",
				i, folder, i, i, strings.ReplaceAll(folder, " ", "_"), i)
			if err := os.WriteFile(filepath.Join(dir, "cur", name), []byte(msg), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// maildirState lists every message file name under root, sorted: flags live
// in the names, so equal lists mean unchanged flags.
func maildirState(t *testing.T, root string) []string {
	t.Helper()
	var names []string
	filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && (filepath.Base(filepath.Dir(path)) == "cur" || filepath.Base(filepath.Dir(path)) == "new") {
			rel, _ := filepath.Rel(root, path)
			names = append(names, strings.Replace(rel, "/new/", "/cur/", 1))
		}
		return nil
	})
	sort.Strings(names)
	return names
}

func TestSxwarmAgainstDovecot(t *testing.T) {
	users := map[string]map[string]int{}
	for i := 0; i < 8; i++ {
		folders := map[string]int{"INBOX": 200 + i*13, "Calendar": 120 + i, "Contacts": 150, "Sent Items": 100 + 2*i}
		if i == 5 {
			delete(folders, "Calendar")
		}
		users[fmt.Sprintf("user%d", i)] = folders
	}
	d := startDovecot(t, users)
	before := maildirState(t, filepath.Join(d.dir, "mail"))
	var names []string
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	input := strings.Join(names, "\n") + "\n"

	for _, auth := range []string{"master", "authzid"} {
		t.Run(auth, func(t *testing.T) {
			res := run(t, input, "sxwarm", "--host", d.addr, "-u", "warmadmin", "--password-file", writeSecret(t, "master-pw"),
				"--auth", auth, "-j", "4")
			if res.code != 0 {
				log, _ := os.ReadFile(filepath.Join(d.dir, "dovecot.log"))
				t.Fatalf("exit %d: %s\n%s", res.code, res.stderr, log)
			}
			checkCounts(t, parseTSV(t, res.stdout), users)
		})
	}
	if after := maildirState(t, filepath.Join(d.dir, "mail")); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("warming changed the mailboxes (flags or files)")
	}

	t.Run("wrong admin password", func(t *testing.T) {
		res := run(t, "user0\nuser1\n", "sxwarm", "--host", d.addr, "-u", "warmadmin", "-w", "not-the-pw", "--auth", "master")
		if res.code != 1 || !strings.Contains(res.stderr, `user "user0": login refused`) || strings.Contains(res.stderr, "not-the-pw") {
			t.Errorf("exit %d: %s", res.code, res.stderr)
		}
	})
}

func writeSecret(t *testing.T, pw string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(p, []byte(pw+"\n"), 0o600)
	return p
}

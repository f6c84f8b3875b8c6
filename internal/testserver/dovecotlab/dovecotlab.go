// Package dovecotlab runs a throwaway Dovecot for tests and benchmarks: on
// 127.0.0.1 and a free port, a master user, Maildir++ mailboxes written
// cold (no Dovecot index yet), everything under one directory.
package dovecotlab

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"provpipe/internal/testserver/loopback"
	"provpipe/internal/testserver/testenv"
)

// Master user and password of every lab.
const (
	MasterUser     = "warmadmin"
	MasterPassword = "master-pw"
)

// Lab is a running Dovecot.
type Lab struct {
	Dir  string // holds mail/, the configuration and the log
	Addr string // 127.0.0.1:PORT
	cmd  *exec.Cmd
}

// UserPassword is each user's own password in a lab.
func UserPassword(user string) string { return "pw-" + user }

// Populate writes users' mailboxes under dir/mail: folder name to message
// count. bodySize pads each message's body to about that many bytes. The
// mail is given to the account Dovecot will run as, here, once: Start may
// be called many times over the same mailboxes (the benchmark does).
func Populate(dir string, users map[string]map[string]int, bodySize int) error {
	var passwd strings.Builder
	for u, folders := range users {
		fmt.Fprintf(&passwd, "%s:{PLAIN}%s\n", u, UserPassword(u))
		if err := WriteMaildir(filepath.Join(dir, "mail", u, "Maildir"), folders, bodySize); err != nil {
			return err
		}
	}
	if err := ChownMail(filepath.Join(dir, "mail")); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "users.passwd"), []byte(passwd.String()), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "master.passwd"), []byte(MasterUser+":{PLAIN}"+MasterPassword+"\n"), 0o600)
}

// messageFormat is a message with the header a real one has: relays,
// threading, MIME, a mailer; header parsing is much of a server's work on
// a first look.
const messageFormat = "Return-Path: <a%d@example.com>\r\n" +
	"Received: from mx1.example.com (mx1.example.com [192.0.2.1])\r\n\tby mail.example.com with ESMTPS id %d\r\n\tfor <b@example.com>; Mon, 2 Nov 2026 10:00:00 +0000\r\n" +
	"Received: from client.example.org ([198.51.100.7])\r\n\tby mx1.example.com with ESMTPSA; Mon, 2 Nov 2026 09:59:58 +0000\r\n" +
	"From: Sender %d <a@example.com>\r\nTo: b@example.com\r\nCc: c@example.com\r\nSubject: %s %d\r\n" +
	"Message-ID: <%d.%s@lab>\r\nIn-Reply-To: <%d@lab>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n" +
	"X-Mailer: lab\r\nX-Spam-Score: 0.1\r\n\r\nbody %d\r\n%s"

// LabMessage is message i of a folder, with a body of about bodySize
// bytes: the same messages whichever server stores them.
func LabMessage(i int, folder string, bodySize int) []byte {
	pad := strings.Repeat("lorem ipsum dolor sit amet\r\n", max(bodySize, 0)/28)
	return []byte(fmt.Sprintf(messageFormat, i, i, i, folder, i, i, strings.ReplaceAll(folder, " ", "_"), i-1, i, pad))
}

// WriteMaildir writes a cold Maildir++ mailbox: every message already in
// cur/ with flags in its name (some seen, some flagged), so that a warming
// run that changed any flag would rename a file.
func WriteMaildir(root string, folders map[string]int, bodySize int) error {
	for folder, n := range folders {
		dir := root
		if folder != "INBOX" {
			dir = filepath.Join(root, "."+folder)
		}
		for _, sub := range []string{"cur", "new", "tmp"} {
			if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
				return err
			}
		}
		for i := 1; i <= n; i++ {
			flags := []string{"", "S", "FS", ""}[i%4]
			name := fmt.Sprintf("%d.M%dP1.lab:2,%s", 1700000000+i, i, flags)
			if err := os.WriteFile(filepath.Join(dir, "cur", name), LabMessage(i, folder, bodySize), 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}

// ResetIndexes deletes Dovecot's index and cache files under dir/mail, so
// the next run meets cold mailboxes again.
func ResetIndexes(dir string) error {
	return filepath.Walk(filepath.Join(dir, "mail"), func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !info.IsDir() && strings.HasPrefix(info.Name(), "dovecot") {
			return os.Remove(path)
		}
		return nil
	})
}

// Start runs Dovecot over the mailboxes Populate wrote under dir. Its own
// output goes to logw.
func Start(dir string, logw io.Writer) (*Lab, error) {
	dir, err := filepath.Abs(dir) // Dovecot wants absolute paths
	if err != nil {
		return nil, err
	}
	bin, err := testenv.FindProgram("dovecot")
	if err != nil {
		return nil, fmt.Errorf("dovecot not found (Debian package dovecot-imapd): %w", err)
	}
	// The login processes run as dovenull and reach their sockets under dir.
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	uid, gid, err := MailOwner()
	if err != nil {
		return nil, err
	}
	port, err := loopback.FreePort()
	if err != nil {
		return nil, err
	}
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(config(dir, uid, gid, port)), 0o644); err != nil {
		return nil, err
	}
	l := &Lab{Dir: dir, Addr: fmt.Sprintf("127.0.0.1:%d", port)}
	l.cmd = exec.Command(bin, "-F", "-c", confPath)
	l.cmd.Stdout, l.cmd.Stderr = logw, logw
	if err := l.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dovecot: %w", err)
	}
	if err := loopback.WaitListening(l.Addr, 15*time.Second); err != nil {
		l.Stop()
		return nil, fmt.Errorf("dovecot: %w\n%s", err, l.Log())
	}
	return l, nil
}

// Log returns what Dovecot logged.
func (l *Lab) Log() string {
	b, _ := os.ReadFile(filepath.Join(l.Dir, "dovecot.log"))
	return string(b)
}

// Stop ends Dovecot and its children.
func (l *Lab) Stop() {
	if l.cmd != nil && l.cmd.Process != nil {
		l.cmd.Process.Kill()
		l.cmd.Wait()
	}
}

// MailOwner picks the uid the mail processes run as: Dovecot (and Cyrus)
// refuse root, so as root the mailboxes belong to the unprivileged
// dovenull account.
func MailOwner() (int, int, error) {
	if os.Getuid() != 0 {
		return os.Getuid(), os.Getgid(), nil
	}
	u, err := user.Lookup("dovenull")
	if err != nil {
		return 0, 0, fmt.Errorf("no dovenull account to own the mailboxes: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return uid, gid, nil
}

// ChownMail gives everything under root to MailOwner.
func ChownMail(root string) error {
	uid, gid, err := MailOwner()
	if err != nil || uid == os.Getuid() {
		return err
	}
	return filepath.Walk(root, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
}

func config(dir string, uid, gid, port int) string {
	return fmt.Sprintf(`base_dir = %[1]s/run
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
  chroot =
}
service auth {
  user = root
}
service anvil {
  chroot =
}
`, dir, uid, gid, port)
}

// MaildirState lists every message file name under dir/mail, sorted: flags
// live in the names, so equal lists mean unchanged flags.
func MaildirState(dir string) ([]string, error) {
	root := filepath.Join(dir, "mail")
	var names []string
	err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		parent := filepath.Base(filepath.Dir(path))
		if !info.IsDir() && (parent == "cur" || parent == "new") {
			rel, _ := filepath.Rel(root, path)
			names = append(names, strings.Replace(rel, "/new/", "/cur/", 1))
		}
		return nil
	})
	sort.Strings(names)
	return names, err
}

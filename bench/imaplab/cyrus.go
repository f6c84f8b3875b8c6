//go:build unix

package main

// Cyrus IMAP beside Dovecot: Debian's cyrus-imapd conflicts with
// dovecot-imapd (both provide imap-server), so the bench unpacks the
// packages (dpkg -x) and runs Cyrus's master from that tree, as an
// unprivileged user, on its own configuration directory, spool and port.
//
//	imaplab cyrus-populate DIR -root UNPACKED -users N -messages M
//	imaplab cyrus-serve DIR -root UNPACKED
//
// Cyrus writes a message's cache record (cyrus.cache, a fixed set of
// header fields) when the message is delivered; populate delivers as
// reconstruct does after a migration (message files in the spool, then
// reconstruct), so no run starts from anything colder than that. serve
// restarts the server for every run, so no process keeps anything.

import (
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"provpipe/internal/testserver/dovecotlab"
	"provpipe/internal/testserver/loopback"
)

// cyrusAdmin may act as any user (proxyservers); any password passes
// (sasl_pwcheck_method: alwaystrue): the lab listens on loopback only.
const cyrusAdmin = "cyradm"

type cyrus struct {
	dir, root string
	port      int
	cmd       *exec.Cmd
}

func cyrusFlags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	root := fs.String("root", "", "the tree cyrus-imapd and cyrus-common were unpacked to (dpkg -x)")
	return fs, root
}

// newCyrus makes both paths absolute: master runs the services named in
// cyrus.conf from a directory of its own.
func newCyrus(dir, root string) (*cyrus, error) {
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	absRoot, err := filepath.Abs(root)
	return &cyrus{dir: absDir, root: absRoot}, err
}

func (c *cyrus) bin(name string) string { return filepath.Join(c.root, "usr/lib/cyrus/bin", name) }

// configure writes imapd.conf and cyrus.conf for a free port.
func (c *cyrus) configure() error {
	port, err := loopback.FreePort()
	if err != nil {
		return err
	}
	c.port = port
	for _, d := range []string{"conf", "spool", "run"} {
		if err := os.MkdirAll(filepath.Join(c.dir, d), 0o750); err != nil {
			return err
		}
	}
	conf := filepath.Join(c.dir, "imapd.conf")
	imapd := fmt.Sprintf(`configdirectory: %[1]s/conf
partition-default: %[1]s/spool
admins: %[2]s
proxyservers: %[2]s
sasl_pwcheck_method: alwaystrue
sasl_mech_list: PLAIN
allowplaintext: yes
unixhierarchysep: yes
cyrus_user: %[3]s
idlesocket: %[1]s/run/idle
lmtpsocket: %[1]s/run/lmtp
notifysocket: %[1]s/run/notify
mboxname_lockpath: %[1]s/run/lock
proc_path: %[1]s/run/proc
`, c.dir, cyrusAdmin, mailUser())
	master := fmt.Sprintf(`START {
  recover cmd="%[1]s -C %[2]s -r"
}
SERVICES {
  imap cmd="%[3]s -C %[2]s" listen="127.0.0.1:%[4]d" prefork=1
}
EVENTS {
}
`, c.bin("ctl_cyrusdb"), conf, c.bin("imapd"), port)
	if err := os.WriteFile(conf, []byte(imapd), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(c.dir, "cyrus.conf"), []byte(master), 0o644)
}

// mailUser is who Cyrus runs as (its cyrus_user): dovecotlab.MailOwner's
// account, named.
func mailUser() string {
	if os.Getuid() != 0 {
		u, _ := user.Current()
		return u.Username
	}
	return "dovenull"
}

// chown gives the lab to mailUser.
func (c *cyrus) chown() error { return dovecotlab.ChownMail(c.dir) }

func (c *cyrus) env() []string {
	return append(os.Environ(), "LD_LIBRARY_PATH="+filepath.Join(c.root, "usr/lib/x86_64-linux-gnu"))
}

// start runs master and waits for the IMAP port.
func (c *cyrus) start() error {
	if err := c.chown(); err != nil {
		return err
	}
	c.cmd = exec.Command(c.bin("master"), "-C", filepath.Join(c.dir, "imapd.conf"), "-M", filepath.Join(c.dir, "cyrus.conf"),
		"-p", filepath.Join(c.dir, "run", "master.pid"))
	c.cmd.Env = c.env()
	c.cmd.Stdout, c.cmd.Stderr = os.Stderr, os.Stderr
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		return fmt.Errorf("start Cyrus master: %w", err)
	}
	return loopback.WaitListening(c.addr(), 15*time.Second)
}

func (c *cyrus) addr() string { return fmt.Sprintf("127.0.0.1:%d", c.port) }

func (c *cyrus) stop() {
	if c.cmd != nil && c.cmd.Process != nil {
		syscall.Kill(-c.cmd.Process.Pid, syscall.SIGTERM)
		c.cmd.Wait()
	}
}

// command sends one command as the admin on a fresh connection and reads
// up to its tagged answer.
func (c *cyrus) command(cmds ...string) error {
	conn, err := net.DialTimeout("tcp", c.addr(), 10*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	buf := make([]byte, 1<<16)
	read := func(tag string) (string, error) {
		var got strings.Builder
		for !strings.Contains(got.String(), "\r\n"+tag+" ") && !strings.HasPrefix(got.String(), tag+" ") {
			n, err := conn.Read(buf)
			if err != nil {
				return got.String(), err
			}
			got.Write(buf[:n])
		}
		return got.String(), nil
	}
	if _, err := read("*"); err != nil {
		return err
	}
	login := "a AUTHENTICATE PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00"+cyrusAdmin+"\x00x"))
	for i, cmd := range append([]string{login}, cmds...) {
		tag := fmt.Sprintf("t%d", i)
		if i == 0 {
			tag = "a"
		} else {
			cmd = tag + " " + cmd
		}
		fmt.Fprintf(conn, "%s\r\n", cmd)
		got, err := read(tag)
		if err != nil {
			return err
		}
		if !strings.Contains(got, tag+" OK") {
			return fmt.Errorf("%s: %s", cmd, got)
		}
	}
	return nil
}

func cyrusPopulate(dir string, args []string) error {
	fs, root := cyrusFlags("cyrus-populate")
	users := fs.Int("users", 50, "users")
	messages := fs.Int("messages", 1000, "messages in each INBOX")
	body := fs.Int("body", 2000, "body bytes per message")
	fs.Parse(args)
	c, err := newCyrus(dir, *root)
	if err != nil {
		return err
	}
	if err := c.configure(); err != nil {
		return err
	}
	if err := c.start(); err != nil {
		return err
	}
	var creates []string
	for i := 0; i < *users; i++ {
		creates = append(creates, fmt.Sprintf("CREATE user/user%d", i))
	}
	err = c.command(creates...)
	c.stop()
	if err != nil {
		return err
	}
	for i := 0; i < *users; i++ {
		path, err := c.run("mbpath", fmt.Sprintf("user/user%d", i))
		if err != nil {
			return err
		}
		box := strings.TrimSpace(path)
		for m := 1; m <= *messages; m++ {
			if err := os.WriteFile(filepath.Join(box, fmt.Sprintf("%d.", m)), dovecotlab.LabMessage(m, "INBOX", *body), 0o600); err != nil {
				return err
			}
		}
	}
	if err := c.chown(); err != nil {
		return err
	}
	for i := 0; i < *users; i++ {
		if _, err := c.run("reconstruct", fmt.Sprintf("user/user%d", i)); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "populated"), []byte(fmt.Sprintf("%d %d\n", *users, *messages)), 0o644)
}

// run runs one of Cyrus's tools as mailUser, on the lab's configuration,
// and returns what it printed.
func (c *cyrus) run(tool string, args ...string) (string, error) {
	cmd := exec.Command(c.bin(tool), append([]string{"-C", filepath.Join(c.dir, "imapd.conf")}, args...)...)
	cmd.Env = c.env()
	if os.Getuid() == 0 {
		uid, gid, err := dovecotlab.MailOwner()
		if err != nil {
			return "", err
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", tool, strings.Join(args, " "), err)
	}
	return string(out), nil
}

func cyrusServe(dir string, args []string) error {
	fs, root := cyrusFlags("cyrus-serve")
	fs.Parse(args)
	c, err := newCyrus(dir, *root)
	if err != nil {
		return err
	}
	if err := c.configure(); err != nil {
		return err
	}
	if err := c.start(); err != nil {
		c.stop()
		return err
	}
	defer c.stop()
	fmt.Println(c.addr())
	io.Copy(io.Discard, os.Stdin) // until the benchmark closes our stdin
	return nil
}

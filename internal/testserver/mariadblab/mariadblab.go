// Package mariadblab runs a throwaway MariaDB (Debian's mariadb-server) for
// tests and the bench: a fresh data directory, 127.0.0.1 on a free port, no
// grant tables (the lab is nobody's but the test's), stopped and removed by
// Stop.
package mariadblab

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"provpipe/internal/testserver/loopback"
	"provpipe/internal/testserver/testenv"
)

// Lab is one running server.
type Lab struct {
	Addr string // 127.0.0.1:PORT
	dir  string
	cmd  *exec.Cmd
}

// Start initialises a data directory under dir and starts mariadbd on it;
// its log goes to dir/error.log.
func Start(dir string) (*Lab, error) {
	server, err := testenv.FindProgram("mariadbd")
	if err != nil {
		return nil, fmt.Errorf("mariadbd not found (Debian package mariadb-server): %w", err)
	}
	install, err := testenv.FindProgram("mariadb-install-db")
	if err != nil {
		return nil, fmt.Errorf("mariadb-install-db not found (Debian package mariadb-server): %w", err)
	}
	data := filepath.Join(dir, "data")
	user := "--user=" + currentUser()
	out, err := exec.Command(install, "--no-defaults", "--datadir="+data, user, "--auth-root-authentication-method=normal", "--skip-test-db").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("mariadb-install-db: %v\n%s", err, out)
	}
	port, err := loopback.FreePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(server, "--no-defaults", "--datadir="+data, user, "--socket="+filepath.Join(dir, "sock"),
		"--port="+strconv.Itoa(port), "--bind-address=127.0.0.1", "--skip-grant-tables", "--skip-log-bin",
		"--pid-file="+filepath.Join(dir, "pid"), "--log-error="+filepath.Join(dir, "error.log"),
		"--innodb-buffer-pool-size=128M", "--innodb-flush-log-at-trx-commit=2", "--max-connections=500")
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start mariadbd: %w", err)
	}
	lab := &Lab{Addr: "127.0.0.1:" + strconv.Itoa(port), dir: dir, cmd: cmd}
	if err := lab.waitReady(30 * time.Second); err != nil {
		lab.Stop()
		return nil, err
	}
	return lab, nil
}

// DSN is the go-sql-driver data source name for database db ("" for none).
func (l *Lab) DSN(db string) string {
	c := mysql.NewConfig()
	c.User, c.Net, c.Addr, c.DBName = "root", "tcp", l.Addr, db
	c.MultiStatements = true
	return c.FormatDSN()
}

// waitReady pings the server until it answers, within limit.
func (l *Lab) waitReady(limit time.Duration) error {
	db, err := sql.Open("mysql", l.DSN(""))
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(limit)
	for {
		if err = db.Ping(); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(l.dir, "error.log"))
			return fmt.Errorf("mariadbd on %s did not answer within %s: %v\n%s", l.Addr, limit, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop ends the server and waits for it.
func (l *Lab) Stop() {
	if l.cmd.Process != nil {
		l.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { l.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			l.cmd.Process.Kill()
			<-done
		}
	}
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if os.Geteuid() == 0 {
		return "root"
	}
	return strconv.Itoa(os.Geteuid())
}

package oxsoapsim

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// DBStore keeps contexts in MariaDB the way Open-Xchange's storage does in
// outline (OXContextMySQLStorage): a config database with the context, its
// login mappings, its database and schema (context_server2db_pool) and the
// per-schema count, in one transaction; then, in the context's payload
// schema, its sequence rows, admin user and default folders in another.
// The payload transaction reads its sequence row FOR UPDATE before it
// inserts it, as sequence handling does: two creates in one schema at once
// take gap locks on the same end of that index and can deadlock, which OX
// retries five times before giving up with "Repetitively failed to write
// context into payload database"; so throughput, lock waits and deadlocks
// come from a real database.
type DBStore struct {
	dsn     func(db string) string
	config  *sql.DB
	mu      sync.Mutex
	schemas map[string]*sql.DB
	// Deadlocks counts payload transactions that met a deadlock or a
	// lock wait timeout (and were tried again).
	deadlocks int
}

// Default folders written for each new context's admin (a subset of what
// OX writes, enough rows to make the payload transaction real).
var defaultFolders = []string{"private", "public", "shared", "system", "user", "Calendar", "Contacts", "Tasks",
	"Inbox", "Sent Items", "Drafts", "Trash", "Spam", "Infostore", "Attachments"}

const configSchema = `
CREATE TABLE IF NOT EXISTS context (cid INT UNSIGNED PRIMARY KEY, name VARCHAR(128) NOT NULL, enabled BOOL NOT NULL,
  filestore_id INT UNSIGNED, quota_max BIGINT, UNIQUE KEY (name)) ENGINE=InnoDB;
CREATE TABLE IF NOT EXISTS login2context (cid INT UNSIGNED NOT NULL, login_info VARCHAR(128) PRIMARY KEY) ENGINE=InnoDB;
CREATE TABLE IF NOT EXISTS context_server2db_pool (server_id INT UNSIGNED NOT NULL, cid INT UNSIGNED NOT NULL,
  read_db_pool_id INT UNSIGNED NOT NULL, write_db_pool_id INT UNSIGNED NOT NULL, db_schema VARCHAR(64) NOT NULL,
  PRIMARY KEY (cid, server_id)) ENGINE=InnoDB;
CREATE TABLE IF NOT EXISTS contexts_per_dbschema (db_pool_id INT UNSIGNED NOT NULL, schemaname VARCHAR(64) NOT NULL,
  count INT UNSIGNED NOT NULL, PRIMARY KEY (db_pool_id, schemaname)) ENGINE=InnoDB;`

const payloadSchema = `
CREATE TABLE IF NOT EXISTS sequence_folder (cid INT UNSIGNED PRIMARY KEY, id INT UNSIGNED NOT NULL) ENGINE=InnoDB;
CREATE TABLE IF NOT EXISTS user (cid INT UNSIGNED NOT NULL, id INT UNSIGNED NOT NULL, name VARCHAR(128) NOT NULL,
  mail VARCHAR(256), PRIMARY KEY (cid, id)) ENGINE=InnoDB;
CREATE TABLE IF NOT EXISTS oxfolder_tree (cid INT UNSIGNED NOT NULL, fuid INT UNSIGNED NOT NULL, parent INT UNSIGNED NOT NULL,
  fname VARCHAR(128) NOT NULL, created_from INT UNSIGNED NOT NULL, PRIMARY KEY (cid, fuid), KEY (cid, parent)) ENGINE=InnoDB;`

// NewDBStore creates the config database (configdb) through dsn, which
// gives the data source name of a database ("" for none).
func NewDBStore(dsn func(db string) string) (*DBStore, error) {
	root, err := sql.Open("mysql", dsn(""))
	if err != nil {
		return nil, err
	}
	defer root.Close()
	if _, err := root.Exec("CREATE DATABASE IF NOT EXISTS configdb"); err != nil {
		return nil, fmt.Errorf("create configdb: %w", err)
	}
	config, err := sql.Open("mysql", dsn("configdb"))
	if err != nil {
		return nil, err
	}
	if _, err := config.Exec(configSchema); err != nil {
		config.Close()
		return nil, fmt.Errorf("configdb tables: %w", err)
	}
	config.SetMaxOpenConns(200)
	config.SetMaxIdleConns(200)
	return &DBStore{dsn: dsn, config: config, schemas: map[string]*sql.DB{}}, nil
}

// Close closes the connections.
func (d *DBStore) Close() {
	d.config.Close()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, db := range d.schemas {
		db.Close()
	}
}

// Deadlocks is how many payload transactions met a deadlock or a lock wait
// timeout.
func (d *DBStore) Deadlocks() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.deadlocks
}

// schema returns the payload schema's connections, creating it the first
// time.
func (d *DBStore) schema(name string) (*sql.DB, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if db, ok := d.schemas[name]; ok {
		return db, nil
	}
	if strings.ContainsAny(name, "`\\") || name == "" {
		return nil, fmt.Errorf("schema name %q refused", name)
	}
	if _, err := d.config.Exec("CREATE DATABASE IF NOT EXISTS `" + name + "`"); err != nil {
		return nil, err
	}
	db, err := sql.Open("mysql", d.dsn(name))
	if err != nil {
		return nil, err
	}
	if _, err := db.Exec(payloadSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	db.SetMaxIdleConns(50)
	d.schemas[name] = db
	return db, nil
}

// Create writes the context to configdb, then to its payload schema.
func (d *DBStore) Create(c Created) error {
	schema := c.Schema
	if schema == "" {
		schema = "oxdb_auto_" + c.DatabaseID // automatic placement: one schema per database here
	}
	payload, err := d.schema(schema)
	if err != nil {
		return err
	}
	if err := d.configTx(c, schema); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		err := payloadTx(payload, c)
		if err == nil {
			return nil
		}
		if !retryable(err) {
			d.undoConfig(c, schema)
			return fmt.Errorf("write context %s into payload database %s: %v", c.ID, schema, err)
		}
		d.mu.Lock()
		d.deadlocks++
		d.mu.Unlock()
		if attempt == 5 { // OX's own number of tries
			d.undoConfig(c, schema)
			//lint:ignore ST1005 OX's own message, word for word: clients match it
			return errors.New("Repetitively failed to write context into payload database")
		}
		time.Sleep(time.Duration(attempt) * 5 * time.Millisecond)
	}
}

func (d *DBStore) configTx(c Created, schema string) error {
	tx, err := d.config.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	db := c.DatabaseID
	if db == "" {
		db = "0"
	}
	steps := []struct {
		query string
		args  []any
	}{
		{"INSERT INTO context (cid, name, enabled, filestore_id, quota_max) VALUES (?, ?, TRUE, NULL, NULL)", []any{c.ID, c.Name}},
		{"INSERT INTO login2context (cid, login_info) VALUES (?, ?)", []any{c.ID, c.ID}},
		{"INSERT INTO context_server2db_pool (server_id, cid, read_db_pool_id, write_db_pool_id, db_schema) VALUES (1, ?, ?, ?, ?)", []any{c.ID, db, db, schema}},
		{"INSERT INTO contexts_per_dbschema (db_pool_id, schemaname, count) VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE count = count + 1", []any{db, schema}},
	}
	if c.Name != c.ID {
		steps = append(steps, struct {
			query string
			args  []any
		}{"INSERT INTO login2context (cid, login_info) VALUES (?, ?)", []any{c.ID, c.Name}})
	}
	for _, s := range steps {
		if _, err := tx.Exec(s.query, s.args...); err != nil {
			var me *mysql.MySQLError
			if errors.As(err, &me) && me.Number == 1062 { // duplicate key
				return ErrExists
			}
			return err
		}
	}
	return tx.Commit()
}

// undoConfig removes what configTx wrote, as OX does when the payload
// transaction fails for good.
func (d *DBStore) undoConfig(c Created, schema string) {
	db := c.DatabaseID
	if db == "" {
		db = "0"
	}
	d.config.Exec("DELETE FROM context WHERE cid = ?", c.ID)
	d.config.Exec("DELETE FROM login2context WHERE cid = ?", c.ID)
	d.config.Exec("DELETE FROM context_server2db_pool WHERE cid = ?", c.ID)
	d.config.Exec("UPDATE contexts_per_dbschema SET count = count - 1 WHERE db_pool_id = ? AND schemaname = ?", db, schema)
}

func payloadTx(db *sql.DB, c Created) error {
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var seq int
	err = tx.QueryRow("SELECT id FROM sequence_folder WHERE cid = ? FOR UPDATE", c.ID).Scan(&seq)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if _, err := tx.Exec("INSERT INTO sequence_folder (cid, id) VALUES (?, ?) ON DUPLICATE KEY UPDATE id = VALUES(id)", c.ID, 20+len(defaultFolders)); err != nil {
		return err
	}
	if _, err := tx.Exec("INSERT INTO user (cid, id, name, mail) VALUES (?, 2, ?, NULL)", c.ID, c.Admin); err != nil {
		return err
	}
	var q strings.Builder
	args := make([]any, 0, 4*len(defaultFolders))
	q.WriteString("INSERT INTO oxfolder_tree (cid, fuid, parent, fname, created_from) VALUES ")
	for i, name := range defaultFolders {
		if i > 0 {
			q.WriteString(",")
		}
		q.WriteString("(?, ?, ?, ?, 2)")
		args = append(args, c.ID, 20+i, 1+i/5, name)
	}
	if _, err := tx.Exec(q.String(), args...); err != nil {
		return err
	}
	return tx.Commit()
}

// retryable: a deadlock (1213) or a lock wait timeout (1205).
func retryable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

// Exists asks configdb.
func (d *DBStore) Exists(id string) (bool, error) {
	var n int
	err := d.config.QueryRow("SELECT COUNT(*) FROM context WHERE cid = ?", id).Scan(&n)
	return n > 0, err
}

// Contexts lists configdb's contexts with their schema.
func (d *DBStore) Contexts() (map[string]Created, error) {
	rows, err := d.config.Query(`SELECT c.cid, c.name, p.db_schema, p.write_db_pool_id FROM context c
		JOIN context_server2db_pool p ON p.cid = c.cid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Created{}
	for rows.Next() {
		var c Created
		var db int
		if err := rows.Scan(&c.ID, &c.Name, &c.Schema, &db); err != nil {
			return nil, err
		}
		c.DatabaseID = strconv.Itoa(db)
		out[c.ID] = c
	}
	return out, rows.Err()
}

// PayloadRows counts the admin users in every payload schema: one per
// context created (a check that the second transaction happened once).
func (d *DBStore) PayloadRows() (int, error) {
	d.mu.Lock()
	names := make([]string, 0, len(d.schemas))
	for n := range d.schemas {
		names = append(names, n)
	}
	d.mu.Unlock()
	total := 0
	for _, n := range names {
		db, _ := d.schema(n)
		var k int
		if err := db.QueryRow("SELECT COUNT(*) FROM user").Scan(&k); err != nil {
			return 0, err
		}
		total += k
	}
	return total, nil
}

package oxsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Context is what the stand-in records for a created context.
type Context struct {
	ID             int    `json:"contextid"`
	Schema         string `json:"schema"`
	Strategy       string `json:"schema-strategy"`
	Database       int    `json:"destination-database-id"`
	Store          int    `json:"destination-store-id"`
	Quota          int64  `json:"quota"`
	Username       string `json:"username"`
	PasswordSHA256 string `json:"password-sha256"` // the database keeps no plain password
	DisplayName    string `json:"displayname"`
	GivenName      string `json:"givenname"`
	Surname        string `json:"surname"`
	Email          string `json:"email"`
	File           string `json:"file"`
	Started        int64  `json:"import-started-ns"` // when this file's import began
	Created        int64  `json:"created-ns"`
}

// store is the server's create: an injected failure is a StorageException,
// an id that exists a ContextExistsException (the primary key conflict
// OXContextMySQLStorage turns into "Context <id> already exists!"). An
// empty marker file per id, created with O_EXCL, decides between parallel
// imports; what was applied goes to this import's journal, one JSON line.
func (imp *importer) store(c *Context) *javaException {
	if imp.fail[c.ID] {
		return imp.server.adminException(storage, "injected failure (OXSIM_FAIL)")
	}
	if imp.state == "" {
		return nil
	}
	err := imp.claim(c.ID)
	if errors.Is(err, os.ErrExist) {
		return imp.server.adminException(contextExists, fmt.Sprintf("Context %d already exists!", c.ID))
	}
	if err == nil {
		err = imp.record(c)
	}
	if err != nil {
		return imp.server.adminException(storage, err.Error())
	}
	return nil
}

// claim creates the context's marker; os.ErrExist when it is there.
func (imp *importer) claim(id int) error {
	dir := filepath.Join(imp.state, "ids", strconv.Itoa(id/1000))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	marker, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(id)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	return marker.Close()
}

// record appends the context to this import's journal.
func (imp *importer) record(c *Context) error {
	if imp.journal == nil {
		name := filepath.Join(imp.state, fmt.Sprintf("journal-%d-%d.jsonl", os.Getpid(), imp.started))
		var err error
		if imp.journal, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err != nil {
			return err
		}
	}
	c.Created = time.Now().UnixNano()
	line, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = imp.journal.Write(append(line, '\n'))
	return err
}

func (imp *importer) closeJournal() {
	if imp.journal != nil {
		imp.journal.Close()
	}
}

// note appends one line to the stand-in's own log, for tests.
func (imp *importer) note(kind, what string) {
	if imp.state == "" {
		return
	}
	f, err := os.OpenFile(filepath.Join(imp.state, "notes.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s\t%s\t%s\n", kind, what, imp.opts.file)
}

// Created reads back every context created under a state directory.
func Created(state string) ([]Context, error) {
	paths, err := filepath.Glob(filepath.Join(state, "journal-*.jsonl"))
	if err != nil {
		return nil, err
	}
	var out []Context
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if line == "" {
				continue
			}
			var c Context
			if err := json.Unmarshal([]byte(line), &c); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", p, i+1, err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

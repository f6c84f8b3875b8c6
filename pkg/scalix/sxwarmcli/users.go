package sxwarmcli

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"provpipe/pkg/scalix/imapwarm"
	"provpipe/pkg/scalix/userlist"
	"provpipe/pkg/scalix/warm"
	"provpipe/pkg/scalix/warmreport"
	"provpipe/pkg/shared/cli"
)

// users reads the input, leaves out those --done names and returns the rest
// with the length of the whole input.
func (c *Command) users() ([]warm.User, int, error) {
	entries, err := userlist.Inline(c.Users)
	if err != nil {
		return nil, 0, err
	}
	if c.Users == "" {
		entries, err = userlist.ReadFiles(c.Files, c.env.Stdin, userlist.Format(c.Input))
	}
	switch {
	case errors.Is(err, userlist.ErrEmpty) || err == nil && c.Users != "" && len(entries) == 0:
		return nil, 0, fmt.Errorf("no users on input (%s is empty): nothing to warm; did the command before the pipe fail?", c.inputName())
	case err != nil:
		return nil, 0, err
	case len(entries) == 0:
		// Comments or blank lines only: a list that is empty on purpose
		// (a --report of a run where nobody failed).
		c.warn(fmt.Sprintf("no users in %s (only comments or blank lines): nothing to warm", c.inputName()))
		return nil, 0, nil
	}
	entries, dropped := userlist.Dedupe(entries)
	for _, e := range dropped {
		c.env.Warnf("sxwarm", "%s: user %q is listed again; warmed once", e.Source, e.Login)
	}
	users := make([]warm.User, len(entries))
	for i, e := range entries {
		if c.Auth == string(imapwarm.AuthUser) && e.Password == "" {
			return nil, 0, fmt.Errorf("%s: user %q has no password; --auth user needs CSV input with a password column", e.Source, e.Login)
		}
		users[i] = warm.User{Login: e.Login, Password: e.Password, Index: i + 1}
	}
	if users, err = c.matching(users); err != nil {
		return nil, 0, err
	}
	if c.Done == "" || c.firstOfResumable() {
		return users, len(entries), nil
	}
	done, err := warmreport.ReadDone(c.Done, c.warn)
	if err != nil {
		return nil, 0, err
	}
	scope := warmreport.Scope{Folders: splitList(c.Folders), AllFolders: c.AllFolders, Strict: c.Strict}
	kept := done.Remaining(users, scope)
	// An account --exclude names was reported skipped once already: it is
	// neither reported again nor counted as to go.
	skip := skipSet(c.Exclude)
	kept = slices.DeleteFunc(kept, func(u warm.User) bool { return skip[u.Login] && done.Seen(u.Login) })
	if already := len(users) - len(kept); already > 0 {
		c.env.Warnf("sxwarm", "--done: %s already warmed or skipped, %d to go", cli.Count(already, "user"), len(kept))
	}
	return kept, len(entries), nil
}

// matching keeps the users --match selects, in their input positions.
func (c *Command) matching(users []warm.User) ([]warm.User, error) {
	if c.Match == "" {
		return users, nil
	}
	re, err := regexp.Compile(c.Match)
	if err != nil {
		return nil, fmt.Errorf("--match: %w", err)
	}
	return slices.DeleteFunc(users, func(u warm.User) bool { return !re.MatchString(u.Login) }), nil
}

// inputName names where the users came from, for messages.
func (c *Command) inputName() string {
	switch {
	case c.Users != "":
		return "-U"
	case len(c.Files) == 0:
		return "stdin"
	}
	return strings.Join(c.Files, ", ")
}

// firstOfResumable: --done and --append name the same file, which does not
// exist yet. That is the first run of a resumable job, with nothing done.
func (c *Command) firstOfResumable() bool {
	if c.Done != c.Append {
		return false
	}
	_, err := os.Stat(c.Done)
	return errors.Is(err, os.ErrNotExist)
}

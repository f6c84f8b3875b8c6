package warm

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
)

// User is one input user.
type User struct {
	Login    string
	Password string // only with AuthUser
	Index    int    // 1-based position in the input
	// ListIfMissing asks for the user's folder names (Result.Offered) when
	// a folder is missing: Run sets it on the first user, so a misspelt -F
	// can be answered with the names the server has.
	ListIfMissing bool
}

// Folder statuses.
const (
	StatusOK      = "ok"
	StatusMissing = "missing"
	StatusError   = "error"
)

// FolderResult is what warming one folder did.
type FolderResult struct {
	Name     string
	Status   string
	Messages int
	Bytes    int64
	Seconds  float64
	Err      error
}

// errAuthFailed marks a login the server refused: never retried.
var errAuthFailed = errors.New("login refused")

// AuthFailed marks err as a refused login, which is never retried.
func AuthFailed(err error) error { return fmt.Errorf("%w: %v", errAuthFailed, err) }

// Transient marks err as worth a retry (connection lost, server busy).
func Transient(err error) error { return &transientError{err} }

// transientError marks a failure worth retrying: connection lost, timeout,
// BYE, NO [UNAVAILABLE].
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// IsTransient reports whether err is worth a retry.
func IsTransient(err error) bool {
	var t *transientError
	return errors.As(err, &t)
}

// NetworkTransient marks the failures of any network protocol as transient:
// a timeout, a lost or reset connection, an early end of the stream. Each
// warmer adds what its own protocol says (IMAP's BYE, HTTP's 503).
func NetworkTransient(err error) error {
	if err == nil || IsTransient(err) {
		return err
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return &transientError{err}
	case strings.Contains(err.Error(), "connection reset"), strings.Contains(err.Error(), "broken pipe"),
		strings.Contains(err.Error(), "closed"):
		return &transientError{err}
	}
	return err
}

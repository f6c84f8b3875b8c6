package oxsim

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Java exception classes whose toString() createcontext prints. Throwable's
// toString() is the class's full name, ": ", and the message.
const (
	invalidCredentials = "com.openexchange.admin.rmi.exceptions.InvalidCredentialsException"
	invalidData        = "com.openexchange.admin.rmi.exceptions.InvalidDataException"
	storage            = "com.openexchange.admin.rmi.exceptions.StorageException"
	contextExists      = "com.openexchange.admin.rmi.exceptions.ContextExistsException"
	indexOutOfBounds   = "java.lang.ArrayIndexOutOfBoundsException"
	fileNotFound       = "java.io.FileNotFoundException"
)

// Exit statuses of BasicCommandlineOptions (SYSEXIT_*), as printErrors in
// ObjectNamingAbstraction assigns them; every other exception exits 1.
var exitStatus = map[string]int{
	invalidCredentials: 101,
	invalidData:        103,
	storage:            106,
}

// javaException is an exception as the console sees it.
type javaException struct {
	class   string
	message string   // getMessage(): with "; exceptionId ..." for admin RMI exceptions
	frames  []string // what printStackTrace's "\tat" lines would name
}

// String is Throwable.toString().
func (e *javaException) String() string { return e.class + ": " + e.message }

// exceptionIDs numbers exceptions as AbstractAdminRmiException (7.10.4 on)
// does: a random int fixed per JVM, a dash, and a counter that the
// generator increments twice per exception (so 2, 4, 6, ...). Every admin
// RMI exception's getMessage() ends in "; exceptionId <that>".
type exceptionIDs struct {
	jvm   int32
	count int
}

func (g *exceptionIDs) next() string {
	g.count += 2
	return strconv.Itoa(int(g.jvm)) + "-" + strconv.Itoa(g.count)
}

// adminException makes an admin RMI exception whose message carries its id.
func (g *exceptionIDs) adminException(class, message string, frames ...string) *javaException {
	return &javaException{class: class, message: message + "; exceptionId " + g.next(), frames: frames}
}

// randomJVM is a JVM's random exception id base.
func randomJVM() int32 {
	var b [4]byte
	rand.Read(b[:])
	return int32(binary.BigEndian.Uint32(b[:]))
}

// serverJVM is the Open-Xchange server's id base: one per platform (state
// directory), kept across imports as one running server keeps it.
func serverJVM(state string) int32 {
	if state == "" {
		return randomJVM()
	}
	path := filepath.Join(state, "server-exception-id")
	if b, err := os.ReadFile(path); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 32); err == nil {
			return int32(n)
		}
	}
	id := randomJVM()
	os.WriteFile(path, []byte(strconv.Itoa(int(id))+"\n"), 0o600)
	return id
}

// printErrors writes what ObjectNamingAbstraction.printErrors writes for an
// exception that ends createcontext (with no id, as csvparsing's caller
// passes none) and returns the exit status. Without --nonl, the first part
// "context could not be created: " is a line of its own
// (createMessageForStderr prints with println), then
// BasicCommandlineOptions.printServerException prints "Server response:",
// the message indented by one space, the stack trace and an empty line.
// The stand-in's frames name the method that throws, without line numbers:
// no reader of these logs should depend on them.
func printErrors(w io.Writer, e *javaException) int {
	var b strings.Builder
	b.WriteString("context could not be created: \n")
	b.WriteString("Server response:\n " + e.message + "\n")
	for _, f := range e.frames {
		b.WriteString("\tat " + f + "\n")
	}
	b.WriteString("\n")
	io.WriteString(w, b.String())
	if code, ok := exitStatus[e.class]; ok {
		return code
	}
	return 1
}

// indexError is the ArrayIndexOutOfBoundsException Java 11 and later throw
// when a row has fewer fields than a column's index needs.
func indexError(index, length int) *javaException {
	return &javaException{class: indexOutOfBounds,
		message: fmt.Sprintf("Index %d out of bounds for length %d", index, length),
		frames:  []string{"com.openexchange.admin.console.user.UserAbstraction.setValue(UserAbstraction.java)"}}
}

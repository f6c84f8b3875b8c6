//go:build unix

// Package e2e runs the built commands the way an operator does: through
// pipes, against GNU coreutils, the documented shell script, real servers.
package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"provpipe/internal/testserver/testenv"
)

// result is what a command did.
type result struct {
	stdout, stderr string
	code           int
}

// run runs one of the project's tools with stdin and returns its result.
func run(t *testing.T, stdin string, tool string, args ...string) result {
	t.Helper()
	return runIn(t, "", stdin, testenv.Binary(t, tool), args...)
}

// runIn runs any program in dir.
func runIn(t *testing.T, dir, stdin, prog string, args ...string) result {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	return capture(t, cmd)
}

// capture runs cmd and returns its output and exit status; a program that
// could not be started fails the test.
func capture(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", cmd.Path, err)
	}
	return result{out.String(), errb.String(), code}
}

// shell runs a bash pipeline with the built tools first on PATH.
func shell(t *testing.T, dir, script string) result {
	t.Helper()
	bin := filepath.Dir(testenv.Binary(t, "ctxrows"))
	cmd := exec.Command("bash", "-o", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	return capture(t, cmd)
}

// listDir returns the sorted names in dir, hidden ones included.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// parseCSV parses a whole CSV file with encoding/csv, the independent reader.
func parseCSV(t *testing.T, text string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("parse CSV: %v\n%s", err, text)
	}
	return recs
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Package clitest holds the command-line contract of the four tools as
// data: each testdata/*.txtar file is one behaviour (its input files, the
// command line, the expected stdout, stderr and exit status), run by
// testscript with the tools registered in-process, so a reviewer reads the
// contract without reading Go. Tests that need real servers, GNU parallel
// or signals are in e2e/.
package clitest

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"provpipe/pkg/openxchange/ctxcreatecli"
	"provpipe/pkg/openxchange/ctxrowscli"
	"provpipe/pkg/openxchange/ctxsplitcli"
	"provpipe/pkg/scalix/sxuserscli"
	"provpipe/pkg/scalix/sxwarmcli"
	"provpipe/pkg/shared/cli"
)

func TestMain(m *testing.M) {
	tool := func(main func([]string, *cli.Env) int) func() {
		return func() { os.Exit(main(os.Args[1:], cli.OSEnv())) }
	}
	testscript.Main(m, map[string]func(){
		"ctxcreate": tool(ctxcreatecli.Main),
		"ctxrows":   tool(ctxrowscli.Main),
		"ctxsplit":  tool(ctxsplitcli.Main),
		"sxusers":   tool(sxuserscli.Main),
		"sxwarm":    tool(sxwarmcli.Main),
	})
}

func TestContract(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:  "testdata",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"status": status, "files": files, "binary": binary},
	})
}

// status N PROGRAM ARGS... runs the program and checks that it exits with
// N: the exit statuses are part of the contract (1 some items failed, 2
// bad usage or input), which testscript's "! exec" cannot tell apart.
func status(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: %q is not a number", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// files DIR [NAME...] checks that DIR holds exactly the named entries,
// hidden ones included: a refused run must leave no shard and no temporary
// file behind, which "! exists" can only check for names known in advance.
func files(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: files DIR [NAME...]")
	}
	entries, err := os.ReadDir(ts.MkAbs(args[0]))
	ts.Check(err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := slices.Clone(args[1:])
	slices.Sort(want)
	if !slices.Equal(got, want) {
		ts.Fatalf("%s holds [%s], want [%s]", args[0], strings.Join(got, " "), strings.Join(want, " "))
	}
}

// binary FILE N writes N bytes that are not text to FILE: an executable's
// first bytes (NUL at offset 7), then every byte value in turn, quotes,
// commas and line ends among them, as a binary file given by mistake has.
func binary(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: binary FILE N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	b := []byte("\x7fELF\x02\x01\x01")
	for i := 0; len(b) < n; i++ {
		b = append(b, byte(i))
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b[:n], 0o644))
}

package clitest

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"provpipe/pkg/openxchange/ctxcreatecli"
	"provpipe/pkg/openxchange/ctxrowscli"
	"provpipe/pkg/openxchange/ctxsplitcli"
	"provpipe/pkg/scalix/sxuserscli"
	"provpipe/pkg/scalix/sxwarmcli"
	"provpipe/pkg/shared/cli"
)

// vocabularyRow is one row of ARCHITECTURE.md's table of shared flags.
type vocabularyRow struct {
	idea  string
	flags []string
	tools []string
}

// TestFlagVocabulary holds every tool's flags against the table of shared
// flags in ARCHITECTURE.md: each row's flags are taken by each tool it
// lists and by no other, and a flag that two tools take is in a row (one
// name, one idea).
func TestFlagVocabulary(t *testing.T) {
	rows := readVocabulary(t, "../ARCHITECTURE.md")
	if len(rows) < 5 {
		t.Fatalf("ARCHITECTURE.md: %d rows in the flag table; the table was not found", len(rows))
	}
	flags := toolFlags(t)
	inRow := map[string]bool{}
	for _, r := range rows {
		for _, f := range r.flags {
			inRow[f] = true
			for tool, has := range flags {
				want := slices.Contains(r.tools, tool)
				if got := slices.Contains(has, f); got != want {
					t.Errorf("%q (%s): %s takes it: %v, the table says %v", f, r.idea, tool, got, want)
				}
			}
		}
	}
	takenBy := map[string][]string{}
	for tool, has := range flags {
		for _, f := range has {
			takenBy[f] = append(takenBy[f], tool)
		}
	}
	for f, tools := range takenBy {
		if len(tools) > 1 && !inRow[f] {
			t.Errorf("%s is taken by %v but is in no row of ARCHITECTURE.md's flag table: one idea, or two names", f, tools)
		}
	}
}

func toolFlags(t *testing.T) map[string][]string {
	t.Helper()
	flags := map[string][]string{}
	for _, c := range []struct {
		p    cli.Program
		tool cli.Tool
	}{
		{sxuserscli.Program, &sxuserscli.Command{}},
		{sxwarmcli.Program, &sxwarmcli.Command{}},
		{ctxrowscli.Program, &ctxrowscli.Command{}},
		{ctxsplitcli.Program, &ctxsplitcli.Command{}},
		{ctxcreatecli.Program, &ctxcreatecli.Command{}},
	} {
		names, err := cli.FlagNames(c.p, c.tool)
		if err != nil {
			t.Fatalf("%s: %v", c.p.Name, err)
		}
		flags[c.p.Name] = names
	}
	return flags
}

var backticked = regexp.MustCompile("`([^`]+)`")

// readVocabulary reads the table under "## One flag vocabulary".
func readVocabulary(t *testing.T, path string) []vocabularyRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []vocabularyRow
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## One flag vocabulary"
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if !in || !strings.HasPrefix(line, "|") || len(cells) != 3 || strings.HasPrefix(cells[1], "---") || strings.TrimSpace(cells[0]) == "Idea" {
			continue
		}
		r := vocabularyRow{idea: strings.TrimSpace(cells[0])}
		for _, m := range backticked.FindAllStringSubmatch(cells[1], -1) {
			r.flags = append(r.flags, m[1])
		}
		for _, tool := range strings.Split(cells[2], ",") {
			r.tools = append(r.tools, strings.TrimSpace(tool))
		}
		rows = append(rows, r)
	}
	return rows
}

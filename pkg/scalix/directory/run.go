package directory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"provpipe/pkg/shared/field"
)

// OmsearchArgs is the seed's command line for listing every user with the
// CN and IA-FORMAL attributes.
var OmsearchArgs = []string{"-d", "SYSTEM", "-e", "ENTRY-TYPE=1", "-m", "CN/IA-FORMAL", "-s"}

// DefaultOmsearch is where Scalix installs omsearch.
const DefaultOmsearch = "/opt/scalix/bin/omsearch"

// ErrNoOmsearch is returned when omsearch is nowhere to be found.
var ErrNoOmsearch = errors.New("omsearch not found")

// FindOmsearch returns the omsearch to run: explicit when given, else the
// one on PATH, else Scalix's usual location.
func FindOmsearch(explicit string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", field.Errorf("Omsearch", "%s: %w", explicit, err)
		}
		return explicit, nil
	}
	if p, err := exec.LookPath("omsearch"); err == nil {
		return p, nil
	}
	if _, err := os.Stat(DefaultOmsearch); err == nil {
		return DefaultOmsearch, nil
	}
	return "", fmt.Errorf("%w on PATH nor at %s", ErrNoOmsearch, DefaultOmsearch)
}

// RunOmsearch runs omsearch and parses what it prints. A failure names the
// command and quotes what omsearch said, since that is usually a missing
// right: omsearch needs root on a Scalix server.
func RunOmsearch(ctx context.Context, path string) ([]Entry, []*LineError, error) {
	cmd := exec.CommandContext(ctx, path, OmsearchArgs...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		said := strings.TrimSpace(stderr.String())
		if said == "" {
			said = "(nothing on stderr)"
		}
		return nil, nil, fmt.Errorf("%s %s: %w: %s", path, strings.Join(quoteArgs(OmsearchArgs), " "), err, said)
	}
	return ParseOmsearch(&stdout, "omsearch")
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " =/'") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}

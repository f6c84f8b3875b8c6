package shard

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"provpipe/pkg/shared/cli"
)

// WritePaths prints the shard paths, one per line, in one write, so a
// following `parallel ... {}` gets every file. In key mode a shard that got
// no key is left out: it holds only the header, and an import of it would
// do nothing but count as a job.
func WritePaths(w io.Writer, res *Result, keyMode bool) error {
	var b strings.Builder
	for _, s := range res.Written(keyMode) {
		b.WriteString(s.Path)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteSummary prints the per-shard summary and, in round-robin mode, the
// warning about schemas spread over several shards.
func WriteSummary(w io.Writer, tool string, res *Result, opt Options) {
	var b strings.Builder
	width := 0
	for _, s := range res.Shards {
		width = max(width, len(s.Path))
	}
	for _, s := range res.Shards {
		fmt.Fprintf(&b, "%s: %-*s %9d records", tool, width, s.Path, s.Records)
		if s.Schemas >= 0 {
			noun := "schemas"
			if s.Schemas == 1 {
				noun = "schema"
			}
			fmt.Fprintf(&b, " %6d %s", s.Schemas, noun)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "%s: %s in %s\n", tool, cli.Count(int(res.Records), "record"), cli.Count(len(res.Shards), "shard"))
	io.WriteString(w, b.String())
}

// Warnings says what an operator must know about the split, summary or not:
// schemas spread over shards (round-robin), shards that got no key, and
// shards far from even (key mode).
func Warnings(res *Result, opt Options) []string {
	var out []string
	if opt.By == "" && res.SplitSchemasCount > 0 {
		out = append(out, fmt.Sprintf("warning: %d of %d schemas land in more than one shard (%s); "+
			"parallel streams writing into one schema risk deadlocks: use --by %s",
			res.SplitSchemasCount, res.SchemasCount, strings.Join(res.SplitSchemas, ", "), res.SchemaColumn))
	}
	if opt.By == "" {
		return out
	}
	var empty []string
	for _, s := range res.Shards {
		if s.Records == 0 {
			empty = append(empty, s.Path)
		}
	}
	if len(empty) > 0 {
		out = append(out, fmt.Sprintf("warning: %d keys of %s for %d shards: %s got none; written with the header only "+
			"(so no older file stays under that name) and left out of the paths printed",
			res.Keys, opt.By, len(res.Shards), strings.Join(empty, ", ")))
	}
	if f := res.Imbalance(); f > balanceLimit && len(empty) < len(res.Shards) {
		out = append(out, fmt.Sprintf("warning: shards are uneven: the largest holds %.2fx the mean; "+
			"%d keys of %s divide evenly into %s shards", f, res.Keys, opt.By, suggestShards(res.Keys, len(res.Shards))))
	}
	return out
}

// suggestShards lists up to three shard counts dividing keys, nearest to n.
func suggestShards(keys, n int) string {
	var divs []int
	for d := 1; d <= keys; d++ {
		if keys%d == 0 {
			divs = append(divs, d)
		}
	}
	sort.SliceStable(divs, func(a, b int) bool { return abs(divs[a]-n) < abs(divs[b]-n) })
	divs = divs[:min(3, len(divs))]
	sort.Ints(divs)
	parts := make([]string, len(divs))
	for i, d := range divs {
		parts[i] = fmt.Sprintf("-n %d", d)
	}
	return strings.Join(parts, ", ")
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// StaleShards lists existing files named like shards of this prefix
// (PREFIX, digits, .csv) that this run does not write: left by an earlier
// run with another shard count, they would be picked up by
// `parallel ::: PREFIX*.csv` and imported twice.
func StaleShards(prefix string, n int) []string {
	mine := map[string]bool{}
	for _, p := range Paths(prefix, n) {
		mine[p] = true
	}
	matches, _ := filepath.Glob(globEscape(prefix) + "[0-9]*.csv")
	var stale []string
	for _, m := range matches {
		digits := strings.TrimSuffix(strings.TrimPrefix(m, prefix), ".csv")
		if !mine[m] && len(digits) >= 2 && strings.Trim(digits, "0123456789") == "" {
			stale = append(stale, m)
		}
	}
	sort.Strings(stale)
	return stale
}

// globEscape quotes glob metacharacters in a literal path prefix.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

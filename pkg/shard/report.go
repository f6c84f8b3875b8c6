package shard

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// WritePaths prints the shard paths, one per line, in one write, so a
// following `parallel ... {}` gets every file.
func WritePaths(w io.Writer, res *Result) error {
	var b strings.Builder
	for _, s := range res.Shards {
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
			fmt.Fprintf(&b, " %6d schemas", s.Schemas)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "%s: %d records in %d shards\n", tool, res.Records, len(res.Shards))
	if opt.By == "" && res.SplitSchemasCount > 0 {
		fmt.Fprintf(&b, "%s: warning: %d of %d schemas land in more than one shard (%s); "+
			"parallel streams writing into one schema risk deadlocks: use --by %s\n",
			tool, res.SplitSchemasCount, res.SchemasCount, strings.Join(res.SplitSchemas, ", "), SchemaColumn)
	}
	io.WriteString(w, b.String())
}

// StaleShards lists existing files that look like shards of an earlier run
// with more shards than this one; `parallel ::: contexts-*.csv` would pick
// them up.
func StaleShards(prefix string, n int) []string {
	var stale []string
	for k := n + 1; ; k++ {
		p := shardPath(prefix, k, suffixWidth(k))
		if _, err := os.Stat(p); err != nil {
			return stale
		}
		stale = append(stale, p)
	}
}

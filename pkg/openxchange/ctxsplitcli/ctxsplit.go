// Package ctxsplitcli is the ctxsplit command: its flags, and how they
// drive the shard package and the files it writes.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package ctxsplitcli

import (
	"context"
	"errors"
	"fmt"

	"provpipe/pkg/openxchange/shard"
	"provpipe/pkg/shared/cli"
	"provpipe/pkg/shared/outfiles"
)

// Command holds ctxsplit's flags.
type Command struct {
	cli.VersionFlag
	Input  string  `arg:"" optional:"" default:"-" help:"CSV input with a header line; - is stdin."`
	Shards int     `short:"n" required:"" help:"Number of shard files to write."`
	Prefix string  `short:"o" default:"contexts-" help:"Path prefix of the shard files; they are named PREFIX01.csv, PREFIX02.csv, ..."`
	By     *string `placeholder:"COLUMN" help:"Keep all records with the same value of COLUMN in one shard, balancing shards by record count (e.g. --by schema)."`
	Force  bool    `help:"Overwrite existing shard files."`
	Strict bool    `name:"require-utf8" help:"Reject records that are not valid UTF-8."`
	Quiet  bool    `short:"q" help:"Do not print the per-shard summary on stderr."`
}

// Program names and describes ctxsplit.
var Program = cli.Program{Name: "ctxsplit", Description: `Split a CSV stream round-robin into N files, each starting with the header.

Record i goes to shard i mod N, as 'split -n r/N' does with lines, but a quoted
field holding a newline is never cut. Shards are written under temporary names
and renamed only when the whole input was read and valid. The paths written are
printed on stdout, one per line, ready for 'parallel ... {}'.`}

// Main runs ctxsplit with args and returns its exit status.
func Main(args []string, env *cli.Env) int {
	return cli.Main(Program, &Command{}, args, env)
}

// options turns the flags into the shard package's options, checked.
func (c *Command) options() (shard.Options, error) {
	opt := shard.Options{Shards: c.Shards, Prefix: c.Prefix, Force: c.Force, Strict: c.Strict}
	if c.By != nil {
		if *c.By == "" {
			return opt, fmt.Errorf("--by needs a column name")
		}
		opt.By, opt.ByGiven = *c.By, true
	}
	if err := opt.Validate(); err != nil {
		return opt, err
	}
	if err := outfiles.EnsureOpenFiles(c.Shards + 16); err != nil {
		return opt, fmt.Errorf("-n %d: %w", c.Shards, err)
	}
	return opt, nil
}

// Run splits the input into shards; on any error, a signal included,
// no shard is renamed into place.
func (c *Command) Run(ctx context.Context, env *cli.Env) error {
	opt, err := c.options()
	if err != nil {
		return err
	}
	stale := shard.StaleShards(c.Prefix, c.Shards)
	if len(stale) > 0 && !c.Force {
		return fmt.Errorf("%s named like shards of %q %s left from an earlier split (%s%s); 'parallel ::: %s*.csv' would import them too: remove them, or --force removes them with this split",
			cli.Count(len(stale), "file"), c.Prefix, isAre(len(stale)), stale[0], more(stale), c.Prefix)
	}
	in, name, err := cli.OpenInput(env, c.Input)
	if err != nil {
		return fmt.Errorf("open input: %w", err)
	}
	defer in.Close()

	set := outfiles.New(c.Force)
	set.RemoveOnCommit(stale...)
	res, err := shard.Split(ctx, in, name, opt, set)
	if n := set.Swept(); n > 0 {
		// Said whatever follows: they held the passwords of a killed run.
		env.Warnf("ctxsplit", "removed %s left by an earlier run that was killed", cli.Count(n, "temporary shard file"))
	}
	if err == nil {
		err = set.Commit()
	}
	if err != nil {
		set.Abort()
		if ctx.Err() != nil {
			return cli.Interrupted(ctx, "no shard file written")
		}
		if errors.Is(err, outfiles.ErrExists) {
			return fmt.Errorf("%w (use --force to overwrite)", err)
		}
		return err
	}
	if !c.Quiet {
		shard.WriteSummary(env.Stderr, "ctxsplit", res, opt)
	}
	for _, w := range shard.Warnings(res, opt) {
		env.Warnf("ctxsplit", "%s", w)
	}
	if len(stale) > 0 {
		env.Warnf("ctxsplit", "removed %s left from an earlier split (%s%s)", cli.Count(len(stale), "file"), stale[0], more(stale))
	}
	return shard.WritePaths(env.Stdout, res, opt.By != "")
}

func more(list []string) string {
	if len(list) > 1 {
		return fmt.Sprintf(" and %d more", len(list)-1)
	}
	return ""
}

// ManSections adds to the man page what --help has no room for.
func (c *Command) ManSections() []cli.ManSection {
	return []cli.ManSection{
		{Title: "Output", Body: `Shards are PREFIX01.csv to PREFIXNN.csv (three digits from 100 shards on), each starting with the input's header, records byte for byte as read. Their paths are printed on stdout, one per line; a summary of records per shard goes to stderr. Existing shard files are not overwritten without --force, and nothing is renamed into place unless the whole input was valid.`},
		{Title: "Examples", Body: `  ctxrows --password-file pw -e 100000 -d schemas.csv | ctxsplit -n 8 --by schema | parallel -j 8 'ADMIN_PASSWORD="$MASTER_PW" createcontext -A oxadminmaster --csv-import {}'
      (8 shards for a schemas file of 8 schemas or more: no schema is in two shards)
  ctxsplit -n 4 -o batch- contexts.csv`},
	}
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

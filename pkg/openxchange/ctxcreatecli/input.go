package ctxcreatecli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"provpipe/pkg/openxchange/ctxcreate"
	"provpipe/pkg/shared/cli"
)

// inputs reads the files in turn, each with its own header.
type inputs struct {
	env     *cli.Env
	paths   []string
	cur     *ctxcreate.Reader
	closeFn func() error
}

func (c *Command) open() (*inputs, error) {
	paths, err := cli.ExpandGlobs(c.Files)
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	return &inputs{env: c.env, paths: paths}, nil
}

// next returns the next row of the inputs, opening each in turn.
func (in *inputs) next() (*ctxcreate.Job, error) {
	for {
		if in.cur == nil {
			if len(in.paths) == 0 {
				return nil, io.EOF
			}
			r, name, err := cli.OpenInput(in.env, in.paths[0])
			in.paths = in.paths[1:]
			if err != nil {
				return nil, fmt.Errorf("open input: %w", err)
			}
			in.closeFn = r.Close
			if in.cur, err = ctxcreate.NewReader(r, name); err != nil {
				return nil, err
			}
		}
		j, err := in.cur.Next()
		if errors.Is(err, io.EOF) {
			in.close()
			continue
		}
		return j, err
	}
}

func (in *inputs) close() {
	if in.closeFn != nil {
		in.closeFn()
	}
	in.cur, in.closeFn = nil, nil
}

// skipping is next without the contexts of skip.
func (in *inputs) skipping(skip map[string]bool) func() (*ctxcreate.Job, error) {
	return func() (*ctxcreate.Job, error) {
		for {
			j, err := in.next()
			if err != nil || !skip[j.ID()] {
				return j, err
			}
		}
	}
}

// doneSet reads --done: the contexts an earlier run reports created or
// existing. A missing file is an empty set when it is also the --append
// file (the first run of a command line that resumes itself).
func (c *Command) doneSet() (map[string]bool, error) {
	set := map[string]bool{}
	if c.Done == "" {
		return set, nil
	}
	f, err := os.Open(c.Done)
	if errors.Is(err, os.ErrNotExist) && c.Done == c.Append {
		return set, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--done: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		id, outcome, ok := ctxcreate.ParseResult(sc.Text())
		if !ok {
			if strings.TrimSpace(sc.Text()) == "" || strings.HasPrefix(sc.Text(), "#") {
				continue
			}
			return nil, fmt.Errorf("--done: %s:%d: not a line of ctxcreate's tsv or jsonl results", c.Done, n)
		}
		if outcome == ctxcreate.Created || outcome == ctxcreate.Existed {
			set[id] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--done: %s: %w", c.Done, err)
	}
	return set, nil
}

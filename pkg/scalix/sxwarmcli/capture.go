package sxwarmcli

import (
	"context"
	"errors"
	"fmt"
	"net"

	"provpipe/pkg/scalix/imapcapture"
	"provpipe/pkg/scalix/imapwarm"
	"provpipe/pkg/shared/cli"
	"provpipe/pkg/shared/tlsconf"
)

// capture relays client sessions from --capture's address to the IMAP
// server and prints the FETCH lists the client sent, as a --fetch argument.
func (c *Command) capture(ctx context.Context) error {
	cfg, err := c.captureConfig()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Capture)
	if err != nil {
		return fmt.Errorf("--capture %s: %w", c.Capture, err)
	}
	defer ln.Close()
	if err := imapwarm.Probe(cfg); err != nil {
		return err
	}
	c.env.Warnf("sxwarm", "capturing on %s for %s: point one mail client (or the webmail) at %s, plain IMAP without TLS, "+
		"and open its folders; sxwarm records only command names and FETCH, STATUS and LIST RETURN item lists, "+
		"never the login, password, folder names or message data; %s",
		ln.Addr(), cfg.Addr, ln.Addr(), c.captureEnd())
	record := imapcapture.NewRecord()
	proxy := &imapcapture.Proxy{
		Listener: ln,
		Dial:     cfg.DialServer,
		Record:   record,
		Note:     func(line string) { c.env.Warnf("sxwarm", "%s", line) },
	}
	serveErr := proxy.Serve(ctx, c.Sessions)
	if err := record.Write(c.env.Stdout); err != nil {
		return err
	}
	if serveErr != nil {
		return serveErr
	}
	return ctx.Err() // interrupted: the record is printed, the exit says how it ended
}

func (c *Command) captureEnd() string {
	if c.Sessions > 0 {
		return "the list is printed after " + cli.Count(c.Sessions, "client session")
	}
	return "press Ctrl-C when done to print the list"
}

// captureConfig is the connection to the server the captured client's
// sessions are relayed to; the client's own login goes through it, so no
// admin or password is asked for. The client reaches the relay in clear:
// only on this machine, unless --send-password-in-clear.
func (c *Command) captureConfig() (*imapwarm.Config, error) {
	switch {
	case c.Via != "imap" || c.API != "":
		return nil, errors.New("--capture relays IMAP: it takes no --via platform or --api")
	case c.DryRun || c.Report || c.Check || c.Fetch != "" || c.Profile != "default" || len(c.Files) > 0 || c.Users != "":
		return nil, errors.New("--capture learns a --fetch list from a client; it takes no users, --fetch, --profile, --check, --dry-run or --report")
	case c.Sessions < 0:
		return nil, fmt.Errorf("--sessions %d: give 1 or more, or 0 for until Ctrl-C", c.Sessions)
	}
	host, _, err := net.SplitHostPort(c.Capture)
	if err != nil {
		return nil, fmt.Errorf("--capture %q: give HOST:PORT, e.g. 127.0.0.1:1430: %w", c.Capture, err)
	}
	if !tlsconf.IsLoopback(host) && !c.SendPasswordInClear {
		return nil, fmt.Errorf("--capture %s: the client would send its password in clear across the network to it; listen on 127.0.0.1 (run the client on this machine, or tunnel with ssh -L), or add --send-password-in-clear on a network you trust", c.Capture)
	}
	cfg := &imapwarm.Config{Addr: hostPort(c.Host, c.SSL), ConnectTimeout: c.ConnectTimeout, Timeout: c.Timeout}
	return cfg, c.tls(cfg)
}

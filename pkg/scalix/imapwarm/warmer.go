package imapwarm

import (
	"errors"
	"fmt"
	"net"

	"provpipe/pkg/scalix/warm"
)

// WarmOnce makes one attempt over IMAP: connect, log in, warm every folder.
func (cfg *Config) WarmOnce(u warm.User) warm.Result {
	s, err := dial(cfg, u)
	if err != nil {
		return warm.Result{Err: fmt.Errorf("user %q: %w", u.Login, err)}
	}
	if cfg.LoginOnly {
		s.logout()
		return warm.Result{LoginOnly: true}
	}
	folders := cfg.Folders
	if cfg.AllFolders {
		if folders, err = s.listFolders(); err != nil {
			s.close()
			return warm.Result{Err: fmt.Errorf("user %q: %w", u.Login, err)}
		}
	}
	var res warm.Result
	for _, f := range folders {
		fr := s.warmFolder(f)
		if fr.Err != nil {
			fr.Err = fmt.Errorf("user %q: %w", u.Login, fr.Err)
		}
		res.Folders = append(res.Folders, fr)
		if fr.Err != nil && warm.IsTransient(fr.Err) {
			s.close() // the connection is gone or in doubt: retry the user
			return res
		}
	}
	if cfg.Status {
		warmed := map[string]bool{}
		for _, f := range res.Folders {
			warmed[f.Name] = true
		}
		n, failed := s.statusOthers(warmed)
		res.StatusFolders = n
		for _, fr := range failed {
			fr.Err = fmt.Errorf("user %q: %w", u.Login, fr.Err)
			res.Folders = append(res.Folders, fr)
			if warm.IsTransient(fr.Err) {
				s.close()
				return res
			}
		}
	}
	if u.ListIfMissing && res.Missing() > 0 {
		res.Offered, _ = s.listFolders() // a hint only: its failure costs nothing
	}
	s.logout()
	return res
}

// Probe checks that the server can be reached at all, TLS certificate and
// greeting included, so a wrong host, port or CA gives one clear error
// rather than a failure per user. It does not log in.
func Probe(cfg *Config) error {
	quick := *cfg
	quick.Debug = nil
	s, err := connect(&quick, "")
	var clear *CleartextError
	if errors.As(err, &clear) {
		return err // reached, and refused on our side
	}
	if err != nil {
		return fmt.Errorf("cannot reach IMAP server %s: %w", cfg.Addr, err)
	}
	s.logout()
	return nil
}

// DialServer connects to the server as the warmer does, with TLS as
// configured (and, for a plain connection to another machine, STARTTLS or
// a refusal), and returns the connection with the server's greeting still
// to be read. It logs nobody in: sxwarm --capture relays a client's own
// session over it.
func (cfg *Config) DialServer() (net.Conn, error) {
	quiet := *cfg
	quiet.Debug = nil
	// --connect-timeout bounds TCP, STARTTLS and the handshake, as for
	// warming; no idle timeout after: the client's session may idle.
	guard, err := dialGuarded(cfg.Addr, cfg.ConnectTimeout, 0)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", cfg.Addr, err)
	}
	c, err := secure(guard, &quiet, "")
	if err != nil {
		guard.Close()
		return nil, err
	}
	guard.connected()
	return c, nil
}

package imapwarm

import (
	"errors"
	"fmt"

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

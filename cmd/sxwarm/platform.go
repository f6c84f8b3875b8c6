package main

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"provpipe/internal/scalix/platform"
)

// platform builds the Platform API warmer from the flags.
func (c *command) platform() (*platform.Client, error) {
	api, err := c.apiURL()
	if err != nil {
		return nil, err
	}
	if c.StartTLS {
		return nil, fmt.Errorf("--starttls is for IMAP; the Platform API uses https (--ssl or an https:// --api)")
	}
	if c.Auth != "mboxadmin" {
		return nil, fmt.Errorf("--auth is for IMAP; with --via platform the login is --api-login %q", c.APILogin)
	}
	if c.User == "" {
		return nil, fmt.Errorf("--via platform needs the admin account: -u ADMIN")
	}
	folders, err := c.foldersAndJobs()
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(api)
	tc, err := c.TLSConfig(u.Hostname())
	if err != nil {
		return nil, err
	}
	pw, err := c.password()
	if err != nil {
		return nil, err
	}
	cfg := platform.Config{
		API: api, Admin: c.User, Password: pw, Login: c.APILogin, Realm: c.Realm,
		Folders: folders, All: c.AllFolders, PageSize: c.PageSize, Timeout: c.Timeout, Connect: c.ConnectTimeout, TLSConfig: tc,
	}
	if c.Debug {
		cfg.Debug = os.Stderr
	}
	return platform.New(cfg)
}

// apiURL is --api as given, or built from HOST[:PORT] (http, or https with
// --ssl) and the path /api.
func (c *command) apiURL() (string, error) {
	api := c.API
	if api == "" {
		return "", fmt.Errorf("--via platform needs --api URL (SWA's swa.platform.url, e.g. http://scalix.example.com:8080/api)")
	}
	if strings.Contains(api, "://") {
		if c.SSL && strings.HasPrefix(api, "http://") {
			return "", fmt.Errorf("--ssl with an http:// --api: give https:// or drop --ssl")
		}
		return api, nil
	}
	scheme := "http"
	if c.SSL {
		scheme = "https"
	}
	return scheme + "://" + strings.TrimSuffix(api, "/") + "/api", nil
}

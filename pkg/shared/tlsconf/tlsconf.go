// Package tlsconf builds the TLS client settings every provpipe tool takes
// from --ca and --insecure: certificates verified against the system's
// roots, or the CA file given, unless the operator says --insecure.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"os"

	"provpipe/pkg/shared/field"
)

// Flags are --ca and --insecure, embedded in a tool's flags.
type Flags struct {
	CA       string `type:"existingfile" placeholder:"FILE" help:"PEM file of CA certificates to trust."`
	Insecure bool   `help:"Do not verify the server's TLS certificate."`
}

// Client returns the client configuration the flags ask for.
func (f Flags) TLSConfig(serverName string) (*tls.Config, error) {
	return Client(serverName, f.CA, f.Insecure)
}

// Client returns a client configuration for serverName.
func Client(serverName, caFile string, insecure bool) (*tls.Config, error) {
	conf := &tls.Config{ServerName: serverName, InsecureSkipVerify: insecure, MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return conf, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, field.Errorf("CA", ": %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, field.Errorf("CA", "%s: no PEM certificate found", caFile)
	}
	conf.RootCAs = pool
	return conf, nil
}

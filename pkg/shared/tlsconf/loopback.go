package tlsconf

import (
	"context"
	"net"
	"strings"
	"time"
)

// IsLoopback tells whether host (a name or an address, without a port)
// is this machine's loopback: the only place a password may go without
// TLS unless the operator says otherwise, as Dovecot's
// disable_plaintext_auth allows plaintext logins from loopback alone. A
// name counts only if every address it resolves to is loopback; a name
// that does not resolve does not count.
func IsLoopback(host string) bool {
	host = strings.Trim(host, "[]")
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true // RFC 6761: always loopback, whatever DNS says
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil || len(addrs) == 0 {
		return false
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return false
		}
	}
	return true
}

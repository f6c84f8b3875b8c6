package tlsconf

import "testing"

func TestIsLoopback(t *testing.T) {
	cases := []struct {
		host string
		want bool
	}{
		{"127.0.0.1", true},
		{"127.0.0.53", true},
		{"::1", true},
		{"[::1]", true},
		{"localhost", true},
		{"imap.localhost", true},
		{"192.0.2.10", false},
		{"10.0.0.1", false},
		{"fd00::2", false},
		{"::ffff:192.0.2.1", false},
		{"scalix.example.invalid", false}, // does not resolve (RFC 6761 .invalid)
	}
	for _, c := range cases {
		if got := IsLoopback(c.host); got != c.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", c.host, got, c.want)
		}
	}
}

package imapwarm

import (
	"testing"
	"time"

	"provpipe/internal/testserver/mailsim"
	"provpipe/pkg/scalix/warm"
)

// BenchmarkWarmOnce warms one user with a 2 000-message INBOX on the
// embedded server: the client's cost per message (the server is in-process
// and keeps everything in memory, so this is mostly sxwarm and go-imap).
func BenchmarkWarmOnce(b *testing.B) {
	const messages = 2000
	srv := mailsim.New(mailsim.Options{Admin: "admin", AdminPassword: "pw"})
	if err := srv.AddUser("bench", "", map[string]int{"INBOX": messages}); err != nil {
		b.Fatal(err)
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	cfg := &Config{Addr: srv.Addr(), ConnectTimeout: 5 * time.Second, Timeout: 30 * time.Second,
		Admin: "admin", Password: "pw", Auth: AuthMboxadmin, Folders: []string{"INBOX"}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res := cfg.WarmOnce(warm.User{Login: "bench", Index: 1})
		if len(res.Folders) != 1 || res.Folders[0].Messages != messages {
			b.Fatalf("warmed %+v", res)
		}
	}
	b.ReportMetric(float64(b.N*messages)/b.Elapsed().Seconds(), "msgs/s")
}

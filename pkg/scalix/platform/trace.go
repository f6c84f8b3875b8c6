package platform

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// traceTransport writes each request and its answer's status to w, one
// whole line each. It sits above the transports that add Authorization
// (Basic or Digest), so the request it sees never carries credentials: the
// line only says they were sent, as <redacted>.
type traceTransport struct {
	w    io.Writer
	user string
	next http.RoundTripper
}

func (t *traceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	line := fmt.Sprintf("sxwarm: [%s] %s %s [Authorization: <redacted>]", t.user, req.Method, req.URL.RequestURI())
	if err != nil {
		line += fmt.Sprintf(" -> error: %v", err)
	} else {
		line += fmt.Sprintf(" -> %s in %.3fs", resp.Status, time.Since(start).Seconds())
	}
	io.WriteString(t.w, line+"\n")
	return resp, err
}

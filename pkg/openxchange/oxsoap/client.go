package oxsoap

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Client calls OXContextService at one URL with the master credentials.
type Client struct {
	url  string
	auth Credentials
	http *http.Client
}

// Config says where the service is and how to reach it.
type Config struct {
	URL       string // the server, e.g. https://ox.example.com; ServicePath is added
	Auth      Credentials
	TLS       *tls.Config
	Timeout   time.Duration // one request, answer included
	Conns     int           // kept-alive connections (the stream count)
	Transport http.RoundTripper
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	tr := cfg.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = cfg.TLS
		t.MaxIdleConnsPerHost = max(cfg.Conns, 2)
		t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		tr = t
	}
	return &Client{url: strings.TrimSuffix(cfg.URL, "/") + ServicePath, auth: cfg.Auth,
		http: &http.Client{Transport: tr, Timeout: cfg.Timeout}}
}

// LostError is a request whose outcome is unknown: the connection was lost
// or timed out after it was sent, so OX may have done it. The caller asks
// (Exists) before sending it again.
type LostError struct{ Err error }

func (e *LostError) Error() string { return "no answer: " + e.Err.Error() }
func (e *LostError) Unwrap() error { return e.Err }

// HTTPError is an answer that is no SOAP envelope (a proxy's 502, 503).
type HTTPError struct {
	Status int
	Body   string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body)
}

// Transient: a 5xx without a SOAP fault, or 429.
func (e *HTTPError) Transient() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests
}

// Create creates one context; a Fault tells why OX refused it.
func (c *Client) Create(ctx context.Context, r *CreateRequest) error {
	_, err := c.call(ctx, r.Envelope(c.auth), false)
	return err
}

// Exists asks whether the context of id exists.
func (c *Client) Exists(ctx context.Context, id string) (bool, error) {
	ret, err := c.call(ctx, ExistsEnvelope(id, c.auth), true)
	if err != nil {
		return false, err
	}
	switch strings.TrimSpace(ret) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("exists: answer %q is no boolean", ret)
}

// call posts envelope and returns the text of the response's return
// element (when wantReturn), or the fault.
func (c *Client) call(ctx context.Context, envelope []byte, wantReturn bool) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(envelope))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `""`)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if sentOrUnknown(err) {
			return "", &LostError{Err: err}
		}
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", &LostError{Err: err}
	}
	if !wantReturn && succeeded(resp.StatusCode, body) {
		return "", nil
	}
	return parseResponse(resp.StatusCode, body)
}

// sentOrUnknown: an error after which the request may have reached the
// server. A refused or unresolvable connection never sent it.
func sentOrUnknown(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	var dns *net.DNSError
	return !errors.As(err, &dns)
}

// envelope is what OX answers: a return value or a fault.
type envelope struct {
	Body struct {
		Fault *struct {
			Code   string `xml:"faultcode"`
			String string `xml:"faultstring"`
			Detail struct {
				Inner []struct {
					XMLName xml.Name
				} `xml:",any"`
			} `xml:"detail"`
		} `xml:"Fault"`
		Response struct {
			Return string `xml:"return"`
		} `xml:",any"`
	} `xml:"Body"`
}

func parseResponse(status int, body []byte) (string, error) {
	if status == http.StatusOK {
		if ret, ok := quickReturn(body); ok {
			return ret, nil
		}
	}
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil || env.Body.Fault == nil && status != http.StatusOK {
		return "", &HTTPError{Status: status, Body: excerpt(body)}
	}
	if f := env.Body.Fault; f != nil {
		fault := &Fault{Message: strings.TrimSpace(f.String), HTTP: status}
		if len(f.Detail.Inner) > 0 {
			fault.Exception = f.Detail.Inner[0].XMLName.Local
		}
		return "", fault
	}
	return env.Body.Response.Return, nil
}

// excerpt is the start of a body that was no SOAP answer, on one line.
func excerpt(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

// quickReturn reads the return value of a plain answer without a full XML
// decode, which costs more client CPU than the rest of a request: a 200
// answer, no fault, one return element whose text has no markup or
// entity. Anything else goes to the decoder.
func quickReturn(body []byte) (string, bool) {
	if bytes.Contains(body, []byte("Fault>")) {
		return "", false
	}
	i := bytes.Index(body, []byte("return>"))
	if i < 1 || (body[i-1] != '<' && body[i-1] != ':') {
		return "", false
	}
	rest := body[i+len("return>"):]
	j := bytes.IndexByte(rest, '<')
	if j < 0 || !bytes.HasPrefix(rest[j:], []byte("</")) || bytes.IndexByte(rest[:j], '&') >= 0 {
		return "", false
	}
	return string(rest[:j]), true
}

// succeeded: a 200 answer that is no fault. A create's answer (the
// Context) need not be read: that it came is the news.
func succeeded(status int, body []byte) bool {
	return status == http.StatusOK && bytes.Contains(body, []byte("Response")) && !bytes.Contains(body, []byte("Fault>"))
}

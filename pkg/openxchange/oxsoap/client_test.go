package oxsoap

import (
	"errors"
	"testing"
)

// TestParseResponse: the quick paths agree with the decoder on answers,
// and faults always reach the decoder.
func TestParseResponse(t *testing.T) {
	const ok = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ns:existsResponse xmlns:ns="http://soap.admin.openexchange.com"><ns:return>true</ns:return></ns:existsResponse></soap:Body></soap:Envelope>`
	const fault = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Context 7 already exists!; exceptionId 12-2</faultstring><detail><ns1:ContextExistsException xmlns:ns1="http://soap.admin.openexchange.com"/></detail></soap:Fault></soap:Body></soap:Envelope>`
	const bare = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Authentication failed</faultstring></soap:Fault></soap:Body></soap:Envelope>`
	if ret, q := quickReturn([]byte(ok)); !q || ret != "true" {
		t.Errorf("quickReturn = %q, %v", ret, q)
	}
	if ret, err := parseResponse(200, []byte(ok)); err != nil || ret != "true" {
		t.Errorf("decoder = %q, %v", ret, err)
	}
	if _, q := quickReturn([]byte(fault)); q || succeeded(500, []byte(fault)) || succeeded(200, []byte(fault)) {
		t.Error("a fault taken for an answer")
	}
	var f *Fault
	if _, err := parseResponse(500, []byte(fault)); !errors.As(err, &f) || !f.Was("ContextExistsException") || f.Message != "Context 7 already exists!; exceptionId 12-2" {
		t.Errorf("fault: %v", err)
	}
	if _, err := parseResponse(500, []byte(bare)); !errors.As(err, &f) || f.Exception != "" || !f.Was("InvalidCredentialsException") {
		t.Errorf("a fault without detail: %v", err)
	}
	var h *HTTPError
	if _, err := parseResponse(503, []byte("<html>Service Unavailable</html>")); !errors.As(err, &h) || !h.Transient() {
		t.Errorf("a 503 page: %v", err)
	}
}

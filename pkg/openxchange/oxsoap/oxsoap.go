// Package oxsoap speaks the part of Open-Xchange's SOAP provisioning API
// that creating contexts needs: OXContextService's create (and
// createModuleAccessByName) and exists, SOAP 1.1 over HTTP(S), with the
// faults OX answers classified for retrying.
//
// The contract, as appsuite-middleware's com.openexchange.admin.soap.context
// defines it: the operations and their wrapper elements are in
// http://soap.admin.openexchange.com; Context, User, Database and
// SchemaSelectStrategy in http://dataobjects.soap.admin.openexchange.com/xsd;
// Credentials in http://dataobjects.rmi.admin.openexchange.com/xsd. A
// fault's faultstring is the exception's message, and its detail names the
// exception's class.
//
// It is a part of provpipe's tools, not a library: it promises no API to
// other modules, and may change with any release.
package oxsoap

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

// The namespaces of OX's SOAP admin API.
const (
	nsEnvelope = "http://schemas.xmlsoap.org/soap/envelope/"
	nsService  = "http://soap.admin.openexchange.com"
	nsData     = "http://dataobjects.soap.admin.openexchange.com/xsd"
	nsRMI      = "http://dataobjects.rmi.admin.openexchange.com/xsd"
)

// ServicePath is OXContextService's endpoint under the server's URL (CXF
// serves the admin services under /webservices).
const ServicePath = "/webservices/OXContextService"

// Context is what a create sends of the context. Values are strings as the
// CSV has them; OX parses the numbers and refuses what is not one.
type Context struct {
	ID          string
	Name        string // contextname; empty: OX names it by its id
	MaxQuota    string // MB
	FilestoreID string // destination-store-id
	DatabaseID  string // destination-database-id: writeDatabase/id
}

// User is the context's admin user.
type User struct {
	Name, Password, DisplayName, GivenName, SurName, Email, Language, Timezone string
}

// Strategy is the SchemaSelectStrategy: a schema by name, or a strategy
// ("automatic"); OX refuses both at once.
type Strategy struct {
	SchemaName string
	Strategy   string
}

// Credentials are the master admin's login.
type Credentials struct{ Login, Password string }

// CreateRequest is one context to create.
type CreateRequest struct {
	Context  Context
	Admin    User
	Strategy Strategy
	// Access is the access combination name (access-combination-name);
	// when set, the call is createModuleAccessByName.
	Access string
}

// operation is the SOAP operation the request calls.
func (r *CreateRequest) operation() string {
	if r.Access != "" {
		return "createModuleAccessByName"
	}
	return "create"
}

// Envelope returns the request's SOAP envelope; auth's password is
// written as given (Redacted writes it for display).
func (r *CreateRequest) Envelope(auth Credentials) []byte {
	var b bytes.Buffer
	start(&b, r.operation())
	b.WriteString("<s:ctx>")
	// The order of OX's Context sequence: filestoreId, id, maxQuota,
	// name, writeDatabase.
	elem(&b, "d:filestoreId", r.Context.FilestoreID)
	elem(&b, "d:id", r.Context.ID)
	elem(&b, "d:maxQuota", r.Context.MaxQuota)
	elem(&b, "d:name", r.Context.Name)
	if r.Context.DatabaseID != "" {
		b.WriteString("<d:writeDatabase>")
		elem(&b, "d:id", r.Context.DatabaseID)
		b.WriteString("</d:writeDatabase>")
	}
	b.WriteString("</s:ctx><s:admin_user>")
	u := r.Admin
	for _, f := range [][2]string{{"display_name", u.DisplayName}, {"email1", u.Email}, {"given_name", u.GivenName},
		{"language", u.Language}, {"name", u.Name}, {"password", u.Password}, {"primaryEmail", u.Email},
		{"sur_name", u.SurName}, {"timezone", u.Timezone}} {
		elem(&b, "d:"+f[0], f[1])
	}
	b.WriteString("</s:admin_user>")
	if r.Access != "" {
		elem(&b, "s:access_combination_name", r.Access)
	}
	writeAuth(&b, auth)
	if r.Strategy != (Strategy{}) {
		b.WriteString("<s:schema_select_strategy>")
		elem(&b, "d:schemaName", r.Strategy.SchemaName)
		elem(&b, "d:strategy", r.Strategy.Strategy)
		b.WriteString("</s:schema_select_strategy>")
	}
	end(&b, r.operation())
	return b.Bytes()
}

// ExistsEnvelope asks whether the context of id exists.
func ExistsEnvelope(id string, auth Credentials) []byte {
	var b bytes.Buffer
	start(&b, "exists")
	b.WriteString("<s:ctx>")
	elem(&b, "d:id", id)
	b.WriteString("</s:ctx>")
	writeAuth(&b, auth)
	end(&b, "exists")
	return b.Bytes()
}

// Redacted is an envelope with the credentials' password replaced, for
// --dry-run and traces; the context admin's password too.
func Redacted(envelope []byte) []byte {
	out := envelope
	for _, tag := range []string{"r:password", "d:password"} {
		out = redactElement(out, tag)
	}
	return out
}

func redactElement(b []byte, tag string) []byte {
	open, closing := []byte("<"+tag+">"), []byte("</"+tag+">")
	var out bytes.Buffer
	for {
		i := bytes.Index(b, open)
		if i < 0 {
			out.Write(b)
			return out.Bytes()
		}
		j := bytes.Index(b[i:], closing)
		if j < 0 {
			out.Write(b)
			return out.Bytes()
		}
		out.Write(b[:i+len(open)])
		out.WriteString("&lt;redacted&gt;")
		b = b[i+j:]
	}
}

func start(b *bytes.Buffer, op string) {
	fmt.Fprintf(b, `<?xml version="1.0" encoding="UTF-8"?>`+
		`<e:Envelope xmlns:e="%s" xmlns:s="%s" xmlns:d="%s" xmlns:r="%s"><e:Body><s:%s>`,
		nsEnvelope, nsService, nsData, nsRMI, op)
}

func end(b *bytes.Buffer, op string) {
	fmt.Fprintf(b, "</s:%s></e:Body></e:Envelope>", op)
}

func writeAuth(b *bytes.Buffer, auth Credentials) {
	b.WriteString("<s:auth>")
	elem(b, "r:login", auth.Login)
	elem(b, "r:password", auth.Password)
	b.WriteString("</s:auth>")
}

// elem writes <tag>value</tag>, or nothing for an empty value (OX reads a
// missing element as not given).
func elem(b *bytes.Buffer, tag, value string) {
	if value == "" {
		return
	}
	b.WriteString("<" + tag + ">")
	xml.EscapeText(b, []byte(value))
	b.WriteString("</" + tag + ">")
}

// Fault is a SOAP fault OX answered: the exception's class (from the
// detail element; empty when the server sent no detail) and its message.
type Fault struct {
	Exception string // e.g. ContextExistsException
	Message   string // the faultstring: the exception's message
	HTTP      int    // the HTTP status it came with (500)
}

func (f *Fault) Error() string {
	if f.Exception == "" {
		return f.Message
	}
	return "com.openexchange.admin.rmi.exceptions." + f.Exception + ": " + f.Message
}

// Was reports whether the fault is of the exception class, falling back to the message for servers
// that send no detail.
func (f *Fault) Was(exception string) bool {
	if f.Exception != "" {
		return f.Exception == exception
	}
	switch exception {
	case "ContextExistsException":
		return strings.HasSuffix(strings.TrimSpace(cutExceptionID(f.Message)), "already exists!")
	case "InvalidCredentialsException":
		return strings.Contains(f.Message, "Authentication failed")
	}
	return false
}

// Transient reports a fault worth retrying: a StorageException of a
// deadlock, a lock wait or OX's own retries given up ("Repetitively failed
// to write context into payload database"), and a RemoteException.
func (f *Fault) Transient() bool {
	if f.Was("RemoteException") {
		return true
	}
	m := strings.ToLower(f.Message)
	for _, s := range []string{"deadlock", "lock wait timeout", "repetitively failed", "try restarting transaction"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// cutExceptionID removes OX's "; exceptionId N-M" suffix.
func cutExceptionID(msg string) string {
	if i := strings.LastIndex(msg, "; exceptionId "); i >= 0 {
		return msg[:i]
	}
	return msg
}

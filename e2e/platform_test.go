//go:build unix

package e2e

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// platformStandIn is a STAND-IN for the Scalix Platform API, written for
// these tests from what is known of the API (SWA's configuration and public
// client code). It is not Scalix: it serves the documented JSON shapes for
// seeded users, checks the Basic-auth credentials against the
// mboxadmin:{admin}:{user} template, records every page read and injects
// faults.
type platformStandIn struct {
	srv      *httptest.Server
	admin    string
	password string
	template string // with {admin} and {user}
	realm    string // non-empty: Digest authentication in this realm instead of Basic

	mu     sync.Mutex
	users  map[string]map[string]int // user -> folder path -> messages
	pages  map[string]map[string][]int
	logins map[string]int // Basic user names seen
	faults map[string]*platformFault
}

type platformFault struct {
	kind  string // "500", "401", "drop", "slow"
	times int    // 0: always
}

func startPlatform(t *testing.T, users map[string]map[string]int) *platformStandIn {
	return startPlatformWith(t, users, httptest.NewServer)
}

// startPlatformWith starts the stand-in with httptest.NewServer or NewTLSServer.
func startPlatformWith(t *testing.T, users map[string]map[string]int, start func(http.Handler) *httptest.Server) *platformStandIn {
	t.Helper()
	p := &platformStandIn{admin: "sxadmin", password: "api-secret-9", template: "mboxadmin:{admin}:{user}",
		users: users, pages: map[string]map[string][]int{}, logins: map[string]int{}, faults: map[string]*platformFault{}}
	p.srv = start(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *platformStandIn) api() string { return p.srv.URL + "/api" }

// mailboxOf is the mailbox path /userinfo gives a user.
func mailboxOf(user string) string {
	return "/" + strings.ReplaceAll(strings.ToLower(user), " ", ".") + "@example.com/mailbox"
}

// drefOf names a folder in URLs: its path with "/" made safe.
func drefOf(path string) string { return "f-" + strings.NewReplacer("/", "~", " ", "_").Replace(path) }

func (p *platformStandIn) serve(w http.ResponseWriter, r *http.Request) {
	user, ok := p.authenticate(r)
	if p.realm != "" {
		user, ok = p.authenticateDigest(r)
	}
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="Scalix API"`)
		if p.realm != "" {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Digest realm="%s", nonce="n0nce-%d", qop="auth", algorithm=MD5`, p.realm, time.Now().UnixNano()))
		}
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if p.fault(user, w) {
		return
	}
	folders := p.users[user]
	mailbox := mailboxOf(user)
	path := strings.TrimPrefix(r.URL.Path, "/api")
	q := r.URL.Query()
	switch {
	case path == "/userinfo":
		json.NewEncoder(w).Encode(map[string]string{"smtpaddress": strings.TrimSuffix(strings.TrimPrefix(mailbox, "/"), "/mailbox"),
			"displayname": user, "authid": user, "mailbox": mailbox})
	case path == mailbox && q.Get("treeview") == "true":
		json.NewEncoder(w).Encode(map[string]any{"revision": 42, "folders": tree(folders)})
	case strings.HasPrefix(path, mailbox+"/"):
		p.servePage(w, user, strings.TrimPrefix(path, mailbox+"/"), q)
	default:
		http.NotFound(w, r)
	}
}

// tree builds the nested folder list of the documented shape.
func tree(folders map[string]int) []map[string]any {
	var paths []string
	for f := range folders {
		paths = append(paths, f)
	}
	sort.Strings(paths)
	nodes := map[string]map[string]any{}
	var roots []map[string]any
	for _, path := range paths {
		name := path[strings.LastIndex(path, "/")+1:]
		typ := map[string]string{"Calendar": "IPF.Appointment", "Contacts": "IPF.Contact"}[name]
		if typ == "" {
			typ = "IPF.Note"
		}
		n := map[string]any{"name": name, "dref": drefOf(path), "type": typ, "special": "", "unread": 0,
			"total": folders[path], "ns": "", "folders": []map[string]any{}}
		nodes[path] = n
		if i := strings.LastIndex(path, "/"); i >= 0 {
			parent := nodes[path[:i]]
			parent["folders"] = append(parent["folders"].([]map[string]any), n)
		} else {
			roots = append(roots, n)
		}
	}
	return roots
}

func (p *platformStandIn) servePage(w http.ResponseWriter, user, dref string, q map[string][]string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var path string
	for f := range p.users[user] {
		if drefOf(f) == dref {
			path = f
		}
	}
	start, err1 := strconv.Atoi(get("start"))
	end, err2 := strconv.Atoi(get("end"))
	if path == "" || err1 != nil || err2 != nil || get("detail") != "summary" || get("output") != "json" {
		http.Error(w, "bad page request", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	if p.pages[user] == nil {
		p.pages[user] = map[string][]int{}
	}
	p.pages[user][path] = append(p.pages[user][path], start)
	p.mu.Unlock()
	var items []map[string]any
	for i := start; i <= end && i < p.users[user][path]; i++ {
		items = append(items, map[string]any{"dref": fmt.Sprintf("m%d", i), "subject": fmt.Sprintf("message %d", i)})
	}
	json.NewEncoder(w).Encode(map[string]any{"total": p.users[user][path], "messages": items})
}

// authenticate checks the raw Basic credentials: exactly the template's
// user name for some seeded user, a colon, the admin's password. (The user
// name holds colons itself, so it is matched whole rather than split.)
func (p *platformStandIn) authenticate(r *http.Request) (string, bool) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Basic ")
	if !ok {
		return "", false
	}
	cred, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return "", false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for user := range p.users {
		login := strings.NewReplacer("{admin}", p.admin, "{user}", user).Replace(p.template)
		if string(cred) == login+":"+p.password {
			p.logins[login]++
			return user, true
		}
	}
	return "", false
}

// authenticateDigest checks an RFC 2617 Digest answer (MD5, qop=auth) whose
// user name is the template's, with the admin's password.
func (p *platformStandIn) authenticateDigest(r *http.Request) (string, bool) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Digest ")
	if !ok {
		return "", false
	}
	params := map[string]string{}
	for _, part := range splitDigestParams(raw) {
		k, v, _ := strings.Cut(part, "=")
		params[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	md5hex := func(s string) string { return fmt.Sprintf("%x", md5.Sum([]byte(s))) }
	ha1 := md5hex(params["username"] + ":" + p.realm + ":" + p.password)
	ha2 := md5hex(r.Method + ":" + params["uri"])
	want := md5hex(strings.Join([]string{ha1, params["nonce"], params["nc"], params["cnonce"], params["qop"], ha2}, ":"))
	if params["realm"] != p.realm || params["response"] != want {
		return "", false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for user := range p.users {
		if params["username"] == strings.NewReplacer("{admin}", p.admin, "{user}", user).Replace(p.template) {
			p.logins[params["username"]]++
			return user, true
		}
	}
	return "", false
}

// splitDigestParams splits at commas outside quotes.
func splitDigestParams(s string) []string {
	var parts []string
	quoted, start := false, 0
	for i, c := range s {
		switch {
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// fault injects the user's fault, if one is due, and says whether it did.
func (p *platformStandIn) fault(user string, w http.ResponseWriter) bool {
	p.mu.Lock()
	f := p.faults[user]
	due := f != nil && f.times >= 0
	if due && f.times > 0 {
		f.times--
		if f.times == 0 {
			f.times = -1 // spent
		}
	}
	p.mu.Unlock()
	if !due {
		return false
	}
	switch f.kind {
	case "500":
		http.Error(w, "internal error", http.StatusInternalServerError)
	case "401":
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	case "drop":
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"mailbox\": \"/x"))
		conn.Close()
	case "slow":
		time.Sleep(1500 * time.Millisecond)
		return false // then answers, too late for a 1s --timeout
	}
	return true
}

func platformUsers(n int) map[string]map[string]int {
	users := map[string]map[string]int{}
	for i := 0; i < n; i++ {
		folders := map[string]int{"INBOX": 120 + 37*i, "Calendar": 7 + i, "Contacts": 100, "Sent Items": 0, "Archive": 3, "Archive/2024": 250}
		if i == 1 {
			delete(folders, "Calendar")
		}
		users[fmt.Sprintf("User%d Test%d", i, i)] = folders
	}
	return users
}

// wantStarts is every page start of a folder of n messages.
func wantStarts(n, size int) []int {
	var s []int
	for i := 0; i < n; i += size {
		s = append(s, i)
	}
	return s
}

func TestSxwarmViaPlatform(t *testing.T) {
	users := platformUsers(5)
	p := startPlatform(t, users)
	pw := writeSecret(t, p.password)
	res := run(t, userNames(users), "sxwarm", "--via", "platform", "--api", p.api(), "-u", p.admin, "--password-file", pw, "-j", "3")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	checkCounts(t, parseTSV(t, res.stdout), users)
	for user, folders := range users {
		for _, f := range standardFolders {
			n, ok := folders[f]
			if !ok {
				continue
			}
			if got := p.pages[user][f]; fmt.Sprint(got) != fmt.Sprint(wantStarts(n, 100)) {
				t.Errorf("%s %s: pages read from %v, want %v", user, f, got, wantStarts(n, 100))
			}
		}
		if _, read := p.pages[user]["Archive/2024"]; read {
			t.Errorf("%s: a folder not asked for was read", user)
		}
		if login := "mboxadmin:sxadmin:" + user; p.logins[login] == 0 {
			t.Errorf("no request as %q; logins %v", login, p.logins)
		}
	}

	t.Run("text lines and all folders with small pages", func(t *testing.T) {
		r := run(t, "User3 Test3\n", "sxwarm", "--via", "platform", "--api", p.api(), "-u", p.admin, "--password-file", pw,
			"--all-folders", "--page-size", "7", "--format", "jsonl")
		var u struct {
			Status  string
			Folders []struct {
				Name     string
				Messages int
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &u); err != nil || r.code != 0 || u.Status != "ok" {
			t.Fatalf("exit %d, %q: %v %s", r.code, r.stdout, err, r.stderr)
		}
		got := map[string]int{}
		for _, f := range u.Folders {
			got[f.Name] = f.Messages
		}
		if fmt.Sprint(got) != fmt.Sprint(users["User3 Test3"]) {
			t.Errorf("all folders: %v, want %v", got, users["User3 Test3"])
		}
		if starts := p.pages["User3 Test3"]["Archive/2024"]; fmt.Sprint(starts) != fmt.Sprint(wantStarts(250, 7)) {
			t.Errorf("Archive/2024 pages %v", starts)
		}
	})

	t.Run("api-login template", func(t *testing.T) {
		p.template = "{user}@{admin}"
		defer func() { p.template = "mboxadmin:{admin}:{user}" }()
		r := run(t, "User0 Test0\n", "sxwarm", "--via", "platform", "--api", p.api(), "-u", p.admin, "--password-file", pw, "--api-login", "{user}@{admin}", "-F", "INBOX")
		if r.code != 0 || p.logins["User0 Test0@sxadmin"] == 0 {
			t.Errorf("exit %d, logins %v: %s", r.code, p.logins, r.stderr)
		}
	})
}

func TestSxwarmViaPlatformDigest(t *testing.T) {
	users := platformUsers(2)
	p := startPlatform(t, users)
	p.realm = "ScalixAPI"
	r := run(t, userNames(users), "sxwarm", "--via", "platform", "--api", p.api(), "-u", p.admin, "-w", p.password, "--realm", "ScalixAPI")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	checkCounts(t, parseTSV(t, r.stdout), users)
	if p.logins["mboxadmin:sxadmin:User1 Test1"] == 0 {
		t.Errorf("no Digest login as the template's user name: %v", p.logins)
	}
	// A challenge from another realm is refused rather than answered.
	before := p.logins["mboxadmin:sxadmin:User0 Test0"]
	r = run(t, "User0 Test0\n", "sxwarm", "--via", "platform", "--api", p.api(), "-u", p.admin, "-w", p.password, "--realm", "Elsewhere")
	if r.code != 2 || !strings.Contains(r.stderr, `realm is "ScalixAPI", not --realm "Elsewhere"`) || p.logins["mboxadmin:sxadmin:User0 Test0"] != before {
		t.Errorf("wrong realm: exit %d: %s", r.code, r.stderr)
	}
}

func TestSxwarmViaPlatformFaults(t *testing.T) {
	cases := []struct {
		fault    platformFault
		wantCode int
		want     string // user status
	}{
		{platformFault{"500", 1}, 0, "ok"},
		{platformFault{"drop", 1}, 0, "ok"},
		{platformFault{"slow", 1}, 0, "ok"},
		{platformFault{"500", 0}, 1, "failed"},
		{platformFault{"401", 0}, 1, "failed"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s x%d", c.fault.kind, c.fault.times), func(t *testing.T) {
			users := platformUsers(4)
			p := startPlatform(t, users)
			fault := c.fault
			p.faults["User2 Test2"] = &fault
			res := run(t, userNames(users), "sxwarm", "--via", "platform", "--api", p.api(), "-u", p.admin, "-w", p.password,
				"--format", "jsonl", "--timeout", "1s", "--debug")
			if res.code != c.wantCode {
				t.Fatalf("exit %d, want %d: %s", res.code, c.wantCode, res.stderr)
			}
			for _, line := range lines(res.stdout) {
				var u struct{ User, Status string }
				json.Unmarshal([]byte(line), &u)
				want := "ok"
				if u.User == "User2 Test2" {
					want = c.want
				}
				if u.Status != want {
					t.Errorf("%s: %s, want %s", u.User, u.Status, want)
				}
			}
			if c.wantCode == 1 && !strings.Contains(res.stderr, `user "User2 Test2": `) {
				t.Errorf("the failure does not name the user:\n%s", res.stderr)
			}
			if c.fault.kind == "401" && strings.Count(res.stderr, "[User2 Test2] GET /api/userinfo") != 1 {
				t.Errorf("a refused login was retried:\n%s", res.stderr)
			}
			if !strings.Contains(res.stderr, "Authorization: <redacted>") || strings.Contains(res.stderr, p.password) ||
				strings.Contains(res.stderr, base64.StdEncoding.EncodeToString([]byte("mboxadmin:sxadmin:User0 Test0:"+p.password))) {
				t.Errorf("trace shows credentials or lacks the redaction:\n%s", res.stderr)
			}
		})
	}
}

// TestSxwarmViaPlatformHTTPS: -S with --api HOST:PORT means
// https://HOST:PORT/api; the certificate is verified against --ca, refused
// without it (exit 2, nothing tried), accepted with --insecure.
func TestSxwarmViaPlatformHTTPS(t *testing.T) {
	users := platformUsers(2)
	p := startPlatformWith(t, users, httptest.NewTLSServer)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.srv.Certificate().Raw}), 0o644)
	hostPort := strings.TrimPrefix(p.srv.URL, "https://")
	base := []string{"--via", "platform", "-S", "--api", hostPort, "-u", p.admin, "-w", p.password}

	r := run(t, userNames(users), "sxwarm", append(base, "--ca", ca)...)
	if r.code != 0 {
		t.Fatalf("with --ca: exit %d: %s", r.code, r.stderr)
	}
	checkCounts(t, parseTSV(t, r.stdout), users)
	r = run(t, userNames(users), "sxwarm", base...)
	if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("unknown CA: exit %d, %q, %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, userNames(users), "sxwarm", append(base, "--insecure")...)
	if r.code != 0 {
		t.Errorf("--insecure: exit %d: %s", r.code, r.stderr)
	}
}

package platform

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"provpipe/pkg/scalix/warm"
)

// userInfo is the part of /userinfo we use.
type userInfo struct {
	Mailbox string `json:"mailbox"`
}

// folder is one node of the tree answer.
type folder struct {
	Name    string   `json:"name"`
	Dref    string   `json:"dref"`
	Type    string   `json:"type"`
	Total   int      `json:"total"`
	Folders []folder `json:"folders"`
}

type treeAnswer struct {
	Revision json.RawMessage `json:"revision"`
	Folders  []folder        `json:"folders"`
}

// mailbox asks the API for the user's mailbox path.
func (s *session) mailbox() (string, error) {
	var info userInfo
	if _, err := s.get("/userinfo?output=json", &info); err != nil {
		return "", err
	}
	if !strings.HasPrefix(info.Mailbox, "/") {
		return "", fmt.Errorf("GET /userinfo: no mailbox path in the answer (got %q)", info.Mailbox)
	}
	return info.Mailbox, nil
}

// tree reads the folder tree and indexes it by path ("Parent/Child").
func (s *session) tree(mailbox string) (map[string]folder, error) {
	var t treeAnswer
	if _, err := s.get(escapePath(mailbox)+"?output=json&treeview=true", &t); err != nil {
		return nil, err
	}
	out := map[string]folder{}
	var walk func(prefix string, fs []folder)
	walk = func(prefix string, fs []folder) {
		for _, f := range fs {
			path := prefix + f.Name
			out[path] = f
			walk(path+"/", f.Folders)
		}
	}
	walk("", t.Folders)
	return out, nil
}

// lookup finds a folder by path; INBOX matches in any case, as in IMAP.
func lookup(tree map[string]folder, name string) (folder, bool) {
	if f, ok := tree[name]; ok {
		return f, true
	}
	if strings.EqualFold(name, "INBOX") {
		for path, f := range tree {
			if strings.EqualFold(path, "INBOX") {
				return f, true
			}
		}
	}
	return folder{}, false
}

func sortedPaths(tree map[string]folder) []string {
	paths := make([]string, 0, len(tree))
	for p := range tree {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// page is a folder's summary list. Its shape is not documented: the items
// are the answer itself when it is an array, else the first array among
// the usual keys.
type page []json.RawMessage

func (p *page) UnmarshalJSON(b []byte) error {
	var list []json.RawMessage
	if err := json.Unmarshal(b, &list); err == nil {
		*p = list
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	for _, key := range []string{"messages", "items", "list", "summaries"} {
		if raw, ok := obj[key]; ok {
			return json.Unmarshal(raw, (*[]json.RawMessage)(p))
		}
	}
	*p = nil // an object without a list: an empty page
	return nil
}

// warmFolder reads every page of a folder's message summaries.
func (s *session) warmFolder(mailbox, name string, tree map[string]folder) warm.FolderResult {
	start := time.Now()
	res := warm.FolderResult{Name: name}
	f, ok := lookup(tree, name)
	if !ok {
		res.Status = warm.StatusMissing
		return res
	}
	size := s.c.cfg.PageSize
	for first := 0; first < f.Total; first += size {
		last := min(first+size, f.Total) - 1
		var items page
		n, err := s.get(fmt.Sprintf("%s/%s?output=json&sort=date&sort-direction=desc&start=%d&end=%d&detail=summary",
			escapePath(mailbox), url.PathEscape(f.Dref), first, last), &items)
		res.Bytes += n
		if err != nil {
			res.Status, res.Err = warm.StatusError, fmt.Errorf("folder %q: %w", name, err)
			res.Seconds = time.Since(start).Seconds()
			return res
		}
		res.Messages += len(items)
		if len(items) == 0 {
			break // the tree's count was ahead of the folder
		}
	}
	res.Status = warm.StatusOK
	res.Seconds = time.Since(start).Seconds()
	return res
}

// escapePath escapes each segment of a mailbox path ("/abr@scalix.com/mailbox").
func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

package userlist

import (
	"bufio"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"provpipe/pkg/shared/safetext"
)

// sniff tells the input's format by its first line that is not blank or a
// comment: a JSON object is JSON lines, a CSV header naming a login column
// is CSV, anything else one name per line. Two shapes that are not user
// lists are refused with what to do instead, since read as names their
// every line would become a user, and the login check would then blame
// the admin password: omsearch's listing, and CSV without a login column.
func sniff(br *bufio.Reader, name string) (Format, error) {
	head, _ := br.Peek(sniffBytes)
	lines := strings.Split(strings.TrimPrefix(string(head), "\xef\xbb\xbf"), "\n")
	n, first := firstLine(lines)
	switch {
	case strings.HasPrefix(first, "{"):
		return JSONL, nil
	case csvHeaderWith(first, "login"):
		return CSV, nil
	case looksLikeOmsearch(first):
		return "", fmt.Errorf("%s:%d: this looks like omsearch output (%s), not a list of user names: pipe it through sxusers: sxusers -f %s | sxwarm",
			name, n, safetext.Quote(first), fileArg(name))
	case looksLikeCSVHeader(first):
		return "", fmt.Errorf("%s:%d: this looks like CSV with the columns %s but no login column: sxwarm reads the login column (sxusers --format csv writes one); if these really are user names, give --input lines",
			name, n, safetext.Quote(first))
	}
	return Lines, nil
}

// firstLine returns the first line that is not blank or a comment, and
// its number.
func firstLine(lines []string) (int, string) {
	for i, l := range lines {
		l = strings.TrimSpace(strings.TrimSuffix(l, "\r"))
		if l != "" && !strings.HasPrefix(l, "#") {
			return i + 1, l
		}
	}
	return 0, ""
}

func csvHeaderWith(line, column string) bool {
	if !strings.Contains(line, ",") {
		return false
	}
	for _, col := range strings.Split(line, ",") {
		if strings.Trim(col, `" `) == column {
			return true
		}
	}
	return false
}

// omsearchLine is a line of `omsearch ... -m 'CN/IA-FORMAL'` output: the
// header, or a name followed by its tagged form (name/S=.../G=.../OU1=...).
var omsearchLine = regexp.MustCompile(`^CN/IA-FORMAL$|/(CN|S|G|OU[0-9])=`)

func looksLikeOmsearch(line string) bool { return omsearchLine.MatchString(line) }

// columnName is a CSV header cell: a lower-case word such as contextid or
// mail. People's names are written with capitals and spaces, so a list of
// "Surname, Given" names does not match.
var columnName = regexp.MustCompile(`^"?[a-z][a-z0-9_.-]*"?$`)

func looksLikeCSVHeader(line string) bool {
	cells := strings.Split(line, ",")
	if len(cells) < 2 {
		return false
	}
	for _, c := range cells {
		if !columnName.MatchString(strings.TrimSpace(c)) {
			return false
		}
	}
	return true
}

// fileArg is the input as sxusers' -f names it.
func fileArg(name string) string {
	if name == "stdin" {
		return "-"
	}
	return name
}

// jsonUser is the part of a `sxusers --format jsonl` line sxwarm reads.
type jsonUser struct {
	Login    *string `json:"login"`
	Password string  `json:"password"`
}

func readJSONL(br *bufio.Reader, name string) ([]Entry, error) {
	sc := newScanner(br)
	var out []Entry
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\xef\xbb\xbf"))
		if line == "" {
			continue
		}
		var u jsonUser
		if err := json.Unmarshal([]byte(line), &u); err != nil {
			return nil, fmt.Errorf("%s:%d: not a JSON object: %v", name, n, err)
		}
		if u.Login == nil || strings.TrimSpace(*u.Login) == "" {
			return nil, fmt.Errorf("%s:%d: JSON line without a \"login\": %s", name, n, safetext.Quote(line))
		}
		login := strings.TrimSpace(*u.Login)
		if err := CheckLogin(login); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		out = append(out, Entry{Login: login, Password: u.Password, Source: fmt.Sprintf("%s:%d", name, n)})
	}
	if err := scanError(sc, name); err != nil {
		return nil, err
	}
	return out, nil
}

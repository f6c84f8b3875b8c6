package ctxcreate

import (
	"encoding/json"
	"strings"
)

// ParseResult reads a line of ctxcreate's results, tsv (context id,
// outcome, seconds, schema, database id, attempts, message) or jsonl: the
// context id and the outcome. ok is false for any other line, so that a
// log holding other lines is not misread (ctxrows --skip-created reads
// createcontext's logs and these results alike; --done reads these).
func ParseResult(line string) (id string, outcome Outcome, ok bool) {
	if strings.HasPrefix(line, "{") {
		var r struct {
			Context string `json:"context"`
			Outcome string `json:"outcome"`
		}
		if json.Unmarshal([]byte(line), &r) != nil || r.Context == "" || !isOutcome(r.Outcome) {
			return "", "", false
		}
		return r.Context, Outcome(r.Outcome), true
	}
	f := strings.Split(line, "\t")
	if len(f) < 6 || f[0] == "" || !isOutcome(f[1]) {
		return "", "", false
	}
	return f[0], Outcome(f[1]), true
}

func isOutcome(s string) bool {
	switch Outcome(s) {
	case Created, Existed, Failed:
		return true
	}
	return false
}

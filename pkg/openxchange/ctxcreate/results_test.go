package ctxcreate

import "testing"

func TestParseResult(t *testing.T) {
	cases := []struct {
		line    string
		id      string
		outcome Outcome
		ok      bool
	}{
		{"7\tcreated\t0.004\toxdb_1\t3\t1\t", "7", Created, true},
		{"8\texists\t0.003\toxdb_2\t6\t1\tContext 8 already exists!", "8", Existed, true},
		{`{"context":"9","outcome":"failed","seconds":0.1,"attempts":4}`, "9", Failed, true},
		{"7\tcreated", "", "", false},              // too few fields: not ctxcreate's
		{"7\tdone\t0.1\ts\t3\t1\t", "", "", false}, // no such outcome
		{`{"context":"9","outcome":"maybe"}`, "", "", false},
		{"Context 7 successfully created", "", "", false},
	}
	for _, c := range cases {
		id, outcome, ok := ParseResult(c.line)
		if id != c.id || outcome != c.outcome || ok != c.ok {
			t.Errorf("ParseResult(%q) = %q, %q, %v; want %q, %q, %v", c.line, id, outcome, ok, c.id, c.outcome, c.ok)
		}
	}
}

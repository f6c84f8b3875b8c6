package opencsv

import (
	"reflect"
	"strings"
	"testing"
)

func readAll(t *testing.T, in string) [][]string {
	t.Helper()
	out, err := ReadAll(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRules(t *testing.T) {
	cases := []struct {
		name, in string
		want     [][]string
	}{
		{"plain", "a,b\n1,2\n", [][]string{{"a", "b"}, {"1", "2"}}},
		{"quoted comma", `"a,b",c` + "\n", [][]string{{"a,b", "c"}}},
		{"doubled quote", `"say ""hi""",x` + "\n", [][]string{{`say "hi"`, "x"}}},
		{"embedded newline", "\"l1\nl2\",x\n", [][]string{{"l1\nl2", "x"}}},
		{"CR inside quotes becomes LF", "\"l1\rl2\",x\r\n", [][]string{{"l1\nl2", "x"}}},
		{"CR-only line ends", "a,b\r1,2\r", [][]string{{"a", "b"}, {"1", "2"}}},
		{"escaped quote", `"a\"b",c` + "\n", [][]string{{`a"b`, "c"}}},
		{"escaped backslash", `"a\\b",c` + "\n", [][]string{{`a\b`, "c"}}},
		{"backslash before other drops both", `"pa\ss",c` + "\n", [][]string{{"pas", "c"}}},
		{"backslash outside quotes drops both", `pa\ss,c` + "\n", [][]string{{"pas", "c"}}},
		{"blank line is one empty field", "a\n\nb\n", [][]string{{"a"}, {""}, {"b"}}},
		{"trailing backslash swallows the closing quote",
			"\"1\",\"secret\\\",\"x\"\n\"2\",\"y\",\"z\"\n",
			[][]string{{"1"}}}, // quoting flips on every quote after it: the rest is one open value
		{"open quote at end of input is lost", "a,\"open\nmore\n", [][]string{{"a"}}},
		{"mid-value quote kept", `abc"de"fg,h` + "\n", [][]string{{`abc"de"fg`, "h"}}},
		{"empty quoted", `"","x",""` + "\n", [][]string{{"", "x", ""}}},
		{"non-ASCII", "Jörg,Müller\n", [][]string{{"Jörg", "Müller"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := readAll(t, c.in); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestLines(t *testing.T) {
	r := NewReader(strings.NewReader("h\n\"a\nb\"\nc\n"))
	for _, want := range []int{1, 2, 4} {
		_, line, err := r.Next()
		if err != nil || line != want {
			t.Fatalf("line %d, err %v; want line %d", line, err, want)
		}
	}
}

func TestDecodeASCII(t *testing.T) {
	if got := DecodeASCII([]byte("J\xc3\xb6rg")); got != "J\uFFFD\uFFFDrg" {
		t.Errorf("got %q", got)
	}
}

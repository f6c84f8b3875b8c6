package imapwarm

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"provpipe/pkg/scalix/warm"

	"github.com/emersion/go-imap/v2"
)

// fetchAnswer builds what a server sends for n messages, the header of
// each as a literal, with traps in quoted strings.
func fetchAnswer(n int, tail string) (string, int64) {
	var b strings.Builder
	var size int64
	for i := 1; i <= n; i++ {
		header := fmt.Sprintf("Subject: RFC822.SIZE 999 (trap %d)\r\nFrom: a@b\r\n\r\n", i)
		sz := int64(1000 + i)
		size += sz
		fmt.Fprintf(&b, `* %d FETCH (UID %d FLAGS (\Seen) INTERNALDATE "02-Nov-2026 10:00:00 +0000" RFC822.SIZE %d ENVELOPE ("Mon, 2 Nov 2026" "quoted \"RFC822.SIZE 5\" )(" (("A" NIL "a" "b")) NIL NIL NIL NIL NIL NIL "<%d@x>") BODY[HEADER] {%d}`+"\r\n%s)\r\n",
			i, i+100, sz, i, len(header), header)
	}
	b.WriteString(tail)
	return b.String(), size
}

func TestFetchScanner(t *testing.T) {
	answer3, size3 := fetchAnswer(3, "PPF OK Fetch completed.\r\n")
	tests := []struct {
		name     string
		in       string
		messages int
		bytes    int64
		err      func(error) bool
		finished bool
	}{
		{"three messages", answer3, 3, size3, nil, true},
		{"empty folder", "PPF OK done\r\n", 0, 0, nil, true},
		{"unsolicited lines", "* 5 EXISTS\r\n* OK [ALERT] hi\r\n" + answer3, 3, size3, nil, true},
		{"literal+ and lower case", "* 1 fetch (uid 1 rfc822.size 42 BODY[HEADER] {3+}\r\nabc)\r\nPPF ok\r\n", 1, 42, nil, true},
		{"NO UNAVAILABLE", "PPF NO [UNAVAILABLE] try later\r\n", 0, 0, func(err error) bool {
			var e *imap.Error
			return errors.As(err, &e) && e.Code == imap.ResponseCodeUnavailable && warm.IsTransient(classify(err))
		}, true},
		{"BAD", "PPF BAD what\r\n", 0, 0, func(err error) bool { return err != nil && !warm.IsTransient(classify(err)) }, true},
		{"BYE then nothing", "* 1 FETCH (UID 1 RFC822.SIZE 7)\r\n* BYE shutting down\r\n", 1, 7, func(err error) bool { return warm.IsTransient(classify(err)) }, false},
		{"cut in a literal", "* 1 FETCH (UID 1 BODY[HEADER] {100}\r\nshort", 1, 0, nil, false},
	}
	for _, tt := range tests {
		// Every way of cutting the stream in two must give the same result.
		for cut := 0; cut <= len(tt.in); cut++ {
			sc := &fetchScanner{tag: fetchTag}
			used, finished := sc.feed([]byte(tt.in[:cut]))
			if !finished {
				var u2 int
				u2, finished = sc.feed([]byte(tt.in[cut:]))
				used += u2
			}
			if finished != tt.finished || sc.Messages != tt.messages || sc.Bytes != tt.bytes {
				t.Fatalf("%s, cut at %d: finished %v messages %d bytes %d; want %v %d %d",
					tt.name, cut, finished, sc.Messages, sc.Bytes, tt.finished, tt.messages, tt.bytes)
			}
			if finished && used != len(tt.in) {
				t.Fatalf("%s: used %d of %d", tt.name, used, len(tt.in))
			}
			if (tt.err == nil) != (sc.err == nil) || (tt.err != nil && !tt.err(sc.err)) {
				t.Fatalf("%s, cut at %d: err %v", tt.name, cut, sc.err)
			}
		}
	}
}

func TestFetchScannerBoundsLines(t *testing.T) {
	sc := &fetchScanner{tag: fetchTag}
	_, finished := sc.feed([]byte("* 1 FETCH (" + strings.Repeat("x", maxFetchLine+1)))
	if !finished || sc.err == nil {
		t.Fatalf("an endless line was accepted")
	}
}

// FuzzFetchScanner: whatever the server sends, the scanner neither panics
// nor finishes before the tagged line, and byte-at-a-time feeding agrees
// with feeding all at once.
func FuzzFetchScanner(f *testing.F) {
	a, _ := fetchAnswer(2, "PPF OK done\r\n")
	for _, s := range []string{a, "PPF NO [UNAVAILABLE] x\r\n", "* BYE\r\n", "* 1 FETCH (BODY[] {5}\r\n12345)\r\nPPF OK\r\n", "{99999999999}\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		whole := &fetchScanner{tag: fetchTag}
		_, fin1 := whole.feed([]byte(in))
		bytewise := &fetchScanner{tag: fetchTag}
		fin2 := false
		for i := 0; i < len(in) && !fin2; i++ {
			_, fin2 = bytewise.feed([]byte{in[i]})
		}
		if fin1 != fin2 || whole.Messages != bytewise.Messages || whole.Bytes != bytewise.Bytes {
			t.Fatalf("whole: %v %d %d, bytewise: %v %d %d", fin1, whole.Messages, whole.Bytes, fin2, bytewise.Messages, bytewise.Bytes)
		}
		if fin1 && whole.err == nil && !strings.Contains(in, "PPF ") {
			t.Fatalf("finished without the tagged line")
		}
	})
}

package csvstream

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

type rec struct {
	fields []string
	line   int
	raw    string
}

func readAll(t testing.TB, r *Reader) ([]rec, error) {
	t.Helper()
	var out []rec
	for {
		x, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec{x.Fields(), x.Line, string(x.Raw)})
	}
}

func TestReader(t *testing.T) {
	cases := []struct {
		name, in string
		want     []rec
	}{
		{"plain", "a,b\n1,2\n", []rec{{[]string{"a", "b"}, 1, "a,b\n"}, {[]string{"1", "2"}, 2, "1,2\n"}}},
		{"no final newline", "a,b\n1,2", []rec{{[]string{"a", "b"}, 1, "a,b\n"}, {[]string{"1", "2"}, 2, "1,2"}}},
		{"crlf", "a,b\r\n1,2\r\n", []rec{{[]string{"a", "b"}, 1, "a,b\r\n"}, {[]string{"1", "2"}, 2, "1,2\r\n"}}},
		{"quoted newline", "\"x\ny\",2\n3,4\n", []rec{{[]string{"x\ny", "2"}, 1, "\"x\ny\",2\n"}, {[]string{"3", "4"}, 3, "3,4\n"}}},
		{"doubled quotes", `"a""b",""""` + "\n", []rec{{[]string{`a"b`, `"`}, 1, `"a""b",""""` + "\n"}}},
		{"empty fields", ",,\n", []rec{{[]string{"", "", ""}, 1, ",,\n"}}},
		{"trailing comma at eof", "a,", []rec{{[]string{"a", ""}, 1, "a,"}}},
		{"blank lines skipped", "a\n\n\r\nb\n", []rec{{[]string{"a"}, 1, "a\n"}, {[]string{"b"}, 4, "b\n"}}},
		{"bom dropped", "\xef\xbb\xbfa,b\n", []rec{{[]string{"a", "b"}, 1, "a,b\n"}}},
		{"quoted at eof", `"a","b"`, []rec{{[]string{"a", "b"}, 1, `"a","b"`}}},
		{"quoted crlf", "\"a\"\r\n\"b\"\r\n", []rec{{[]string{"a"}, 1, "\"a\"\r\n"}, {[]string{"b"}, 2, "\"b\"\r\n"}}},
		{"utf8", "Zoë,日本\n", []rec{{[]string{"Zoë", "日本"}, 1, "Zoë,日本\n"}}},
		{"empty input", "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// One byte at a time exercises every buffer boundary.
			for _, src := range []io.Reader{strings.NewReader(c.in), iotest.OneByteReader(strings.NewReader(c.in))} {
				got, err := readAll(t, NewReader(src, "in"))
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("got %#v\nwant %#v", got, c.want)
				}
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	cases := []struct {
		name, in string
		utf8     bool
		want     string
	}{
		{"unterminated", "a\n\"b\nc\n", false, "in:2: unterminated quoted field"},
		{"bare quote", "a\nb\"c\n", false, "in:2: bare quote in unquoted field 1"},
		{"after quote", "a\n\"b\"c\n", false, `in:2: unexpected 'c' after the closing quote`},
		{"lone cr after quote", "\"b\"\rc\n", false, `in:1: unexpected '\r' after the closing quote`},
		{"bare quote on later line of record", "\"x\ny\",a\"b\n", false, "in:2: bare quote in unquoted field 2"},
		{"invalid utf8", "a\n\xff\n", true, "in:2: invalid UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(c.in), "in")
			r.ValidateUTF8 = c.utf8
			_, err := readAll(t, r)
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestReaderMaxRecord(t *testing.T) {
	r := NewReader(strings.NewReader("a\n\""+strings.Repeat("x", 5000)), "in")
	r.MaxRecord = 1024
	_, err := readAll(t, r)
	if err == nil || !strings.Contains(err.Error(), "in:2: record longer than 1024 bytes") {
		t.Errorf("error %v", err)
	}
}

func TestReadErrorIsReported(t *testing.T) {
	boom := errors.New("disk on fire")
	r := NewReader(io.MultiReader(strings.NewReader("a,b\n1,"), iotest.ErrReader(boom)), "in")
	_, err := readAll(t, r)
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want %v", err, boom)
	}
}

// TestQuotedFields: only lines of quoted fields with no quote or comma
// inside are taken by the shape check, which counts their fields; each
// case that is not such a line is one the check could be fooled by.
func TestQuotedFields(t *testing.T) {
	long := strings.Repeat(`"abcdefghij",`, 5) + `"z"`
	for _, c := range []struct {
		line   string
		fields int
		ok     bool
	}{
		{`""`, 1, true},
		{`"a"`, 1, true},
		{`"a","b"`, 2, true},
		{`"","",""`, 3, true},
		{long, 6, true},
		{`"1","2","3","4","5","6","7","8","9"`, 9, true},
		{`"a",b`, 0, false},
		{`a,"b"`, 0, false},
		{`",","a"`, 0, false},          // a quoted comma
		{`"a",",""`, 0, false},         // a quote between two commas
		{`""a",",""`, 0, false},        // the same, made up for by a quote at the start
		{`"0 ,"0"0000","0"`, 0, false}, // a comma with a space before it
		{`"a" ,"b"`, 0, false},
		{`"a", "b"`, 0, false},
		{`"a",,"b"`, 0, false},
		{strings.Repeat(`"ab",`, 3) + `"c" ,"d"`, 0, false}, // past the first eight bytes
		{`"abcdefg","h",",","i"`, 0, false},                 // a shared quote across two words
		{`"`, 0, false},
		{`"a"b"`, 0, false},
		{`"a""b"`, 0, false},
		{`"a","b""c"`, 0, false},
	} {
		fields, ok := quotedFields([]byte(c.line), strings.Count(c.line, `"`))
		if ok != c.ok || ok && fields != c.fields {
			t.Errorf("%s: got %d fields, %v; want %d, %v", c.line, fields, ok, c.fields, c.ok)
		}
	}
}

// TestVectorShapeAgrees: where quotedShape checks sixteen bytes at a
// time, it agrees with its eight-byte words on lines of every length up to
// 200, of fields of one, two and ten letters, as they are or with any one
// byte made a comma, a quote or a letter. (A one-letter field made a comma
// is the case of two commas around one quote.)
func TestVectorShapeAgrees(t *testing.T) {
	if !vectorShape {
		t.Skip("no vector shape check on this processor")
	}
	defer func() { vectorShape = true }()
	for n := 2; n <= 200; n++ {
		for _, field := range []string{`"a",`, `"ab",`, `"abcdefghij",`} {
			agreeOnMutations(t, n, field)
		}
	}
}

func agreeOnMutations(t *testing.T, n int, field string) {
	valid := []byte(strings.Repeat(field, n)[:n])
	valid[n-1] = '"'
	for p := -1; p < n; p++ {
		for _, b := range []byte(`,"x`) {
			line := append([]byte(nil), valid...)
			if p >= 0 {
				line[p] = b
			}
			vectorShape = true
			vc, vok := quotedShape(line)
			vectorShape = false
			wc, wok := quotedShape(line)
			if vok != wok || vok && vc != wc {
				t.Fatalf("%s: vector %d, %v; words %d, %v", line, vc, vok, wc, wok)
			}
			if p < 0 {
				break
			}
		}
	}
}

// TestLineEnds: the line ends and quote counts found thirty-two bytes at
// a time are those found line by line, for buffers of every length to 300
// with line feeds, quotes and commas anywhere (none, a few, one in three
// bytes), however many line ends are asked for; each shape the vector
// search gives is the one shapeOf finds byte by byte.
func TestLineEnds(t *testing.T) {
	if !vectorLines {
		t.Skip("no vector line search on this processor")
	}
	defer func() { vectorLines = true }()
	rnd := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 300; n++ {
		for _, density := range []int{0, 3, 40, 130} {
			buf := make([]byte, n)
			for i := range buf {
				switch r := rnd.IntN(400); {
				case r < density:
					buf[i] = '\n'
				case r < 2*density:
					buf[i] = '"'
				case r < 3*density:
					buf[i] = ','
				default:
					buf[i] = 'x'
				}
			}
			for _, want := range []int{1, 2, 7, 1000} {
				got := make([][2][]int, 2)
				for v, vector := range []bool{true, false} {
					vectorLines = vector
					ends, quotes, shapes := make([]int, want), make([]int, want), make([]int, want)
					k := lineEnds(buf, ends, quotes, shapes)
					got[v] = [2][]int{ends[:k], quotes[:k]}
					if vector {
						checkShapes(t, buf, ends[:k], shapes[:k])
					}
				}
				if !reflect.DeepEqual(got[0], got[1]) {
					t.Fatalf("%q, %d wanted: vector %v, line by line %v", buf, want, got[0], got[1])
				}
			}
		}
	}
}

// checkShapes compares the shapes lineEnds gave the lines ending at ends
// with shapeOf's.
func checkShapes(t *testing.T, buf []byte, ends, shapes []int) {
	t.Helper()
	start := 0
	for k, end := range ends {
		if shapes[k] != unknownShape {
			if want := shapeOf(buf, start, end); shapes[k] != want {
				t.Fatalf("%q: line %d (%q): shape %d, byte by byte %d", buf, k, buf[start:end], shapes[k], want)
			}
		}
		start = end
	}
}

// shapeOf is the shape of buf[start:end], byte by byte: its commas, or -1
// if one has no quote before it (or is the first byte of buf), no quote
// after it, or a comma two bytes on.
func shapeOf(buf []byte, start, end int) int {
	commas := 0
	for i := start; i < end; i++ {
		if buf[i] != ',' {
			continue
		}
		if i == 0 || buf[i-1] != '"' || buf[i+1] != '"' || buf[i+2] == ',' {
			return -1
		}
		commas++
	}
	return commas
}

// TestLineShapesAgree: the field counts a Cutter gives quoted lines from
// the vector search's shapes are quotedFields', for lines of every length
// to 200 as they are or with any one byte made a comma, a quote or a
// letter, ending in LF or CRLF, anywhere in the buffer.
func TestLineShapesAgree(t *testing.T) {
	if !vectorLines {
		t.Skip("no vector line search on this processor")
	}
	for n := 2; n <= 200; n++ {
		for _, field := range []string{`"a",`, `"ab",`, `"abcdefghij",`} {
			valid := []byte(strings.Repeat(field, n)[:n])
			valid[n-1] = '"'
			var in bytes.Buffer
			for p := -1; p < n; p++ {
				for i, b := range []byte(`,"x`) {
					line := append([]byte(nil), valid...)
					if p >= 0 {
						line[p] = b
					}
					in.Write(line)
					in.WriteString([]string{"\n", "\r\n", "\n"}[i])
					if p < 0 {
						break
					}
				}
			}
			cuts := make([]Cut, 0, 1<<20)
			cuts, err := NewReader(bytes.NewReader(in.Bytes()), "in").Cut().Append(cuts, true)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cuts {
				if c.quotes < 0 {
					continue
				}
				fields, ok := quotedFields(lineBody(c.Raw), c.quotes)
				if !ok {
					fields = 0
				}
				if c.quoted != fields {
					t.Fatalf("%q: %d quoted fields from the search, %d from quotedFields", c.Raw, c.quoted, fields)
				}
			}
		}
	}
}

func TestFieldEquals(t *testing.T) {
	r := NewReader(strings.NewReader(`"a""b",c`+"\n"), "in")
	x, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if !x.FieldEquals(0, `a"b`) || x.FieldEquals(0, `a""b`) || !x.FieldEquals(1, "c") {
		t.Error("FieldEquals wrong")
	}
}

// FuzzReader checks the reader against encoding/csv: both accept or both
// reject, with the same fields; and the raw records put back together give
// the input again.
func FuzzReader(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\"x\ny\",2\n", `"a""b"`, "a\n\nb", "\"", "a\"b", "\"a\"b", ",,\n,", "Zoë,日本\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if strings.ContainsRune(in, '\r') || strings.HasPrefix(in, "\xef\xbb\xbf") {
			return // encoding/csv folds CR and keeps a BOM; we keep CR and drop a BOM
		}
		got, err := readAll(t, NewReader(strings.NewReader(in), "fuzz"))
		cr := csv.NewReader(strings.NewReader(in))
		cr.FieldsPerRecord = -1
		want, werr := cr.ReadAll()
		if (err == nil) != (werr == nil) {
			t.Fatalf("input %q: ours %v, encoding/csv %v", in, err, werr)
		}
		if err != nil {
			return
		}
		var fields [][]string
		var raw bytes.Buffer
		for _, r := range got {
			fields = append(fields, r.fields)
			raw.WriteString(r.raw)
		}
		if !reflect.DeepEqual(fields, want) && !(len(fields) == 0 && len(want) == 0) {
			t.Fatalf("input %q: ours %q, encoding/csv %q", in, fields, want)
		}
		if stripBlank(raw.String()) != stripBlank(in) {
			t.Fatalf("input %q: raw records %q do not rebuild it", in, raw.String())
		}
	})
}

// stripBlank removes blank lines, which the reader skips.
func stripBlank(s string) string {
	for strings.HasPrefix(s, "\n") {
		s = s[1:]
	}
	for strings.Contains(s, "\n\n") {
		s = strings.ReplaceAll(s, "\n\n", "\n")
	}
	return s
}

// FuzzFastPathAgrees checks the line-at-a-time fast path against the
// byte-by-byte parser it skips: on every input, read whole, in halves and
// one byte at a time, both give the same records (bytes, lines, fields)
// and the same error, message included. (How the input arrives may change
// which of two errors comes first, for either parser, when a record is
// both too long and malformed: the two are compared chunk for chunk.)
func FuzzFastPathAgrees(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n", "\"x\ny\",2\n", `"a""b"` + "\n", "a\n\nb", "\"", "a\"b\n", "\"a\"b\n", ",,\n,",
		"\"1\",\"2\"\r\n\"3\",\"4\"\r\n", "a,b\r\n1,2\r", "\"a\"\rb\n", "\xef\xbb\xbf\"a\",b\n",
		"\"a\",\"b\"", "x,\"y\",z\n\"\",,\"\"\n", "a,\"b\nc\",d\n\"e\"x\n", "\"a\" ,b\n",
		"\"a\"\"b\n", "\"a\"b\"\n", "\",\"\n", "\"\n", "0123456,\"89\",\"bcdefgh\"\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		eachArrival(in, func(src func() io.Reader, strict bool) {
			fast, slow := NewReader(src(), "fuzz"), newReference(src(), "fuzz")
			fast.ValidateUTF8, slow.ValidateUTF8 = strict, strict
			fast.MaxRecord, slow.MaxRecord = 64, 64
			got, err := readAll(t, fast)
			want, werr := readAll(t, slow)
			if fmt.Sprint(err) != fmt.Sprint(werr) {
				t.Fatalf("input %q: fast path error %v, reference %v", in, err, werr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("input %q:\nfast path %+v\nreference %+v", in, got, want)
			}
		})
	})
}

// eachArrival calls try with in as it may arrive, whole, in halves and a
// byte at a time (src gives a fresh reader of it each call), strict about
// UTF-8 or not.
func eachArrival(in string, try func(src func() io.Reader, strict bool)) {
	for _, chunks := range []func(io.Reader) io.Reader{
		func(r io.Reader) io.Reader { return r }, iotest.HalfReader, iotest.OneByteReader,
	} {
		for _, strict := range []bool{false, true} {
			try(func() io.Reader { return chunks(strings.NewReader(in)) }, strict)
		}
	}
}

// TestLentBuffersKeepRecords reads with lent buffers and keeps every
// record's Raw without copying it: none may change as reading goes on,
// and each retired buffer is one a record came from.
func TestLentBuffersKeepRecords(t *testing.T) {
	var in strings.Builder
	for i := 0; i < 50000; i++ {
		fmt.Fprintf(&in, "%d,\"%s\"\n", i, strings.Repeat("z", i%50))
	}
	r := NewReader(iotest.HalfReader(strings.NewReader(in.String())), "in")
	var got, retired int
	r.Buffers = Buffers{
		Get:    func(min int) []byte { got++; return make([]byte, min) },
		Retire: func([]byte) { retired++ },
	}
	var kept [][]byte
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, rec.Raw)
	}
	if string(bytes.Join(kept, nil)) != in.String() {
		t.Error("records changed after later reads: a lent buffer was written over")
	}
	if got < 2 || retired != got-1 {
		t.Errorf("%d buffers taken, %d retired; want several, all but the last retired", got, retired)
	}
}

// FuzzCutterAgrees checks a Cutter with its Checker against the Reader's
// byte-by-byte parser: on every input, however it arrives, strict or not,
// records checked in the order they were cut are the Reader's (bytes,
// lines, fields), and the first error is the Reader's, message and line.
func FuzzCutterAgrees(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n", "\"x\ny\",2\n", `"a""b"` + "\n\"\"\"\"\n", "a\n\nb", "\n\r\n\"\n\n\"\n", ",,\n,",
		"\"1\",\"2\"\r\n\"3\",\"4\"\r\n", "a,b\r\n1,2\r", "\xef\xbb\xbf\"a\",b\n", "\n\xef\xbb\xbfa\n", "\"a\nb\nc\"",
		"\"a\"b\n\"" + strings.Repeat("x", 80) + "\n", "\"\",\"\"\"\n", `""a",",""` + "\n", "\"a\",\"\xff\"\n\"b\n",
		// Lines whose shape the vector line search judges (not the first:
		// a Reader's own read gives it), in its first block and past it:
		// two commas sharing a quote (`"",","""` is two fields, the empty
		// one and `,"`, though its quotes are twice its commas and two),
		// a comma without a quote after it, one without a quote before it.
		"h\n" + strings.Repeat(`"ab",`, 8) + `"",","""` + "\n" + strings.Repeat(`"c",`, 10) + `"d"` + "\n",
		"h\n" + `"",""",",` + strings.Repeat(`"ab",`, 8) + `"z"` + "\n" + strings.Repeat(`"c",`, 10) + `"d"` + "\n",
		"h\n" + strings.Repeat(`"ab",`, 8) + `"",a""` + "\r\n" + strings.Repeat(`"c",`, 10) + `"d"` + "\n",
		"h\n" + strings.Repeat(`"ab",`, 8) + `"a,"""` + "\n" + strings.Repeat(`"c",`, 10) + `"d"` + "\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		eachArrival(in, func(src func() io.Reader, strict bool) {
			ref := newReference(src(), "fuzz")
			ref.ValidateUTF8, ref.MaxRecord = strict, 64
			want, werr := readAll(t, ref)
			r := NewReader(src(), "fuzz")
			r.ValidateUTF8, r.MaxRecord = strict, 64
			got, err := cutAndCheck(r.Cut())
			if fmt.Sprint(err) != fmt.Sprint(werr) {
				t.Fatalf("input %q (strict %v): cut and checked, error %v; the reader's %v", in, strict, err, werr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("input %q (strict %v):\ncut and checked %+v\nread %+v", in, strict, got, want)
			}
		})
		mappedAgrees(t, in)
	})
}

// mappedAgrees: the input mapped (all of it, or half, the rest read), in
// windows of 1, 7 or 4096 bytes, gives the records and error of reading
// it, read or cut and checked. (MaxRecord stays large: a record longer
// than it is refused or not depending on the buffer it falls in, windows
// like buffers; TestMappedMaxRecord has that case.)
func mappedAgrees(t *testing.T, in string) {
	want, werr := readAll(t, newReference(strings.NewReader(in), "fuzz"))
	for _, k := range []int{len(in), len(in) / 2} {
		for _, window := range []int{1, 7, 4096} {
			r := mappedReader(in, k, window)
			got, err := readAll(t, r)
			if fmt.Sprint(err) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
				t.Fatalf("input %q mapped to %d in windows of %d: %+v, %v; read %+v, %v", in, k, window, got, err, want, werr)
			}
			got, err = cutAndCheck(mappedReader(in, k, window).Cut())
			if fmt.Sprint(err) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
				t.Fatalf("input %q mapped to %d in windows of %d, cut and checked: %+v, %v; read %+v, %v", in, k, window, got, err, want, werr)
			}
		}
	}
}

// mappedReader reads in, its first k bytes mapped.
func mappedReader(in string, k, window int) *Reader {
	r := NewReader(strings.NewReader(in[k:]), "fuzz")
	r.Map([]byte(in[:k]), window, nil)
	return r
}

// TestMappedMaxRecord: mapped in windows, an unterminated quoted field is
// refused at MaxRecord as when read into lent buffers, and fresh sees
// every mapped byte once, in order; its error stops the reading.
func TestMappedMaxRecord(t *testing.T) {
	in := "a,b\n1,2\n\"" + strings.Repeat("x", 100<<10) + ",3\n"
	read := NewReader(strings.NewReader(in), "in")
	read.MaxRecord = 10 << 10
	read.Buffers = Buffers{Get: func(min int) []byte { return make([]byte, max(min, 4096)) }, Retire: func([]byte) {}}
	_, werr := readAll(t, read)
	var seen []byte
	mapped := NewReader(strings.NewReader(""), "in")
	mapped.MaxRecord = 10 << 10
	mapped.Map([]byte(in), 4096, func(b []byte) error { seen = append(seen, b...); return nil })
	_, err := readAll(t, mapped)
	if werr == nil || fmt.Sprint(err) != fmt.Sprint(werr) {
		t.Fatalf("mapped: %v; read: %v", err, werr)
	}
	if !strings.HasPrefix(in, string(seen)) || len(seen) < 10<<10 {
		t.Errorf("fresh saw %d bytes, not the input's first ones", len(seen))
	}
	stop := errors.New("stopped")
	mapped = NewReader(strings.NewReader(""), "in")
	mapped.Map([]byte(in), 4096, func([]byte) error { return stop })
	if _, err := mapped.Next(); !errors.Is(err, stop) || !strings.HasPrefix(err.Error(), "in: read: ") {
		t.Errorf("fresh's error: %v", err)
	}
}

// cutAndCheck reads c to the end, three records a call, checking each
// record, and stops at the first error, as a Reader does; every other
// call, the cut checks the records' shapes.
func cutAndCheck(c *Cutter) ([]rec, error) {
	k := c.Checker()
	var out []rec
	cuts := make([]Cut, 0, 3)
	for shapes := false; ; shapes = !shapes {
		cuts, err := c.Append(cuts[:0], shapes)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		for _, cut := range cuts {
			x, err := k.Check(cut)
			if err != nil {
				return out, err
			}
			if x.NumFields() != len(x.Fields()) {
				return out, fmt.Errorf("line %d: %d fields counted, %d found", x.Line, x.NumFields(), len(x.Fields()))
			}
			for i, f := range x.Fields() {
				if v := x.FieldValue(nil, i); string(v) != f {
					return out, fmt.Errorf("line %d: field %d's value %q, the field %q", x.Line, i, v, f)
				}
				if at := x.FieldOffset(i); !bytes.HasPrefix(x.Raw[at:], x.rawField(i)) {
					return out, fmt.Errorf("line %d: field %d said to start at %d of %q", x.Line, i, at, x.Raw)
				}
			}
			out = append(out, rec{x.Fields(), x.Line, string(x.Raw)})
		}
	}
}

// TestCutterLongRecords: records longer than the cutter's buffer, with
// line ends inside their quotes, arrive whole.
func TestCutterLongRecords(t *testing.T) {
	long := "\"" + strings.Repeat("x\n", 3*initialBuffer/2) + "\",2\n"
	in := "a,b\n" + long + "1,2\n" + long
	got, err := cutAll(NewReader(iotest.HalfReader(strings.NewReader(in)), "in").Cut())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a,b\n", long, "1,2\n", long}; !reflect.DeepEqual(got, want) {
		t.Errorf("%d records cut, lengths differ from %d", len(got), len(want))
	}
}

// BenchmarkReader reads ctxrows-like rows (every field quoted) with the
// fast path and with the byte-by-byte parser alone, and cuts them with
// the Cutter, their shapes checked or not.
func BenchmarkReader(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&sb, "\"%d\",\"oxadmin\",\"secret\",\"Admin Context %d\",\"Admin\",\"Context %d\",\"oxadmin@context%d\",\"1000\",\"all\",\"en_US\",\"Europe/Berlin\",\"3\",\"schema_%d\",\"2\"\n", i, i, i, i, i%9)
	}
	in := sb.String()
	for _, c := range []struct {
		name string
		read func(io.Reader) error
	}{
		{"fast", func(src io.Reader) error { return drain(NewReader(src, "in")) }},
		{"reference", func(src io.Reader) error { return drain(newReference(src, "in")) }},
		{"append", func(src io.Reader) error { return appendAll(NewReader(src, "in").Cut(), false) }},
		{"append+shapes", func(src io.Reader) error { return appendAll(NewReader(src, "in").Cut(), true) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if err := c.read(strings.NewReader(in)); err != io.EOF {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkQuotedShape checks the shape of one ctxrows line (151 bytes),
// sixteen bytes at a time where the processor allows and in eight-byte
// words alone.
func BenchmarkQuotedShape(b *testing.B) {
	line := []byte(`"12345","oxadmin","secret","Admin Context 12345","Admin","Context 12345","oxadmin@context12345","1000","all","en_US","Europe/Berlin","3","schema_4","2"`)
	defer func(was bool) { vectorShape = was }(vectorShape)
	for _, c := range []struct {
		name   string
		vector bool
	}{{"vector", vectorShape}, {"words", false}} {
		b.Run(c.name, func(b *testing.B) {
			vectorShape = c.vector
			for b.Loop() {
				if _, ok := quotedShape(line); !ok {
					b.Fatal("a ctxrows line refused")
				}
			}
		})
	}
}

// appendAll cuts all of c, 2048 records a call, as ctxsplit does.
func appendAll(c *Cutter, shapes bool) error {
	cuts := make([]Cut, 0, 2048)
	for {
		var err error
		if cuts, err = c.Append(cuts[:0], shapes); err != nil {
			return err
		}
	}
}

func drain(r *Reader) error {
	for {
		if _, err := r.Next(); err != nil {
			return err
		}
	}
}

// cutAll returns every record c cuts.
func cutAll(c *Cutter) ([]string, error) {
	var out []string
	cuts := make([]Cut, 0, 2048)
	for {
		var err error
		if cuts, err = c.Append(cuts[:0], false); err == io.EOF {
			return out, nil
		} else if err != nil {
			return out, err
		}
		for _, cut := range cuts {
			out = append(out, string(cut.Raw))
		}
	}
}

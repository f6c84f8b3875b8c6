package opencsv

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"provpipe/internal/testserver/testenv"
	"provpipe/pkg/openxchange/ctxrows"
)

var updateDifferences = flag.Bool("update-differences", false, "rewrite testdata/differences.txt from this run")

// rule20 is one way opencsv 2.0 reads differently from 5.2, with the 2.0
// statement that makes the difference, from CSVParser.parseLine (2.0) and
// CSVReader.readNext (2.0); present tells whether an input holds what the
// rule is about.
type rule20 struct {
	name, cites string
	present     func(in []byte) bool
}

var rules20 = []rule20{
	{"backslash", "CSVParser.parseLine: `if (c == this.escape) { if (isNextCharacterEscapable(nextLine, inQuotes, i)) {...} else { i++; // ignore the escape } }`: " +
		"2.0 drops the backslash and the character after it, and escapes only inside quotes; 5.2 drops only the backslash and escapes inside any field",
		func(in []byte) bool { return bytes.IndexByte(in, '\\') >= 0 }},
	{"open-quote-at-end", "CSVReader.readNext: `if (!hasNext) { return result; }` with the parser's pending text never returned: " +
		"2.0 loses a quoted value still open at the end of the input; 5.2 throws",
		func(in []byte) bool { return bytes.Count(in, []byte{'"'})%2 == 1 }},
	{"quote-in-field", "CSVParser.parseLine: `if (isNextCharacterEscapedQuote(nextLine, inQuotes, i))` and `inQuotes = !inQuotes`: " +
		"2.0 reads a doubled quote as one quote only inside quotes and tracks no inField state; 5.2 also inside an unquoted field (inField)",
		func(in []byte) bool { return hasQuoteInsideField(in) }},
}

// hasQuoteInsideField reports a quote that is neither at a field's start
// nor right before a separator or line end: where 5.2's inField matters.
func hasQuoteInsideField(in []byte) bool {
	for i, c := range in {
		if c != '"' || i == 0 {
			continue
		}
		prev := in[i-1]
		if prev != ',' && prev != '\n' && prev != '\r' {
			return true
		}
	}
	return false
}

// corpusInput is one input of the differential test.
type corpusInput struct {
	name string
	data []byte
}

// TestAgainstDebianOpencsv reads the CSV fuzz corpora and ctxrows' output
// with this model and with Debian's opencsv 5.2 (configured as Open-Xchange
// configures 2.0). Fields must be equal except on the inputs listed in
// testdata/differences.txt, each under the 2.0 rule (rules20) that makes
// the difference and with a digest of the model's reading; a listed input
// that no longer differs, or that the model reads otherwise, fails too, so
// a change to the model's backslash rule is caught by the listed inputs.
func TestAgainstDebianOpencsv(t *testing.T) {
	classpath := debianOpencsv(t)
	inputs := append(append(fuzzCorpus(t), handWritten(t)...), ctxrowsOutputs(t)...)
	theirs := runOpencsv5(t, classpath, inputs)
	got := map[string]string{}
	for i, in := range inputs {
		ours := modelFields(in.data)
		if ours == theirs[i] {
			continue
		}
		rule := ruleFor(in.data)
		if rule == "" {
			t.Errorf("%s: the model and opencsv 5.2 differ where no 2.0 rule explains it:\ninput %q\nmodel %s\n5.2   %s", in.name, in.data, ours, theirs[i])
			continue
		}
		got[in.name] = rule + " " + digest(ours)
	}
	if *updateDifferences {
		writeDifferences(t, got)
		return
	}
	want := readDifferences(t)
	for name, rule := range got {
		if want[name] != rule {
			t.Errorf("%s: differs from opencsv 5.2 (rule and reading %s) but testdata/differences.txt lists %q", name, rule, want[name])
		}
	}
	for name, rule := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("%s: listed as differing (rule %s) but the model now reads it as opencsv 5.2 does", name, rule)
		}
	}
	t.Logf("%d inputs, %d differ from opencsv 5.2 as listed", len(inputs), len(got))
}

// digest identifies the model's reading of a listed input, so that a
// change to how the model reads it (a different backslash rule, say) fails
// even where the input still differs from 5.2.
func digest(fields string) string {
	sum := sha256.Sum256([]byte(fields))
	return hex.EncodeToString(sum[:6])
}

// ruleFor names the first 2.0 rule whose construct the input holds.
func ruleFor(in []byte) string {
	for _, r := range rules20 {
		if r.present(in) {
			return r.name
		}
	}
	return ""
}

// debianOpencsv returns the class path of Debian's libopencsv-java, or
// skips loudly outside CI when it or Java is missing.
func debianOpencsv(t *testing.T) string {
	t.Helper()
	jars := []string{"opencsv.jar", "commons-lang3.jar", "commons-text.jar", "commons-beanutils.jar", "commons-collections4.jar"}
	var paths []string
	missing := ""
	for _, j := range jars {
		p := filepath.Join("/usr/share/java", j)
		if _, err := os.Stat(p); err != nil {
			missing = p
		}
		paths = append(paths, p)
	}
	if _, err := exec.LookPath("java"); err != nil {
		missing = "java"
	}
	if missing != "" {
		testenv.Skip(t, fmt.Sprintf("the differential test against Debian's opencsv needs %s (apt-get install libopencsv-java default-jdk-headless)", missing))
	}
	return strings.Join(paths, ":")
}

// fuzzCorpus is every CSV input the csvstream fuzz targets keep.
func fuzzCorpus(t *testing.T) []corpusInput {
	t.Helper()
	root := filepath.Join(testenv.RepoRoot(), "pkg", "shared", "csvstream", "testdata", "fuzz")
	files, err := filepath.Glob(filepath.Join(root, "*", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fuzz corpus under %s: %v", root, err)
	}
	var out []corpusInput
	for _, f := range files {
		data, err := fuzzInput(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		out = append(out, corpusInput{name: "fuzz/" + filepath.ToSlash(rel), data: data})
	}
	return out
}

// fuzzInput reads the first []byte or string value of a Go fuzz corpus file.
func fuzzInput(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		for _, prefix := range []string{"[]byte(", "string("} {
			if lit, ok := strings.CutPrefix(line, prefix); ok {
				s, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
				if err != nil {
					return nil, fmt.Errorf("%s: %w", path, err)
				}
				return []byte(s), nil
			}
		}
	}
	return nil, fmt.Errorf("%s: no []byte or string value", path)
}

// handWritten are the inputs of testdata/inputs: backslashes wherever
// 2.0's escape rule can meet one.
func handWritten(t *testing.T) []corpusInput {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "inputs", "*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no inputs in testdata/inputs: %v", err)
	}
	var out []corpusInput
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, corpusInput{name: "inputs/" + filepath.Base(f), data: data})
	}
	return out
}

// ctxrowsOutputs are ctxrows' rows for values that need quoting, in every
// quoting style, backslashes written as --backslash escape writes them.
func ctxrowsOutputs(t *testing.T) []corpusInput {
	t.Helper()
	values := []string{"secret", `pa"ss`, "pa,ss", "pa\nss", "pässwörd€", ` lead`, `"quoted"`, `a""b`, `x\y`, `trail\`, `\"`}
	var out []corpusInput
	for _, quote := range []ctxrows.Quoting{ctxrows.QuoteAll, ctxrows.QuoteMinimal} {
		for i, v := range values {
			c := ctxrows.DefaultContext()
			c.Password, c.DisplayName = v, v+" {id}"
			g, err := ctxrows.Compile(ctxrows.Spec{Start: 1, End: 3, Context: c, Style: ctxrows.Style{Quote: quote, EscapeBackslash: true}})
			if err != nil {
				t.Fatalf("ctxrows refuses %q: %v", v, err)
			}
			var b bytes.Buffer
			if err := g.Write(context.Background(), &b); err != nil {
				t.Fatal(err)
			}
			out = append(out, corpusInput{name: fmt.Sprintf("ctxrows/quote%d/value%d", quote, i), data: b.Bytes()})
		}
	}
	return out
}

// modelFields reads data with the model, in the harness's output format.
func modelFields(data []byte) string {
	var b strings.Builder
	r := NewReader(bytes.NewReader(data))
	for {
		rec, _, err := r.Next()
		if err != nil {
			break
		}
		b.WriteString("R\n")
		for _, f := range rec {
			b.WriteString("F " + hex.EncodeToString([]byte(f)) + "\n")
		}
	}
	return b.String()
}

// runOpencsv5 reads every input with testdata/OpencsvFields.java in one JVM.
func runOpencsv5(t *testing.T, classpath string, inputs []corpusInput) []string {
	t.Helper()
	var docs bytes.Buffer
	for _, in := range inputs {
		fmt.Fprintf(&docs, "%d\n", len(in.data))
		docs.Write(in.data)
	}
	file := filepath.Join(t.TempDir(), "docs")
	if err := os.WriteFile(file, docs.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("java", "-cp", classpath, filepath.Join("testdata", "OpencsvFields.java"), file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("opencsv 5.2 harness: %v\n%s", err, stderr.String())
	}
	parts := strings.Split(string(out), "D\n")[1:]
	if len(parts) != len(inputs) {
		t.Fatalf("the harness answered for %d inputs of %d", len(parts), len(inputs))
	}
	return parts
}

func readDifferences(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "differences.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, ruleAndDigest, _ := strings.Cut(line, " ")
		out[name] = ruleAndDigest
	}
	return out
}

func writeDifferences(t *testing.T, got map[string]string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("# Inputs that opencsv 2.0 (this model) reads differently from Debian's opencsv 5.2,\n")
	b.WriteString("# each with the 2.0 rule that makes the difference. Regenerate with\n")
	b.WriteString("#   go test ./internal/testserver/oxsim/opencsv -run TestAgainstDebianOpencsv -update-differences\n")
	b.WriteString("# and review every change. The rules, from opencsv 2.0's source:\n")
	for _, r := range rules20 {
		b.WriteString("#   " + r.name + ": " + r.cites + "\n")
	}
	names := make([]string, 0, len(got))
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.WriteString(n + " " + got[n] + "\n")
	}
	if err := os.WriteFile(filepath.Join("testdata", "differences.txt"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

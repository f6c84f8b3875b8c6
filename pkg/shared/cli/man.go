package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/alecthomas/kong"
)

// ManFlag is the hidden argument that prints a command's man page. The page
// is built from the same kong model as --help, so the two cannot disagree;
// `make install` writes it to man1/TOOL.1.
const ManFlag = "--help-man"

// ManSection is an extra section of a man page (ENVIRONMENT, EXAMPLES...).
type ManSection struct {
	Title string
	Body  string // plain text; paragraphs separated by blank lines, lines starting with "  " kept as is
}

// ManSectioner is implemented by commands that add sections to their page.
type ManSectioner interface {
	ManSections() []ManSection
}

// writeMan renders the man page of the parsed model.
func writeMan(w io.Writer, app *kong.Application, description string, cmd any) {
	name := app.Name
	var b strings.Builder
	fmt.Fprintf(&b, ".TH %s 1 %q \"provpipe %s\" \"provpipe manual\"\n", strings.ToUpper(name), time.Now().Format("2006-01-02"), Version)
	summary, rest, _ := strings.Cut(description, "\n")
	fmt.Fprintf(&b, ".SH NAME\n%s \\- %s\n", name, roff(strings.TrimSuffix(summary, ".")))
	fmt.Fprintf(&b, ".SH SYNOPSIS\n.B %s\n%s\n", name, roff(synopsis(app.Node)))
	fmt.Fprintf(&b, ".SH DESCRIPTION\n%s\n", paragraphs(summary+"\n"+rest))
	b.WriteString(".SH OPTIONS\n")
	for _, f := range app.Flags {
		if f.Hidden {
			continue
		}
		fmt.Fprintf(&b, ".TP\n%s\n%s\n", roff(flagTerm(f)), roff(flagHelp(f)))
	}
	for _, p := range app.Positional {
		fmt.Fprintf(&b, ".TP\n\\fI%s\\fR\n%s\n", roff(p.Name), roff(p.Help))
	}
	b.WriteString(".SH EXIT STATUS\n.TP\n0\nEverything was done.\n.TP\n1\nSome items failed; the others were done.\n" +
		".TP\n2\nBad usage or bad input; nothing was done.\n.TP\n130\nInterrupted (SIGINT) after a clean summary.\n.TP\n143\nStopped by SIGTERM after a clean summary.\n")
	if s, ok := cmd.(ManSectioner); ok {
		for _, sec := range s.ManSections() {
			fmt.Fprintf(&b, ".SH %s\n%s\n", strings.ToUpper(sec.Title), paragraphs(sec.Body))
		}
	}
	b.WriteString(".SH SEE ALSO\n.BR sxusers (1),\n.BR sxwarm (1),\n.BR ctxrows (1),\n.BR ctxsplit (1),\n.BR parallel (1)\n")
	io.WriteString(w, b.String())
}

func synopsis(n *kong.Node) string {
	s := "[OPTIONS]"
	for _, p := range n.Positional {
		s += " [" + strings.ToUpper(p.Name) + "...]"
	}
	return s
}

func flagTerm(f *kong.Flag) string {
	term := ""
	if f.Short != 0 {
		term = fmt.Sprintf("\\fB-%c\\fR, ", f.Short)
	}
	term += "\\fB--" + f.Name + "\\fR"
	if f.Tag.Negatable != "" {
		term += ", \\fB--no-" + f.Name + "\\fR"
	}
	if !f.IsBool() {
		term += " \\fI" + placeholder(f) + "\\fR"
	}
	return term
}

// placeholder names a flag's value: the declared one, the choices of an
// enum, else the flag's name in capitals (not kong's quoted default).
func placeholder(f *kong.Flag) string {
	switch {
	case f.PlaceHolder != "":
		return f.PlaceHolder
	case f.Enum != "":
		return strings.Join(f.EnumSlice(), "|")
	}
	return strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
}

func flagHelp(f *kong.Flag) string {
	h := f.Help
	if f.Enum != "" && !strings.Contains(h, f.Enum) {
		h += " One of: " + strings.Join(f.EnumSlice(), ", ") + "."
	}
	if f.HasDefault && f.Default != "" && f.Default != "false" && f.Default != "0" {
		h += " Default: " + f.Default + "."
	}
	return h
}

// paragraphs turns plain text into roff: blank lines separate paragraphs,
// indented lines are shown verbatim.
func paragraphs(text string) string {
	var b strings.Builder
	verbatim := false
	for _, line := range strings.Split(strings.Trim(text, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "  "):
			if !verbatim {
				b.WriteString(".PP\n.nf\n")
				verbatim = true
			}
			b.WriteString(roff(strings.TrimPrefix(line, "  ")) + "\n")
			continue
		case verbatim:
			b.WriteString(".fi\n")
			verbatim = false
		}
		if strings.TrimSpace(line) == "" {
			b.WriteString(".PP\n")
			continue
		}
		b.WriteString(roff(line) + "\n")
	}
	if verbatim {
		b.WriteString(".fi\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// roff escapes text: backslashes (unless already roff font escapes) and
// lines that would start with a control character.
func roff(s string) string {
	s = strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
	// Restore the font escapes this file writes itself.
	s = strings.NewReplacer(`\efB`, `\fB`, `\efR`, `\fR`, `\efI`, `\fI`, `\e\-`, `\-`).Replace(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

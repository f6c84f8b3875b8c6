package ctxrows

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"provpipe/pkg/openxchange/schemas"
)

// Open-Xchange reads the CSV with opencsv 2.0, whose escape character is the
// backslash: inside quotes `\"` and `\\` stand for `"` and `\`, a backslash
// before anything else drops both characters, and a value ending in a
// backslash swallows its closing quote, merging two rows. Its line reader
// also turns a carriage return inside a value into a line feed. A value
// that reader would change is refused rather than written.
var (
	errBackslash = errors.New("holds a backslash, which createcontext's CSV reader (opencsv 2.0) drops or reads as an escape, " +
		"changing the value or merging rows; give --backslash escape to write it as that reader expects")
	errCarriageReturn = errors.New("holds a carriage return, which createcontext's CSV reader turns into a line feed; no encoding keeps it")
)

// ValueError is a value createcontext would not read back as written.
type ValueError struct {
	Column string // the CSV column
	Where  string // which rows: "every row", or a schemas file line
	Err    error
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("%s (%s) %v", e.Column, e.Where, e.Err)
}

func (e *ValueError) Unwrap() error { return e.Err }

// checkValue tells whether a value survives createcontext's reader.
func checkValue(v string, st Style) error {
	if strings.ContainsRune(v, '\r') {
		return errCarriageReturn
	}
	if !st.EscapeBackslash && strings.ContainsRune(v, '\\') {
		return errBackslash
	}
	return nil
}

// checkRows checks the schemas file's values the same way, naming the line
// and the first context that row goes to.
func checkRows(t *schemas.Table, spec Spec) error {
	for k, row := range t.Rows {
		for i, v := range row {
			if err := checkValue(v, spec.Style); err != nil {
				where := fmt.Sprintf("%s:%d, first used by context %d", t.Name, t.Lines[k], spec.Start+int64(k))
				return &ValueError{Column: t.Columns[i], Where: where, Err: err}
			}
		}
	}
	return nil
}

// checkQuota requires what createcontext parses as a number (a Java long);
// {id} stands for digits.
func checkQuota(tmpl string) error {
	v := strings.ReplaceAll(tmpl, "{id}", "1")
	if _, err := strconv.ParseInt(v, 10, 64); err != nil {
		return fmt.Errorf("quota %q is not a whole number of MB: createcontext would refuse every context", tmpl)
	}
	return nil
}

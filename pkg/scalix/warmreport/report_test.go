package warmreport

import (
	"io"
	"testing"
)

func TestQuantile(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if q := quantile(s, 0.5); q != 5 {
		t.Errorf("median %v", q)
	}
	if q := quantile(s, 0.95); q != 10 {
		t.Errorf("p95 %v", q)
	}
	if q := quantile(nil, 0.5); q != 0 {
		t.Errorf("empty %v", q)
	}
}

func TestNewWriterRefusesUnknownFormat(t *testing.T) {
	if _, err := NewWriter(io.Discard, io.Discard, "yaml", false); err == nil {
		t.Error("format yaml accepted")
	}
	for _, f := range []string{Text, TSV, JSONL, CSV} {
		if _, err := NewWriter(io.Discard, io.Discard, f, false); err != nil {
			t.Errorf("format %s: %v", f, err)
		}
	}
}

package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files from the current output")

// golden compares got with testdata/name, or rewrites that file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (rerun with -update if the change is intended)\n--- got:\n%s\n--- want:\n%s", file, got, want)
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"table.golden", func(b *bytes.Buffer) error {
			return WriteTable(b, finding.Batches{testFindings()}, testMeta, TableOptions{})
		}},
		{"table_suppressed.golden", func(b *bytes.Buffer) error {
			return WriteTable(b, finding.Batches{testFindings()}, testMeta, TableOptions{ShowSuppressed: true})
		}},
		{"table_color.golden", func(b *bytes.Buffer) error {
			return WriteTable(b, finding.Batches{testFindings()}, Meta{Resources: 20}, TableOptions{Color: true})
		}},
		{"table_empty.golden", func(b *bytes.Buffer) error {
			return WriteTable(b, nil, Meta{Resources: 12}, TableOptions{Color: true})
		}},
		{"report.json.golden", func(b *bytes.Buffer) error {
			return WriteJSON(b, finding.Batches{testFindings()}, testMeta)
		}},
		{"report_empty.json.golden", func(b *bytes.Buffer) error {
			return WriteJSON(b, nil, Meta{ToolVersion: "v0.1.0-test", Resources: 3})
		}},
		{"report.sarif.golden", func(b *bytes.Buffer) error {
			return WriteSARIF(b, finding.Batches{testFindings()}, testMeta, testRules)
		}},
		{"rules_table.golden", func(b *bytes.Buffer) error {
			return writeRulesTable(b, testRules, testCombinations)
		}},
		{"rules.json.golden", func(b *bytes.Buffer) error {
			return writeRulesJSON(b, testRules, testCombinations)
		}},
		{"rules.md.golden", func(b *bytes.Buffer) error {
			_, err := b.WriteString(rulesMarkdown(testRules, testCombinations))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.file, b.Bytes())
		})
	}
}

// TestDeterministic guards the golden files: the same findings in another order give the same
// table, and the same findings give byte-identical JSON and SARIF.
func TestDeterministic(t *testing.T) {
	fs := testFindings()
	rev := make([]finding.Finding, len(fs))
	for i := range fs {
		rev[len(fs)-1-i] = fs[i]
	}
	var a, b bytes.Buffer
	if err := WriteTable(&a, finding.Batches{fs}, testMeta, TableOptions{ShowSuppressed: true}); err != nil {
		t.Fatal(err)
	}
	if err := WriteTable(&b, finding.Batches{rev}, testMeta, TableOptions{ShowSuppressed: true}); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("table depends on input order:\n%s\n---\n%s", a.String(), b.String())
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"json": func(b *bytes.Buffer) error { return WriteJSON(b, finding.Batches{testFindings()}, testMeta) },
		"sarif": func(b *bytes.Buffer) error {
			return WriteSARIF(b, finding.Batches{testFindings()}, testMeta, testRules)
		},
	} {
		var x, y bytes.Buffer
		if err := write(&x); err != nil {
			t.Fatal(err)
		}
		if err := write(&y); err != nil {
			t.Fatal(err)
		}
		if x.String() != y.String() {
			t.Errorf("%s output is not deterministic", name)
		}
	}
}

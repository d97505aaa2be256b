package main

import (
	"os"
	"testing"

	"github.com/jobguard/jobguard/internal/report"
)

// docs/rules.md is generated from the rules' own metadata; this keeps the committed copy current.
// Regenerate with: go run ./cmd/jobguard rules -o markdown > docs/rules.md
func TestRulesDocUpToDate(t *testing.T) {
	want := report.RulesMarkdown(catalogue())
	got, err := os.ReadFile("../../docs/rules.md")
	if err != nil {
		t.Fatalf("%v (generate it: go run ./cmd/jobguard rules -o markdown > docs/rules.md)", err)
	}
	if string(got) != want {
		t.Fatal("docs/rules.md is out of date: go run ./cmd/jobguard rules -o markdown > docs/rules.md")
	}
}

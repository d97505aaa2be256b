package report

import (
	"encoding/json"
	"io"

	"github.com/jobguard/jobguard/internal/finding"
)

// jsonReport is the JSON report. docs/report.schema.json describes it; keep the two in step.
type jsonReport struct {
	SchemaVersion string            `json:"schemaVersion"`
	Tool          jsonTool          `json:"tool"`
	Inputs        []string          `json:"inputs"`
	Findings      []finding.Finding `json:"findings"`
	Errors        []string          `json:"errors"`
	Summary       finding.Summary   `json:"summary"`
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// WriteJSON writes the findings, suppressed ones included and marked, as one indented JSON document
// (schema: docs/report.schema.json). Findings keep the order they are given in. Arrays are never
// null: no findings is "findings": [].
func WriteJSON(w io.Writer, fs []finding.Finding, m Meta) error {
	r := jsonReport{
		SchemaVersion: SchemaVersion,
		Tool:          jsonTool{Name: ToolName, Version: m.ToolVersion},
		Inputs:        nonNil(m.Inputs),
		Findings:      make([]finding.Finding, len(fs)),
		Errors:        nonNil(m.Errors),
		Summary:       summarize(fs, m),
	}
	for i, f := range fs {
		f.Attack = nonNil(f.Attack)
		f.Mitigations = nonNil(f.Mitigations)
		r.Findings[i] = f
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// nonNil returns s, or an empty slice when s is nil, so that it encodes as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

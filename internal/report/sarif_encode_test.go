package report

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// The hand-written SARIF result encoder must write exactly what the log's encoding/json Encoder
// writes for a result at the same nesting.
func TestAppendSARIFResultMatchesEncodingJSON(t *testing.T) {
	nasty := []string{"", "plain", `quote " and \ backslash`, "tab\tnewline\n", "\x00\x1f ctrl", "<html> & 'amp'",
		"bad utf8 \xff end", "line sep \u2028", "ünïcödé ✓ 😀"}
	r := rand.New(rand.NewPCG(3, 4))
	pick := func() string { return nasty[r.IntN(len(nasty))] }
	list := func() []string {
		switch r.IntN(3) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		out := make([]string, 1+r.IntN(3))
		for i := range out {
			out[i] = pick()
		}
		return out
	}
	for i := range 3000 {
		res := sarifResult{RuleID: pick(), Level: pick(), Message: sarifMessage{Text: pick(), Markdown: pick()},
			Properties: sarifResultProps{Severity: pick(), Category: pick(), Container: pick(), Path: pick(),
				Cluster: pick(), UID: pick(), Attack: list(), ThreatMatrix: list(), Escalation: pick()}}
		if r.IntN(2) == 0 {
			n := r.IntN(100)
			res.RuleIndex = &n
		}
		switch r.IntN(4) {
		case 0: // nil locations
		case 1:
			res.Locations = []sarifLocation{}
		default:
			for range 1 + r.IntN(2) {
				var l sarifLocation
				if r.IntN(3) > 0 {
					l.PhysicalLocation = &sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: pick(), URIBaseID: pick()}}
					if r.IntN(2) == 0 {
						l.PhysicalLocation.Region = &sarifRegion{StartLine: r.IntN(5000)}
					}
				}
				for range r.IntN(3) {
					l.LogicalLocations = append(l.LogicalLocations, sarifLogicalLocation{Name: pick(), FullyQualifiedName: pick(), Kind: pick()})
				}
				res.Locations = append(res.Locations, l)
			}
		}
		switch r.IntN(3) {
		case 0: // nil fingerprints
		case 1:
			res.PartialFingerprints = map[string]string{fingerprintKey: pick()}
		default:
			res.PartialFingerprints = map[string]string{"b": pick(), "a": pick(), "c/v1": pick()}
		}
		for range r.IntN(3) {
			res.Suppressions = append(res.Suppressions, sarifSuppression{Kind: pick(), Status: pick(), Justification: pick()})
		}
		prefix := [...]string{"", "  ", "        "}[r.IntN(3)]

		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent(prefix, "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(res); err != nil {
			t.Fatal(err)
		}
		got := appendSARIFResult(nil, &res, prefix)
		if !bytes.Equal(got, bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, want.Bytes())
		}
	}
}

package report

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

// The hand-written encoder must produce exactly what encoding/json produces for a Finding.
func TestAppendFindingMatchesEncodingJSON(t *testing.T) {
	nasty := []string{"", "plain", `quote " and \ backslash`, "tab\tnewline\ncr\r", "\x00\x01\x1f ctrl", "<html> & 'amp'",
		"bad utf8 \xff\xfe end", "line sep \u2028 para \u2029", "ünïcödé ✓ 😀", "\b\f", "mixed \xc3\x28 invalid"}
	r := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return nasty[r.IntN(len(nasty))] }
	list := func() []string {
		n := r.IntN(3)
		if n == 0 && r.IntN(2) == 0 {
			return nil
		}
		out := make([]string, n)
		for i := range out {
			out[i] = pick()
		}
		return out
	}
	for i := range 2000 {
		f := finding.Finding{
			Rule: pick(), Category: finding.Category(pick()), Severity: finding.Severities[r.IntN(len(finding.Severities))],
			Title: pick(), Message: pick(), Container: pick(), Remediation: pick(), Suppressed: r.IntN(2) == 0,
			Suppression: pick(), Escalation: pick(), Attack: list(), ThreatMatrix: list(), Mitigations: list(),
			Resource: finding.Resource{APIVersion: pick(), Kind: pick(), Namespace: pick(), Name: pick(), File: pick(),
				Line: r.IntN(3) * r.IntN(100000), Path: pick(), Cluster: pick(), UID: pick()},
		}
		want := f
		want.Attack, want.Mitigations = nonNil(f.Attack), nonNil(f.Mitigations)
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(want); err != nil {
			t.Fatal(err)
		}
		got := appendFinding(nil, &f)
		if !bytes.Equal(got, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))) {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, buf.Bytes())
		}
	}
}

package report

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
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

// checkAppendString compares appendString with encoding/json (HTML escaping off) on s.
func checkAppendString(t *testing.T, s string) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	if got, want := appendString(nil, s), bytes.TrimSuffix(buf.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
		t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
	}
}

// Every byte that needs escaping or checking is found wherever it sits in an eight-byte block.
func TestAppendStringEveryOffset(t *testing.T) {
	specials := []string{"\"", "\\", "\x00", "\x1f", "\n", "\x7f", "\xff", "é", "\u2028", "😀", " ", "~"}
	for _, sp := range specials {
		for n := range 24 {
			for at := 0; at <= n; at++ {
				s := strings.Repeat("a", at) + sp + strings.Repeat("b", n-at)
				checkAppendString(t, s)
			}
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain ascii text that is long", "quote \" in the middle of a long line", "a\\b", "tab\tand\nnewline in a longer string",
		"ünïcödé ✓ 😀 and more", "bad \xff utf8 in a longer string", "\u2028\u2029 separators and padding"} {
		f.Add(s)
	}
	f.Fuzz(checkAppendString)
}

// A JSONStream fed in any batches writes what WriteJSON writes.
func TestJSONStream(t *testing.T) {
	fs := testFindings()
	var want bytes.Buffer
	if err := WriteJSON(&want, finding.Batches{fs}, testMeta); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		batches finding.Batches
	}{
		{name: "one batch", batches: finding.Batches{fs}},
		{name: "one finding per batch", batches: func() finding.Batches {
			var b finding.Batches
			for i := range fs {
				b = append(b, fs[i:i+1])
			}
			return b
		}()},
		{name: "empty batches between", batches: finding.Batches{nil, fs[:1], {}, fs[1:], nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got bytes.Buffer
			s := NewJSONStream(&got, testMeta)
			for _, b := range tt.batches {
				s.Write(b)
			}
			if err := s.Close(testMeta.Resources); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("stream wrote\n%s\nwant\n%s", got.String(), want.String())
			}
		})
	}
	s := NewJSONStream(failWriter{}, testMeta)
	s.Write(fs)
	if err := s.Close(1); err == nil {
		t.Error("Close after a failed write returned no error")
	}
}

package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/rules"
)

// The catalogue writers are tested on the real registry here (the golden files use fixed rules).

func TestRulesJSONRegistry(t *testing.T) {
	all := rules.All()
	var b bytes.Buffer
	if err := WriteRulesJSON(&b, all); err != nil {
		t.Fatal(err)
	}
	var got struct {
		SchemaVersion string
		Rules         []map[string]any
		Combinations  []map[string]any
		Severities    []map[string]any
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Rules) != len(all) {
		t.Fatalf("got %d rules, want %d", len(got.Rules), len(all))
	}
	keys := []string{"id", "category", "severity", "title", "attack", "threatMatrix", "mitigations", "description", "remediation"}
	for i, r := range got.Rules {
		for _, k := range keys {
			if _, ok := r[k]; !ok {
				t.Errorf("rule %v lacks %q", r["id"], k)
			}
		}
		if r["id"] != all[i].ID {
			t.Errorf("rule %d is %v, want %s (order kept)", i, r["id"], all[i].ID)
		}
		for _, k := range []string{"attack", "threatMatrix", "mitigations"} {
			if _, ok := r[k].([]any); !ok {
				t.Errorf("rule %v: %s is %T, want an array", r["id"], k, r[k])
			}
		}
		if a := r["attack"].([]any); len(a) == 0 || a[0] != rules.Technique {
			t.Errorf("rule %v: attack %v does not start with %s", r["id"], a, rules.Technique)
		}
	}
	if len(got.Combinations) != len(rules.Combinations) {
		t.Errorf("got %d combinations, want %d", len(got.Combinations), len(rules.Combinations))
	}
	for i, c := range got.Combinations {
		if c["id"] != rules.Combinations[i].ID || c["partner"] == "" || c["to"] != rules.Combinations[i].To.String() {
			t.Errorf("combination %d = %v", i, c)
		}
	}
	if len(got.Severities) != len(finding.Severities) || got.Severities[0]["name"] != "critical" {
		t.Errorf("severities = %v", got.Severities)
	}
}

func TestRulesTableRegistry(t *testing.T) {
	var b bytes.Buffer
	if err := WriteRulesTable(&b, rules.All()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, r := range rules.All() {
		if !strings.Contains(out, "\n"+r.ID+" ") {
			t.Errorf("rule %s has no row", r.ID)
		}
	}
	for _, c := range rules.Combinations {
		if !strings.Contains(out, "  "+c.ID+"\n") {
			t.Errorf("combination %s not documented", c.ID)
		}
	}
	for _, s := range finding.Severities {
		if !strings.Contains(out, "\n  "+s.String()+" ") {
			t.Errorf("severity %s not explained", s)
		}
	}
}

func TestRulesMarkdownRegistry(t *testing.T) {
	all := rules.All()
	md := RulesMarkdown(all)
	for _, r := range all {
		for _, want := range []string{
			"\n### " + r.ID + "\n",              // the anchor docs/rules.md#id
			"| [" + r.ID + "](#" + r.ID + ") |", // the index row
			r.Remediation,
		} {
			if !strings.Contains(md, want) {
				t.Errorf("rule %s: docs lack %q", r.ID, want)
			}
		}
	}
	for _, c := range rules.Combinations {
		if !strings.Contains(md, "\n### "+c.ID+"\n") {
			t.Errorf("combination %s not documented", c.ID)
		}
	}
	if RulesMarkdown(all) != md {
		t.Error("RulesMarkdown is not deterministic")
	}
	// Headings must be unique so that every anchor leads to one place.
	seen := map[string]bool{}
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "#") {
			if seen[l] {
				t.Errorf("duplicate heading %q", l)
			}
			seen[l] = true
		}
	}
}

func TestAttackURL(t *testing.T) {
	for id, want := range map[string]string{
		"T1053.007":  "https://attack.mitre.org/techniques/T1053/007/",
		"T1611":      "https://attack.mitre.org/techniques/T1611/",
		"M1026":      "https://attack.mitre.org/mitigations/M1026/",
		"MS-TA9018":  "",
		"T":          "",
		"T12.x":      "",
		"Mxyz":       "",
		"":           "",
		"T1053.007 ": "",
	} {
		if got := attackURL(id); got != want {
			t.Errorf("attackURL(%q) = %q, want %q", id, got, want)
		}
	}
}

package rules

import (
	"slices"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
)

func TestSortFindings(t *testing.T) {
	f := func(sev finding.Severity, rule, path, msg string) finding.Finding {
		return finding.Finding{Severity: sev, Rule: rule, Message: msg, Resource: finding.Resource{Path: path}}
	}
	crit, high, med := finding.SeverityCritical, finding.SeverityHigh, finding.SeverityMedium
	tests := []struct {
		name          string
		prefix, input []finding.Finding
		want          []string // messages, in order
	}{
		{name: "empty"},
		{name: "one", input: []finding.Finding{f(high, "a", "", "1")}, want: []string{"1"}},
		{name: "already sorted", input: []finding.Finding{f(crit, "b", "", "1"), f(high, "a", "", "2"), f(high, "a", "x", "3")},
			want: []string{"1", "2", "3"}},
		{name: "by severity, then rule, then path",
			input: []finding.Finding{f(med, "a", "", "1"), f(high, "b", "y", "2"), f(high, "b", "x", "3"), f(crit, "z", "", "4"), f(high, "a", "", "5")},
			want:  []string{"4", "5", "3", "2", "1"}},
		{name: "stable for equal keys",
			input: []finding.Finding{f(med, "a", "p", "1"), f(high, "a", "p", "2"), f(med, "a", "p", "3"), f(high, "a", "p", "4")},
			want:  []string{"2", "4", "1", "3"}},
		{name: "a prefix of other objects is left alone",
			prefix: []finding.Finding{f(med, "z", "", "p1"), f(crit, "a", "", "p2")},
			input:  []finding.Finding{f(med, "a", "", "1"), f(crit, "a", "", "2")},
			want:   []string{"p1", "p2", "2", "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := append(slices.Clone(tt.prefix), tt.input...)
			got := sortFindings(dst, len(tt.prefix))
			var msgs []string
			for _, g := range got {
				msgs = append(msgs, g.Message)
			}
			if !slices.Equal(msgs, tt.want) || len(got) != len(tt.prefix)+len(tt.input) {
				t.Errorf("sortFindings = %v (len %d), want %v", msgs, len(got), tt.want)
			}
			if spare := got[len(got):cap(got)]; slices.ContainsFunc(spare, func(f finding.Finding) bool { return f.Message != "" }) {
				t.Errorf("sortFindings left findings in the spare room after the result")
			}
		})
	}
}

func TestEvaluateAppend(t *testing.T) {
	eng, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	risky := object(t, wrap("containers:\n- name: c\n  image: busybox\n  securityContext: {privileged: true}\n")["CronJob"])
	cm := object(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: ns}\ndata: {a: b}\n")
	want := eng.Evaluate(nil, risky)
	if len(want) < 2 {
		t.Fatalf("test workload has %d findings, want several", len(want))
	}
	tests := []struct {
		name   string
		prefix []finding.Finding
		obj    *input.Object
		want   []finding.Finding
	}{
		{name: "workload into an empty buffer", obj: risky, want: want},
		{name: "workload after other findings", prefix: want[:1], obj: risky, want: append(slices.Clone(want[:1]), want...)},
		{name: "an object that runs no pods adds nothing", prefix: want[:1], obj: cm, want: want[:1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := eng.EvaluateAppend(slices.Clone(tt.prefix), nil, tt.obj)
			if len(got) != len(tt.want) {
				t.Fatalf("EvaluateAppend returned %d findings, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i].Rule != tt.want[i].Rule || got[i].Message != tt.want[i].Message || got[i].Resource != tt.want[i].Resource {
					t.Errorf("finding %d = %s %q, want %s %q", i, got[i].Rule, got[i].Message, tt.want[i].Rule, tt.want[i].Message)
				}
			}
		})
	}
	if got := eng.Evaluate(nil, cm); got != nil {
		t.Errorf("Evaluate of a ConfigMap = %v, want nil", got)
	}
}

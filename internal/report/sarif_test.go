package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/rules"
)

// sarifOut writes SARIF and decodes it back.
func sarifOut(t *testing.T, fs []finding.Finding, m Meta, rs []*rules.Rule) sarifLog {
	t.Helper()
	var b bytes.Buffer
	if err := WriteSARIF(&b, finding.Batches{fs}, m, rs); err != nil {
		t.Fatal(err)
	}
	var log sarifLog
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("got %d runs, want 1", len(log.Runs))
	}
	return log
}

func TestSARIFLevels(t *testing.T) {
	tests := []struct {
		sev       finding.Severity
		level     string
		secSev    string
		sarifWord string
	}{
		{finding.SeverityCritical, "error", "9.5", "critical"},
		{finding.SeverityHigh, "error", "8.0", "high"},
		{finding.SeverityMedium, "warning", "5.5", "medium"},
		{finding.SeverityLow, "note", "3.0", "low"},
		{finding.SeverityInfo, "note", "1.0", "info"},
	}
	for _, tt := range tests {
		t.Run(tt.sev.String(), func(t *testing.T) {
			r := *testRules[0]
			r.Severity = tt.sev
			f := ruleFinding(r.ID)
			f.Severity = tt.sev
			f.Resource = cronJob
			log := sarifOut(t, []finding.Finding{f}, Meta{}, []*rules.Rule{&r})
			run := log.Runs[0]
			if got := run.Results[0].Level; got != tt.level {
				t.Errorf("result level = %q, want %q", got, tt.level)
			}
			d := run.Tool.Driver.Rules[0]
			if d.DefaultConfiguration.Level != tt.level {
				t.Errorf("rule level = %q, want %q", d.DefaultConfiguration.Level, tt.level)
			}
			if d.Properties.SecuritySeverity != tt.secSev {
				t.Errorf("security-severity = %q, want %q", d.Properties.SecuritySeverity, tt.secSev)
			}
			if run.Results[0].Properties.Severity != tt.sarifWord {
				t.Errorf("result severity property = %q, want %q", run.Results[0].Properties.Severity, tt.sarifWord)
			}
		})
	}
}

func TestSARIFResults(t *testing.T) {
	fs := testFindings()
	log := sarifOut(t, fs, testMeta, testRules)
	run := log.Runs[0]
	if log.Version != "2.1.0" || log.Schema != sarifSchema {
		t.Errorf("version %q schema %q", log.Version, log.Schema)
	}
	if d := run.Tool.Driver; d.Name != "jobguard" || d.Version != "v0.1.0-test" || d.InformationURI == "" {
		t.Errorf("driver = %+v", d)
	}
	if len(run.Tool.Driver.Rules) != len(testRules) {
		t.Fatalf("got %d rules, want every rule passed in (%d)", len(run.Tool.Driver.Rules), len(testRules))
	}
	if len(run.Results) != len(fs) {
		t.Fatalf("got %d results, want %d (suppressed findings must be kept)", len(run.Results), len(fs))
	}
	for i, res := range run.Results {
		f := fs[i]
		if res.RuleIndex == nil || run.Tool.Driver.Rules[*res.RuleIndex].ID != f.Rule {
			t.Errorf("result %d: ruleIndex does not point at rule %s", i, f.Rule)
		}
		if len(res.Locations) != 1 || len(res.Locations[0].LogicalLocations) != 1 {
			t.Fatalf("result %d: want one location with one logical location: %+v", i, res.Locations)
		}
		if ll := res.Locations[0].LogicalLocations[0]; ll.Kind != "resource" || ll.Name != f.Resource.Name {
			t.Errorf("result %d: logical location %+v", i, ll)
		}
		pl := res.Locations[0].PhysicalLocation
		if f.Resource.File == "" && pl != nil {
			t.Errorf("result %d: cluster finding has a physical location %+v", i, pl)
		}
		if f.Resource.File != "" && pl == nil {
			t.Errorf("result %d: file finding has no physical location", i)
		}
		if pl != nil && f.Resource.Line > 0 && (pl.Region == nil || pl.Region.StartLine != f.Resource.Line) {
			t.Errorf("result %d: region %+v, want line %d", i, pl.Region, f.Resource.Line)
		}
		if pl != nil && f.Resource.Line == 0 && pl.Region != nil {
			t.Errorf("result %d: region %+v for a finding without a line", i, pl.Region)
		}
		if f.Suppressed != (len(res.Suppressions) == 1) {
			t.Errorf("result %d: suppressed=%v but suppressions %+v", i, f.Suppressed, res.Suppressions)
		}
		if res.PartialFingerprints[fingerprintKey] == "" {
			t.Errorf("result %d: no fingerprint", i)
		}
	}

	// Named checks on particular fixtures.
	if fqn := run.Results[5].Locations[0].LogicalLocations[0].FullyQualifiedName; fqn != "CronJob/default/miner" {
		t.Errorf("fullyQualifiedName = %q", fqn)
	}
	if fqn := run.Results[7].Locations[0].LogicalLocations[0].FullyQualifiedName; fqn != "Pod/static-thing" {
		t.Errorf("cluster-scoped fullyQualifiedName = %q", fqn)
	}
	if s := run.Results[3].Suppressions[0]; s.Kind != "inSource" || s.Justification != fs[3].Suppression {
		t.Errorf("annotation suppression = %+v, want inSource with the reason", s)
	}
	if s := run.Results[7].Suppressions[0]; s.Kind != "external" {
		t.Errorf("config suppression = %+v, want external", s)
	}
	if msg := run.Results[2].Message.Text; !bytes.Contains([]byte(msg), []byte(fs[2].Escalation)) {
		t.Errorf("escalated result message %q does not say why", msg)
	}

	inv := run.Invocations
	if len(inv) != 1 || inv[0].ExecutionSuccessful || len(inv[0].ToolExecutionNotifications) != 1 ||
		inv[0].ToolExecutionNotifications[0].Message.Text != testMeta.Errors[0] {
		t.Errorf("invocations = %+v, want one unsuccessful with the input error", inv)
	}
	clean := sarifOut(t, nil, Meta{}, nil).Runs[0]
	if !clean.Invocations[0].ExecutionSuccessful || clean.Results == nil || clean.Tool.Driver.Rules == nil {
		t.Errorf("clean run = %+v, want successful with [] results and rules", clean)
	}
}

func TestSARIFAddsMissingRules(t *testing.T) {
	registered := rules.All()
	if len(registered) == 0 {
		t.Skip("no rule registered")
	}
	f := finding.Finding{Rule: registered[0].ID, Category: registered[0].Category, Severity: registered[0].Severity, Resource: cronJob, Message: "m"}
	unknown := finding.Finding{Rule: "no-such-rule", Severity: finding.SeverityLow, Resource: cronJob, Message: "m"}
	run := sarifOut(t, []finding.Finding{f, unknown, f}, Meta{}, nil).Runs[0]
	if len(run.Tool.Driver.Rules) != 1 || run.Tool.Driver.Rules[0].ID != registered[0].ID {
		t.Fatalf("driver rules = %+v, want the one registered rule a finding names", run.Tool.Driver.Rules)
	}
	if run.Results[0].RuleIndex == nil || *run.Results[0].RuleIndex != 0 {
		t.Errorf("ruleIndex of a registered rule = %v, want 0", run.Results[0].RuleIndex)
	}
	if run.Results[1].RuleIndex != nil {
		t.Errorf("ruleIndex of an unknown rule = %v, want none", *run.Results[1].RuleIndex)
	}
}

func TestSARIFFingerprint(t *testing.T) {
	base := testFindings()[0]
	moved := base
	moved.Resource.Line += 40
	moved.Message = "reworded"
	moved.Severity = finding.SeverityCritical
	otherField := base
	otherField.Resource.Path = "spec.template.spec.initContainers[0].securityContext.privileged"
	otherObject := base
	otherObject.Resource.Name = "other"
	otherRule := base
	otherRule.Rule = "image-latest"

	fp := fingerprint(base)
	if fingerprint(moved) != fp {
		t.Error("fingerprint changes when the finding moves to another line or its message changes")
	}
	for name, f := range map[string]finding.Finding{"field": otherField, "object": otherObject, "rule": otherRule} {
		if fingerprint(f) == fp {
			t.Errorf("another %s has the same fingerprint", name)
		}
	}
}

func TestArtifactLocation(t *testing.T) {
	tests := []struct {
		file    string
		uri     string
		base    string
		present bool
	}{
		{"manifests/cron.yaml", "manifests/cron.yaml", srcRoot, true},
		{"./manifests/../cron.yaml", "cron.yaml", srcRoot, true},
		{"dir with space/a#b.yaml", "dir%20with%20space/a%23b.yaml", srcRoot, true},
		{"a:b.yaml", "./a:b.yaml", srcRoot, true},
		{"/srv/repo/cron.yaml", "file:///srv/repo/cron.yaml", "", true},
		{"C:/repo/cron.yaml", "file:///C:/repo/cron.yaml", "", true},
		{"", "", "", false},
		{"-", "", "", false},
		{"<stdin>", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			al, ok := artifactLocation(tt.file)
			if ok != tt.present || al.URI != tt.uri || al.URIBaseID != tt.base {
				t.Errorf("artifactLocation(%q) = %+v, %v; want uri %q base %q present %v", tt.file, al, ok, tt.uri, tt.base, tt.present)
			}
		})
	}
}

func TestSARIFSchemaRejects(t *testing.T) {
	// The committed SARIF schema must catch mistakes, or the validation test proves nothing.
	sch := compileSchema(t, "testdata/sarif-2.1.0.json")
	var b bytes.Buffer
	if err := WriteSARIF(&b, finding.Batches{testFindings()}, testMeta, testRules); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ from, to string }{
		{`"level": "error"`, `"level": "critical"`},
		{`"startLine": 24`, `"startLine": 0`},
		{`"kind": "inSource"`, `"kind": "annotation"`},
		{`"version": "2.1.0"`, `"version": "2.0.0"`},
	} {
		bad := bytes.Replace(b.Bytes(), []byte(tt.from), []byte(tt.to), 1)
		if bytes.Equal(bad, b.Bytes()) {
			t.Fatalf("%s not in output", tt.from)
		}
		if err := validate(t, sch, bad); err == nil {
			t.Errorf("schema accepts %s", tt.to)
		}
	}
}

func TestCamelName(t *testing.T) {
	for in, want := range map[string]string{
		"host-privileged":        "HostPrivileged",
		"exec-download-pipe-sh":  "ExecDownloadPipeSh",
		"pss-baseline.host_path": "PssBaselineHostPath",
		"x":                      "X",
	} {
		if got := camelName(in); got != want {
			t.Errorf("camelName(%q) = %q, want %q", in, got, want)
		}
	}
}

package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

func table(t *testing.T, fs []finding.Finding, m Meta, opts TableOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteTable(&b, finding.Batches{fs}, m, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func lastLine(s string, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

func TestTableSummaryLine(t *testing.T) {
	sev := func(s finding.Severity, name string, suppressed bool) finding.Finding {
		r := cronJob
		r.Name = name
		return finding.Finding{Rule: "r", Severity: s, Resource: r, Message: "m", Suppressed: suppressed}
	}
	tests := []struct {
		name string
		fs   []finding.Finding
		res  int
		want string
	}{
		{"none", nil, 20, "No findings in 20 resources."},
		{"none of one", nil, 1, "No findings in 1 resource."},
		{"none, unknown count", nil, 0, "No findings."},
		{"only suppressed", []finding.Finding{sev(finding.SeverityHigh, "a", true)}, 5, "No findings in 5 resources; 1 suppressed."},
		{"one", []finding.Finding{sev(finding.SeverityLow, "a", false)}, 3, "1 finding (1 low) in 1 of 3 resources"},
		{"mixed", []finding.Finding{
			sev(finding.SeverityMedium, "a", false), sev(finding.SeverityCritical, "a", false),
			sev(finding.SeverityCritical, "b", false), sev(finding.SeverityHigh, "c", true),
			sev(finding.SeverityHigh, "d", true),
		}, 20, "3 findings (2 critical, 1 medium) in 2 of 20 resources; 2 suppressed"},
		{"resources unknown", []finding.Finding{sev(finding.SeverityInfo, "a", false)}, 0, "1 finding (1 info) in 1 resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := table(t, tt.fs, Meta{Resources: tt.res}, TableOptions{})
			if got := lastLine(out, strings.Fields(tt.want)[0]); got != tt.want {
				t.Errorf("summary line = %q, want %q\n%s", got, tt.want, out)
			}
		})
	}
}

func TestTableSuppressed(t *testing.T) {
	fs := testFindings()
	hidden := table(t, fs, testMeta, TableOptions{})
	shown := table(t, fs, testMeta, TableOptions{ShowSuppressed: true})
	for _, f := range fs {
		if !f.Suppressed {
			continue
		}
		if strings.Contains(hidden, f.Message) {
			t.Errorf("suppressed finding listed without ShowSuppressed: %s", f.Message)
		}
		if !strings.Contains(shown, f.Message) || !strings.Contains(shown, "suppressed: "+f.Suppression) {
			t.Errorf("suppressed finding or its reason missing with ShowSuppressed: %s", f.Message)
		}
	}
	if strings.Contains(hidden, "Pod static-thing") {
		t.Error("an object whose findings are all suppressed has a heading")
	}
	want := "7 findings (3 critical, 1 high, 1 medium, 1 low, 1 info) in 4 of 20 resources; 2 suppressed"
	for name, out := range map[string]string{"hidden": hidden, "shown": shown} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("%s: summary line missing, want %q", name, want)
		}
	}
}

func TestTableColor(t *testing.T) {
	fs := testFindings()
	plain := table(t, fs, testMeta, TableOptions{})
	if strings.Contains(plain, "\x1b") {
		t.Error("escape sequences without Color")
	}
	colored := table(t, fs, testMeta, TableOptions{Color: true})
	for _, want := range []string{"\x1b[1;31mCRITICAL\x1b[0m  ", "\x1b[31mHIGH\x1b[0m      ", "\x1b[36mLOW\x1b[0m       "} {
		if !strings.Contains(colored, want) {
			t.Errorf("coloured table lacks %q", want)
		}
	}
	// Colour changes nothing but the escapes.
	stripped := strings.NewReplacer("\x1b[1;31m", "", "\x1b[31m", "", "\x1b[33m", "", "\x1b[36m", "", "\x1b[2m", "", "\x1b[0m", "").Replace(colored)
	if stripped != plain {
		t.Errorf("coloured table differs from plain beyond escapes:\n%s\n---\n%s", stripped, plain)
	}
}

func TestTableGrouping(t *testing.T) {
	out := table(t, testFindings(), Meta{}, TableOptions{})
	// Each object has one heading, and inside it findings go from the worst down.
	if n := strings.Count(out, "CronJob ops/cleanup  (manifests/ops/cleanup.yaml)\n"); n != 1 {
		t.Errorf("CronJob ops/cleanup has %d headings, want 1", n)
	}
	if !strings.Contains(out, "CronJob default/miner  (cluster prod)\n") {
		t.Error("cluster object heading missing")
	}
	block := out[strings.Index(out, "CronJob ops/cleanup"):]
	block = block[:strings.Index(block, "\n\n")]
	var sevs []string
	for _, l := range strings.Split(block, "\n") {
		if len(l) > 2 && l[2] != ' ' && strings.HasPrefix(l, "  ") {
			sevs = append(sevs, strings.Fields(l)[0])
		}
	}
	if want := []string{"CRITICAL", "CRITICAL"}; !reflect.DeepEqual(sevs, want) {
		t.Errorf("severities in block = %v, want %v", sevs, want)
	}
	if !strings.Contains(block, "at manifests/ops/cleanup.yaml:9 (spec.failedJobsHistoryLimit)") {
		t.Errorf("location missing:\n%s", block)
	}
	if !strings.Contains(block, "raised to critical by combination") {
		t.Error("escalation not shown")
	}
}

func TestTableWrapsLongMessages(t *testing.T) {
	long := strings.Repeat("word ", 60) + strings.Repeat("x", 150)
	out := table(t, []finding.Finding{{Rule: "r", Title: "T", Severity: finding.SeverityHigh, Resource: cronJob, Message: long}}, Meta{}, TableOptions{})
	for _, l := range strings.Split(out, "\n") {
		if len(l) > tableWidth && !strings.Contains(l, strings.Repeat("x", 150)) {
			t.Errorf("line longer than %d: %q", tableWidth, l)
		}
	}
	if !strings.Contains(out, "\n"+strings.Repeat(" ", indent)+strings.Repeat("x", 150)+"\n") {
		t.Error("an over-long word is not kept whole on its own indented line")
	}
}

func TestTableErrors(t *testing.T) {
	out := table(t, nil, testMeta, TableOptions{})
	if !strings.HasSuffix(out, "Could not read 1 input; the scan is incomplete:\n  "+testMeta.Errors[0]+"\n") {
		t.Errorf("errors not listed at the end:\n%s", out)
	}
	out = table(t, nil, Meta{Incomplete: true}, TableOptions{})
	if !strings.Contains(out, "incomplete") {
		t.Errorf("incomplete scan not said:\n%s", out)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWritersReturnWriteErrors(t *testing.T) {
	fs := testFindings()
	for name, err := range map[string]error{
		"table":       WriteTable(failWriter{}, finding.Batches{fs}, testMeta, TableOptions{}),
		"json":        WriteJSON(failWriter{}, finding.Batches{fs}, testMeta),
		"sarif":       WriteSARIF(failWriter{}, finding.Batches{fs}, testMeta, testRules),
		"rules table": WriteRulesTable(failWriter{}, testRules),
		"rules json":  WriteRulesJSON(failWriter{}, testRules),
	} {
		if err == nil {
			t.Errorf("%s: write error not returned", name)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	fs := testFindings()
	var b bytes.Buffer
	if err := WriteJSON(&b, finding.Batches{fs}, testMeta); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Findings []finding.Finding `json:"findings"`
		Summary  finding.Summary   `json:"summary"`
		Tool     struct{ Name, Version string }
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := testFindings()
	for i := range want {
		want[i].Attack = nonNil(want[i].Attack)
		want[i].Mitigations = nonNil(want[i].Mitigations)
	}
	if !reflect.DeepEqual(got.Findings, want) {
		t.Errorf("findings do not survive a round trip:\n got %+v\nwant %+v", got.Findings, want)
	}
	wantSum := finding.Batches{fs}.Summarize(testMeta.Resources)
	wantSum.Errors, wantSum.Incomplete = 1, true
	if !reflect.DeepEqual(got.Summary, wantSum) {
		t.Errorf("summary = %+v, want %+v", got.Summary, wantSum)
	}
	if got.Tool.Name != "jobguard" || got.Tool.Version != testMeta.ToolVersion {
		t.Errorf("tool = %+v", got.Tool)
	}
	if fs[4].Attack != nil || fs[4].Mitigations != nil {
		t.Error("WriteJSON changed the caller's findings")
	}
}

func TestJSONEmptyArrays(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, nil, Meta{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"findings": []`, `"errors": []`, `"inputs": []`, `"schemaVersion": "jobguard.io/v1"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %s:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "null") {
		t.Errorf("output has a null:\n%s", b.String())
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  []string
	}{
		{"", 10, []string{""}},
		{"a b c", 10, []string{"a b c"}},
		{"aaaa bbbb cccc", 9, []string{"aaaa bbbb", "cccc"}},
		{"aaaaaaaaaaaa b", 5, []string{"aaaaaaaaaaaa", "b"}},
		{"one\ntwo  three", 20, []string{"one", "two three"}},
		{"ééé ééé", 3, []string{"ééé", "ééé"}},
		{"a\n\nb  c", 10, []string{"a", "", "b c"}},
		{"  lead and trail  ", 40, []string{"lead and trail"}},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		wrapTo(&b, tt.in, "", "", tt.width)
		if got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n"); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("wrapTo(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
		b.Reset()
		wrapTo(&b, tt.in, "> ", ". ", tt.width)
		if got, want := b.String(), "> "+strings.Join(tt.want, "\n. ")+"\n"; got != want {
			t.Errorf("wrapTo(%q, %d) with prefixes = %q, want %q", tt.in, tt.width, got, want)
		}
	}
}

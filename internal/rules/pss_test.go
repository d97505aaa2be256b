package rules

import (
	"sort"
	"strings"
	"testing"

	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/workload"
)

func pssOpts(t testing.TB, lv string) Options {
	t.Helper()
	level, version, _ := strings.Cut(lv, ":")
	l, err := api.ParseLevel(level)
	if err != nil {
		t.Fatal(err)
	}
	v, err := api.ParseVersion(version)
	if err != nil {
		t.Fatal(err)
	}
	return Options{PSS: api.LevelVersion{Level: l, Version: v}, PSSLevelFixed: true, PSSVersionFixed: true}
}

// pssFindings runs the engine and returns its pss-* findings.
func pssFindings(t testing.TB, opts Options, obj *input.Object) []finding.Finding {
	t.Helper()
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var out []finding.Finding
	for _, f := range e.Evaluate(nil, obj) {
		if strings.HasPrefix(f.Rule, "pss-") {
			out = append(out, f)
		}
	}
	return out
}

func TestPSSRules(t *testing.T) {
	const compliant = "securityContext:\n  runAsNonRoot: true\n  seccompProfile: {type: RuntimeDefault}\n" +
		"containers:\n- name: app\n  image: x\n  securityContext:\n    allowPrivilegeEscalation: false\n    capabilities: {drop: [ALL]}\n"
	type want struct {
		rule     string
		sev      finding.Severity
		pathTail string // suffix of the path after the pod spec path ("" = the pod spec itself)
		msg      []string
	}
	tests := []struct {
		name    string
		lv      string
		podSpec string
		want    []want // sorted by rule
	}{
		{"compliant restricted", "restricted:latest", compliant, nil},
		{"privileged level judges nothing", "privileged:latest", "hostPID: true\ncontainers:\n- name: app\n  image: x\n  securityContext: {privileged: true}\n", nil},
		{"privileged container", "restricted:latest", strings.Replace(compliant, "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: false\n    privileged: true", 1),
			[]want{{"pss-privileged", finding.SeverityHigh, ".containers[0]",
				[]string{`violates PodSecurity "restricted:latest": privileged (container "app" must not set securityContext.privileged=true) [check privileged]`}}}},
		{"baseline ignores restricted gaps", "baseline:v1.30", "containers:\n- name: app\n  image: x\n", nil},
		{"restricted gaps of one container", "restricted:v1.30", "containers:\n- name: app\n  image: x\n", []want{
			{"pss-allowPrivilegeEscalation", finding.SeverityMedium, ".containers[0]", []string{`"restricted:v1.30"`, `container "app" must set securityContext.allowPrivilegeEscalation=false`}},
			{"pss-capabilities_restricted", finding.SeverityMedium, ".containers[0]", []string{`container "app" must set securityContext.capabilities.drop=["ALL"]`}},
			{"pss-runAsNonRoot", finding.SeverityMedium, ".containers[0]", []string{`pod or container "app" must set securityContext.runAsNonRoot=true`}},
			{"pss-seccompProfile_restricted", finding.SeverityMedium, ".containers[0]", []string{`seccompProfile`}},
		}},
		{"two containers point at the pod spec", "restricted:latest", strings.Replace(compliant, "runAsNonRoot: true\n", "", 1) + "- name: side\n  image: z\n  securityContext:\n    allowPrivilegeEscalation: false\n    capabilities: {drop: [ALL]}\n",
			[]want{{"pss-runAsNonRoot", finding.SeverityMedium, "", []string{`containers "app", "side" must set`}}}},
		{"init container path", "baseline:latest", "initContainers:\n- name: init\n  image: x\n  securityContext:\n    capabilities: {add: [SYS_ADMIN]}\ncontainers:\n- name: app\n  image: x\n",
			[]want{{"pss-capabilities_baseline", finding.SeverityHigh, ".initContainers[0]", []string{`container "init" must not include "SYS_ADMIN"`}}}},
		{"pod-level setting points at the pod spec", "restricted:latest", strings.Replace(compliant, "runAsNonRoot: true", "runAsNonRoot: false", 1),
			[]want{{"pss-runAsNonRoot", finding.SeverityMedium, "", []string{"pod must not set securityContext.runAsNonRoot=false"}}}},
		{"hostPath at baseline", "baseline:latest", "containers:\n- name: app\n  image: x\nvolumes:\n- name: root\n  hostPath: {path: /}\n",
			[]want{{"pss-hostPathVolumes", finding.SeverityHigh, "", []string{`hostPath volumes (volume "root")`}}}},
		{"hostPath at restricted is a baseline violation too", "restricted:latest", compliant + "volumes:\n- name: root\n  hostPath: {path: /}\n",
			[]want{{"pss-restrictedVolumes", finding.SeverityHigh, "", []string{`restricted volume types (volume "root" uses restricted volume type "hostPath")`, "also violates the baseline profile [check hostPathVolumes]"}}}},
		{"nfs at restricted is only a restricted gap", "restricted:latest", compliant + "volumes:\n- name: data\n  nfs: {server: nfs, path: /x}\n",
			[]want{{"pss-restrictedVolumes", finding.SeverityMedium, "", []string{`volume "data" uses restricted volume type "nfs"`}}}},
		{"capabilities_restricted starts at v1.22", "restricted:v1.21", "securityContext:\n  runAsNonRoot: true\n  seccompProfile: {type: RuntimeDefault}\ncontainers:\n- name: app\n  image: x\n  securityContext: {allowPrivilegeEscalation: false}\n", nil},
		{"capabilities_restricted at v1.22", "restricted:v1.22", "securityContext:\n  runAsNonRoot: true\n  seccompProfile: {type: RuntimeDefault}\ncontainers:\n- name: app\n  image: x\n  securityContext: {allowPrivilegeEscalation: false}\n",
			[]want{{"pss-capabilities_restricted", finding.SeverityMedium, ".containers[0]", []string{`"restricted:v1.22"`}}}},
		{"versions past the newest policy judge as latest", "baseline:v1.999", "hostNetwork: true\ncontainers:\n- name: app\n  image: x\n",
			[]want{{"pss-hostNamespaces", finding.SeverityHigh, "", []string{`"baseline:v1.999": host namespaces (hostNetwork=true)`}}}},
	}
	for _, tt := range tests {
		for kind, manifest := range wrap(tt.podSpec) {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				fs := pssFindings(t, pssOpts(t, tt.lv), object(t, manifest))
				sort.Slice(fs, func(i, j int) bool { return fs[i].Rule < fs[j].Rule })
				if len(fs) != len(tt.want) {
					t.Fatalf("got %d findings, want %d: %+v", len(fs), len(tt.want), fs)
				}
				for i, w := range tt.want {
					f := fs[i]
					if f.Rule != w.rule || f.Severity != w.sev {
						t.Errorf("finding %d: %s %v, want %s %v", i, f.Rule, f.Severity, w.rule, w.sev)
					}
					if f.Category != finding.CategoryPodSecurity {
						t.Errorf("category %s", f.Category)
					}
					if !strings.HasSuffix(f.Resource.Path, "spec"+w.pathTail) {
						t.Errorf("%s: path %q, want suffix %q", f.Rule, f.Resource.Path, "spec"+w.pathTail)
					}
					for _, m := range w.msg {
						if !strings.Contains(f.Message, m) {
							t.Errorf("%s: message %q, want it to contain %q", f.Rule, f.Message, m)
						}
					}
				}
			})
		}
	}
}

// TestPSSPodMetadata checks that the pod template's annotations are judged (AppArmor, seccomp).
func TestPSSPodMetadata(t *testing.T) {
	manifest := `apiVersion: batch/v1
kind: CronJob
metadata: {name: x, namespace: ns}
spec:
  schedule: '0 3 * * *'
  jobTemplate:
    spec:
      template:
        metadata:
          annotations:
            container.apparmor.security.beta.kubernetes.io/app: unconfined
        spec:
          containers:
          - name: app
            image: x
`
	fs := pssFindings(t, pssOpts(t, "baseline:latest"), object(t, manifest))
	if len(fs) != 1 || fs[0].Rule != "pss-appArmorProfile" || fs[0].Severity != finding.SeverityHigh {
		t.Fatalf("want one pss-appArmorProfile finding, got %+v", fs)
	}
	if !strings.Contains(fs[0].Message, "unconfined") {
		t.Errorf("message %q does not name the profile", fs[0].Message)
	}
}

// TestPSSRegistration checks that every official check is a documented rule with the right
// severity, and nothing else is.
func TestPSSRegistration(t *testing.T) {
	checks := policy.DefaultChecks()
	ids := map[string]bool{}
	for _, c := range checks {
		id := "pss-" + string(c.ID)
		ids[id] = true
		r := Lookup(id)
		if r == nil {
			t.Errorf("check %s has no rule", c.ID)
			continue
		}
		if _, ok := pssDocs[c.ID]; !ok {
			t.Errorf("check %s is not documented in pssDocs", c.ID)
		}
		want := finding.SeverityHigh
		if c.Level == api.LevelRestricted {
			want = finding.SeverityMedium
		}
		if r.Severity != want || r.Category != finding.CategoryPodSecurity {
			t.Errorf("%s: severity %v category %s, want %v pod-security", id, r.Severity, r.Category, want)
		}
		if !contains(r.Mitigations, "M1026") || !strings.Contains(r.Remediation, pssDocsURL+"#"+string(c.Level)) {
			t.Errorf("%s: mitigations %v remediation %q", id, r.Mitigations, r.Remediation)
		}
	}
	for _, r := range All() {
		if strings.HasPrefix(r.ID, "pss-") && !ids[r.ID] {
			t.Errorf("rule %s is not an official check", r.ID)
		}
	}
	for id := range pssDocs {
		if !ids["pss-"+string(id)] {
			t.Errorf("pssDocs documents %s, which is no default check", id)
		}
	}
}

func TestSingleContainer(t *testing.T) {
	wl := workload.From(object(t, wrap("initContainers:\n- name: init\n  image: x\ncontainers:\n- name: app\n  image: x\n- name: side\n  image: x\n")["Job"]).Obj)
	tests := []struct {
		detail, want string
	}{
		{`container "app" must set securityContext.allowPrivilegeEscalation=false`, "app"},
		{`pod or container "init" must set securityContext.runAsNonRoot=true`, "init"},
		{`containers "app", "side" must set securityContext.allowPrivilegeEscalation=false`, ""},
		{`container "app" must set securityContext.capabilities.drop=["ALL"]; container "app" must not include "NET_RAW" in securityContext.capabilities.add`, "app"},
		{`container "app" must set securityContext.capabilities.drop=["ALL"]; container "side" must not include "NET_RAW" in securityContext.capabilities.add`, ""},
		{`pod and container "app" must not set securityContext.runAsNonRoot=false`, ""},
		{`pod must not set securityContext.runAsNonRoot=false`, ""},
		{`volume "root"`, ""},
		{`container "ghost" must not set securityContext.privileged=true`, ""},
		{`hostNetwork=true`, ""},
		{`container "unterminated`, ""},
	}
	for _, tt := range tests {
		got := ""
		if c, ok := singleContainer(tt.detail, wl); ok {
			got = c.Name
		}
		if got != tt.want {
			t.Errorf("singleContainer(%q) = %q, want %q", tt.detail, got, tt.want)
		}
	}
}

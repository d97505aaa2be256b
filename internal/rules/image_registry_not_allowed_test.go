package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/config"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
)

// evalRuleOpts is evalRule with engine options (a config, a PSS level).
func evalRuleOpts(t testing.TB, opts Options, id string, obj *input.Object, set *input.Set) []finding.Finding {
	t.Helper()
	if Lookup(id) == nil {
		t.Fatalf("rule %q is not registered", id)
	}
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var out []finding.Finding
	for _, f := range e.Evaluate(set, obj) {
		if f.Rule == id {
			out = append(out, f)
		}
	}
	return out
}

func TestImageRegistryNotAllowed(t *testing.T) {
	allowed := []string{"registry.example.com", "ghcr.io/acme", "docker.io/library"}
	tests := []struct {
		name     string
		allowed  []string
		podSpec  string
		want     int
		wantPath string
		wantMsg  string
	}{
		{"no allow list", nil, "containers:\n- name: app\n  image: evil.io/miner:1", 0, "", ""},
		{"allowed host", allowed, "containers:\n- name: app\n  image: registry.example.com/ops/backup:1.2", 0, "", ""},
		{"allowed prefix", allowed, "containers:\n- name: app\n  image: ghcr.io/acme/tool:1", 0, "", ""},
		{"docker library short name", allowed, "containers:\n- name: app\n  image: busybox:1.36", 0, "", ""},
		{"empty image", allowed, "containers:\n- name: app\n  image: ''", 0, "", ""},
		{"other registry", allowed, "containers:\n- name: app\n  image: evil.io/miner:1", 1, "containers[0].image",
			`container "app" image "evil.io/miner:1" comes from "evil.io/miner", which is not in allowedRegistries`},
		{"prefix on component boundary only", allowed, "containers:\n- name: app\n  image: ghcr.io/acmecorp/tool:1", 1, "containers[0].image", `"ghcr.io/acmecorp/tool"`},
		{"lookalike host suffix", allowed, "containers:\n- name: app\n  image: registry.example.com.evil.io/x:1", 1, "containers[0].image", `"registry.example.com.evil.io/x"`},
		{"docker hub user", allowed, "containers:\n- name: app\n  image: someuser/tool:1", 1, "containers[0].image", `"docker.io/someuser/tool"`},
		{"unparsable", allowed, "containers:\n- name: app\n  image: 'Evil Image'", 1, "containers[0].image", "cannot be checked"},
		{"init container", allowed, "initContainers:\n- name: init\n  image: quay.io/x/y:1\ncontainers:\n- name: app\n  image: busybox:1", 1, "initContainers[0].image", `initContainer "init"`},
	}
	for _, tt := range tests {
		for kind, manifest := range wrap(tt.podSpec) {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				opts := Options{Config: &config.Config{AllowedRegistries: tt.allowed}}
				fs := evalRuleOpts(t, opts, "image-registry-not-allowed", object(t, manifest), nil)
				if len(fs) != tt.want {
					t.Fatalf("got %d findings, want %d: %+v", len(fs), tt.want, fs)
				}
				if tt.want == 0 {
					return
				}
				f := fs[0]
				if f.Severity != finding.SeverityMedium {
					t.Errorf("severity %v, want medium", f.Severity)
				}
				if !strings.HasSuffix(f.Resource.Path, tt.wantPath) {
					t.Errorf("path %q, want suffix %q", f.Resource.Path, tt.wantPath)
				}
				if !strings.Contains(f.Message, tt.wantMsg) {
					t.Errorf("message %q, want it to contain %q", f.Message, tt.wantMsg)
				}
			})
		}
	}
}

package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
)

// identitySet builds an input set of the workload and other manifests.
func identitySet(t testing.TB, workload *input.Object, manifests ...string) *input.Set {
	t.Helper()
	objs := []*input.Object{workload}
	for _, m := range manifests {
		objs = append(objs, object(t, m))
	}
	return input.NewSet(objs)
}

func TestIdentityTokenMounted(t *testing.T) {
	saNoMount := "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: backup, namespace: ns}\nautomountServiceAccountToken: false\n"
	saMount := "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: backup, namespace: ns}\n"
	saOtherNS := "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: backup, namespace: other}\nautomountServiceAccountToken: false\n"
	tests := []struct {
		name     string
		podSpec  string
		others   []string
		want     int
		wantPath string
		wantMsg  string
	}{
		{"default service account", "containers:\n- name: app\n  image: x", nil, 0, "", ""},
		{"explicit default", "serviceAccountName: default\ncontainers:\n- name: app\n  image: x", nil, 0, "", ""},
		{"pod opts out", "serviceAccountName: backup\nautomountServiceAccountToken: false\ncontainers:\n- name: app\n  image: x", nil, 0, "", ""},
		{"service account opts out", "serviceAccountName: backup\ncontainers:\n- name: app\n  image: x", []string{saNoMount}, 0, "", ""},
		{"named, nothing said", "serviceAccountName: backup\ncontainers:\n- name: app\n  image: x", nil, 1, ".serviceAccountName",
			`pod runs as service account "ns/backup" with its API token mounted (automountServiceAccountToken is not false)`},
		{"service account says nothing", "serviceAccountName: backup\ncontainers:\n- name: app\n  image: x", []string{saMount}, 1, ".serviceAccountName", `"ns/backup"`},
		{"other namespace's account opts out", "serviceAccountName: backup\ncontainers:\n- name: app\n  image: x", []string{saOtherNS}, 1, ".serviceAccountName", `"ns/backup"`},
		{"pod overrides account", "serviceAccountName: backup\nautomountServiceAccountToken: true\ncontainers:\n- name: app\n  image: x", []string{saNoMount}, 1,
			".automountServiceAccountToken", "automountServiceAccountToken: true"},
		{"deprecated field", "serviceAccount: backup\ncontainers:\n- name: app\n  image: x", nil, 1, ".serviceAccount", `"ns/backup"`},
		{"projected token despite opt-out", "serviceAccountName: backup\nautomountServiceAccountToken: false\ncontainers:\n- name: app\n  image: x\nvolumes:\n- name: cfg\n  configMap: {name: c}\n- name: tok\n  projected:\n    sources:\n    - configMap: {name: c}\n    - serviceAccountToken: {path: token}",
			nil, 1, ".volumes[1].projected.sources[1].serviceAccountToken", `projected volume "tok" mounts a token`},
	}
	for _, tt := range tests {
		for kind, manifest := range wrap(tt.podSpec) {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				obj := object(t, manifest)
				fs := evalRule(t, "identity-token-mounted", obj, identitySet(t, obj, tt.others...))
				if len(fs) != tt.want {
					t.Fatalf("got %d findings, want %d: %+v", len(fs), tt.want, fs)
				}
				if tt.want == 0 {
					return
				}
				f := fs[0]
				if f.Severity != finding.SeverityLow {
					t.Errorf("severity %v, want low", f.Severity)
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

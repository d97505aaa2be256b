package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

func TestDisguiseControlPlaneToleration(t *testing.T) {
	spec := func(tolerations string) string {
		return "tolerations:\n" + tolerations + "\ncontainers:\n- name: app\n  image: registry.example.com/app:1.0"
	}
	tests := []struct {
		name, podSpec string
		paths         []string
		msg           string
	}{
		{"none", "containers:\n- name: app\n  image: busybox", nil, ""},
		{"tolerate everything", spec("- operator: Exists"), []string{"tolerations[0]"}, "toleration {operator: Exists} tolerates every taint"},
		{"every NoSchedule", spec("- {operator: Exists, effect: NoSchedule}"), []string{"tolerations[0]"}, "every NoSchedule taint"},
		{"every NoExecute only", spec("- {operator: Exists, effect: NoExecute}"), nil, ""},
		{"control-plane", spec("- {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}"), []string{"tolerations[0]"},
			"{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule} tolerates the node-role.kubernetes.io/control-plane taint"},
		{"master any effect", spec("- {key: node-role.kubernetes.io/master, operator: Exists}"), []string{"tolerations[0]"}, "node-role.kubernetes.io/master"},
		{"master Equal", spec("- {key: node-role.kubernetes.io/master, effect: NoSchedule}"), []string{"tolerations[0]"}, "operator: Equal"},
		{"control-plane NoExecute only", spec("- {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoExecute}"), nil, ""},
		{"unrelated", spec("- {key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}\n- {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}"), nil, ""},
		{"second of two", spec("- {key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}\n- {key: node-role.kubernetes.io/control-plane, operator: Exists}"), []string{"tolerations[1]"}, "control-plane"},
	}
	for _, tt := range tests {
		for kind, manifest := range wrap(tt.podSpec) {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				fs := evalRule(t, "disguise-control-plane-toleration", object(t, manifest), nil)
				if len(fs) != len(tt.paths) {
					t.Fatalf("got %d findings, want %d: %+v", len(fs), len(tt.paths), fs)
				}
				for i, f := range fs {
					if f.Severity != finding.SeverityMedium || !strings.HasSuffix(f.Resource.Path, "spec."+tt.paths[i]) || !strings.Contains(f.Message, tt.msg) {
						t.Errorf("finding %+v, want medium at %s with %q", f, tt.paths[i], tt.msg)
					}
				}
			})
		}
	}
	// The real kube-proxy tolerates everything by design.
	if fs := evalRule(t, "disguise-control-plane-toleration", object(t, namedManifest("DaemonSet", "kube-proxy", "kube-system", realKubeProxy)), nil); len(fs) != 0 {
		t.Errorf("real kube-proxy: %+v", fs)
	}
}

package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

func TestDisguiseSystemNamespace(t *testing.T) {
	app := "containers:\n- name: app\n  image: registry.example.com/app:1.0"
	tests := []struct {
		name, namespace, objName, podSpec string
		want                              bool
		msg                               string
	}{
		{"kube-system", "kube-system", "helper", app, true, `namespace "kube-system" belongs to the cluster itself`},
		{"kube-public", "kube-public", "helper", app, true, "kube-public"},
		{"kube-node-lease", "kube-node-lease", "helper", app, true, "kube-node-lease"},
		{"calico-system", "calico-system", "helper", app, true, "calico-system"},
		{"tigera-operator", "tigera-operator", "helper", app, true, "tigera-operator"},
		{"openshift prefix", "openshift-monitoring", "helper", app, true, "openshift-*"},
		{"gke prefix", "gke-managed-system", "helper", app, true, "gke-*"},
		{"near-miss kube-system", "kube-systen", "helper", app, true, "near-miss spelling of kube-system"},
		{"no dash", "kubesystem", "helper", app, true, "near-miss spelling of kube-system"},
		{"real kube-proxy", "kube-system", "kube-proxy", realKubeProxy, false, ""},
		{"real coredns", "kube-system", "coredns", "containers:\n- name: coredns\n  image: registry.k8s.io/coredns/coredns:v1.11.3", false, ""},
		{"fake coredns", "kube-system", "coredns", "containers:\n- name: coredns\n  image: docker.io/evil/dns:1", true, `"docker.io/evil/dns:1"`},
		{"user namespace", "ops", "helper", app, false, ""},
		{"default", "default", "helper", app, false, ""},
		{"kube-prefixed user namespace", "kube-monitoring", "helper", app, false, ""},
		{"monitoring", "monitoring", "helper", app, false, ""},
	}
	for _, tt := range tests {
		for _, kind := range []string{"CronJob", "DaemonSet", "Pod"} {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				fs := evalRule(t, "disguise-system-namespace", object(t, namedManifest(kind, tt.objName, tt.namespace, tt.podSpec)), nil)
				if !tt.want {
					if len(fs) != 0 {
						t.Fatalf("unexpected: %+v", fs)
					}
					return
				}
				if len(fs) != 1 {
					t.Fatalf("got %d findings: %+v", len(fs), fs)
				}
				f := fs[0]
				if f.Severity != finding.SeverityLow || f.Resource.Path != "metadata.namespace" ||
					!strings.Contains(f.Message, tt.msg) || !strings.Contains(f.Message, kind+" "+quote(tt.objName)) {
					t.Errorf("finding %+v, want low at metadata.namespace with %q", f, tt.msg)
				}
			})
		}
	}
}

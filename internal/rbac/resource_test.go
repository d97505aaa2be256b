package rbac

import "testing"

func TestParseResource(t *testing.T) {
	tests := []struct {
		arg  string
		want ResourceRef
	}{
		{"cronjobs.batch", ResourceRef{"batch", "cronjobs", ""}},
		{"deployments.apps", ResourceRef{"apps", "deployments", ""}},
		{"deployments.v1.apps", ResourceRef{"apps", "deployments", ""}},
		{"cronjobs.v1beta1.batch", ResourceRef{"batch", "cronjobs", ""}},
		{"pods/exec", ResourceRef{"", "pods", "exec"}},
		{"deployments.apps/scale", ResourceRef{"apps", "deployments", "scale"}},
		{"jobs", ResourceRef{"batch", "jobs", ""}},
		{"job", ResourceRef{"batch", "jobs", ""}},
		{"cj", ResourceRef{"batch", "cronjobs", ""}},
		{"CronJob", ResourceRef{"batch", "cronjobs", ""}},
		{"deploy", ResourceRef{"apps", "deployments", ""}},
		{"ds", ResourceRef{"apps", "daemonsets", ""}},
		{"sts", ResourceRef{"apps", "statefulsets", ""}},
		{"rs", ResourceRef{"apps", "replicasets", ""}},
		{"rc", ResourceRef{"", "replicationcontrollers", ""}},
		{"po", ResourceRef{"", "pods", ""}},
		{"pod/log", ResourceRef{"", "pods", "log"}},
		{"podtemplates", ResourceRef{"", "podtemplates", ""}},
		{"serviceaccounts/token", ResourceRef{"", "serviceaccounts", "token"}},
		{"secrets", ResourceRef{"", "secrets", ""}},
		{"nodes", ResourceRef{"", "nodes", ""}},
		{"clusterrolebindings", ResourceRef{"rbac.authorization.k8s.io", "clusterrolebindings", ""}},
		{"role", ResourceRef{"rbac.authorization.k8s.io", "roles", ""}},
		{"validatingwebhookconfigurations", ResourceRef{"admissionregistration.k8s.io", "validatingwebhookconfigurations", ""}},
		{"mutatingwebhookconfiguration", ResourceRef{"admissionregistration.k8s.io", "mutatingwebhookconfigurations", ""}},
		{"pods.core", ResourceRef{"", "pods", ""}},
		{"pods.v1", ResourceRef{"", "pods", ""}},
		{"widgets", ResourceRef{"", "widgets", ""}},
		{"widgets.example.com", ResourceRef{"example.com", "widgets", ""}},
		// A known name in another group is another resource: keep it as written.
		{"jobs.example.com", ResourceRef{"example.com", "jobs", ""}},
		{"job.example.com", ResourceRef{"example.com", "job", ""}},
		{"deployment.apps", ResourceRef{"apps", "deployments", ""}},
		{"*", ResourceRef{"", "*", ""}},
	}
	for _, tt := range tests {
		got, err := ParseResource(tt.arg)
		if err != nil || got != tt.want {
			t.Errorf("ParseResource(%q) = %+v, %v; want %+v", tt.arg, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "  ", ".batch", "pods.", "pods/", "pods/exec/x", "/exec", "pods..apps", "pods.v1."} {
		if got, err := ParseResource(bad); err == nil {
			t.Errorf("ParseResource(%q) = %+v, want an error", bad, got)
		}
	}
}

func TestResourceRefString(t *testing.T) {
	for _, s := range []string{"cronjobs.batch", "pods/exec", "deployments.apps/scale", "pods"} {
		ref, err := ParseResource(s)
		if err != nil || ref.String() != s {
			t.Errorf("ParseResource(%q).String() = %q, %v", s, ref.String(), err)
		}
	}
	r := ResourceRef{APIGroup: "batch", Resource: "cronjobs"}.Request("create", "ns")
	if r != (Request{Verb: "create", APIGroup: "batch", Resource: "cronjobs", Namespace: "ns"}) {
		t.Errorf("Request = %+v", r)
	}
	if ns, known := (ResourceRef{APIGroup: "batch", Resource: "cronjobs"}).Namespaced(); !ns || !known {
		t.Errorf("cronjobs.batch Namespaced = %v, %v", ns, known)
	}
	if ns, known := (ResourceRef{Resource: "nodes"}).Namespaced(); ns || !known {
		t.Errorf("nodes Namespaced = %v, %v", ns, known)
	}
	if _, known := (ResourceRef{APIGroup: "example.com", Resource: "jobs"}).Namespaced(); known {
		t.Errorf("jobs.example.com is not a known resource")
	}
}

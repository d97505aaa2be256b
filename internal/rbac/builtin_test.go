package rbac

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobguard/jobguard/internal/input"
)

func TestLookupResource(t *testing.T) {
	tests := []struct {
		arg        string
		known      bool
		namespaced bool
	}{
		{"cronjobs.batch", true, true},
		{"cronjobs.batch/status", true, true},
		{"pods/exec", true, true},
		{"pods/ephemeralcontainers", true, true},
		{"nodes/proxy", true, false},
		{"nodes", true, false},
		{"services", true, true},
		{"ingresses.networking.k8s.io", true, true},
		{"validatingwebhookconfigurations", true, false},
		{"users", true, false},
		{"userextras.authentication.k8s.io/scopes", true, false},
		{"serviceaccounts/token", true, true},
		{"widgets", false, false},
		{"widgets.example.com", false, false},
		{"pods/execs", false, true},
		{"jobs.example.com", false, false},
		{"ingresses", false, false}, // core group: no such resource
	}
	for _, tt := range tests {
		ref, err := ParseResource(tt.arg)
		if err != nil {
			t.Fatalf("ParseResource(%q): %v", tt.arg, err)
		}
		info, ok := LookupResource(ref)
		if ok != tt.known || (ok && info.Namespaced != tt.namespaced) {
			t.Errorf("LookupResource(%s) = %+v, %v; want known %v, namespaced %v", ref, info, ok, tt.known, tt.namespaced)
		}
	}
}

func TestSuggestResource(t *testing.T) {
	tests := []struct{ arg, want string }{
		{"ingress", "ingresses.networking.k8s.io"},
		{"service", "services"},
		{"networkpolicy.networking.k8s.io", "networkpolicies.networking.k8s.io"},
		{"pods/execs", "pods/exec"},
		{"pods/Exec", "pods/exec"},
		{"widgets", ""},
		{"pods", ""},
	}
	for _, tt := range tests {
		ref, err := ParseResource(tt.arg)
		if err != nil {
			t.Fatal(err)
		}
		if tt.arg == "pods/Exec" {
			ref.Subresource = "Exec" // ParseResource lower-cases; check the comparison too
		}
		got, ok := SuggestResource(ref)
		if (tt.want == "") != !ok || (ok && got.String() != tt.want) {
			t.Errorf("SuggestResource(%s) = %s, %v; want %q", ref, got, ok, tt.want)
		}
	}
}

func TestKnownVerb(t *testing.T) {
	for _, v := range []string{"create", "escalate", "impersonate", "*", "deletecollection"} {
		if !KnownVerb(v) {
			t.Errorf("KnownVerb(%q) = false", v)
		}
	}
	for _, v := range []string{"crate", "Create", "exec", ""} {
		if KnownVerb(v) {
			t.Errorf("KnownVerb(%q) = true", v)
		}
	}
}

func TestCollect(t *testing.T) {
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "b"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: KindRole, Name: "r"},
		Subjects: []rbacv1.Subject{{Kind: KindServiceAccount, Name: "sa"}}}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "r"}, Rules: []rbacv1.PolicyRule{{Verbs: l("create"), APIGroups: l("batch"), Resources: l("jobs")}}}
	objs := []*input.Object{{Obj: rb}, {Obj: role}, nil, {Obj: "not rbac"}, {Obj: (*rbacv1.ClusterRole)(nil)}}
	o := Collect(objs)
	if o.Len() != 2 {
		t.Fatalf("collected %d objects, want 2", o.Len())
	}
	if rb.Namespace != "" || role.Namespace != "" {
		t.Error("Collect changed its input")
	}
	if o.RoleBindings[0].Namespace != DefaultNamespace || o.Roles[0].Namespace != DefaultNamespace {
		t.Errorf("namespaces %q, %q; want %q", o.RoleBindings[0].Namespace, o.Roles[0].Namespace, DefaultNamespace)
	}
	if o.Source(KindRoleBinding, DefaultNamespace, "b") != objs[0] {
		t.Error("Source does not find the binding")
	}
	m := o.Model(Options{})
	user, groups := ServiceAccountUser(DefaultNamespace, "sa")
	if ok, _ := m.Allows(user, groups, Request{Verb: "create", APIGroup: "batch", Resource: "jobs", Namespace: DefaultNamespace}); !ok {
		t.Error("the defaulted binding grants nothing")
	}
	if len(m.Problems()) != 0 {
		t.Errorf("problems: %v", m.Problems())
	}

	set := input.NewSet(objs[:2])
	if s := CollectSet(set); s.Len() != 2 || s.RoleBindings[0].Namespace != DefaultNamespace {
		t.Errorf("CollectSet: %+v", s)
	}
	if CollectSet(nil).Len() != 0 {
		t.Error("CollectSet(nil) is not empty")
	}
}

package rules

import (
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/rbac"
)

// The cases where a name-by-name reading of RBAC goes wrong and the model does not.
func TestPowerfulServiceAccountAgreesWithWhoCan(t *testing.T) {
	crb := func(name, role, subjects string) string {
		return "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: " + name + "}\n" +
			"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: " + role + "}\nsubjects:\n" + subjects
	}
	rb := func(ns, name, role, subjects string) string {
		return "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: " + name + ns + "}\n" +
			"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: " + role + "}\nsubjects:\n" + subjects
	}
	clusterRole := func(name, labels, extra string) string {
		return "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: " + name + ", labels: {" + labels + "}}\n" + extra
	}
	saBackup := "- {kind: ServiceAccount, name: backup, namespace: ns}\n"
	spec := "serviceAccountName: backup\ncontainers:\n- name: app\n  image: x\n"
	tests := []struct {
		name    string
		rbac    []string
		wantMsg string // "" = no finding
	}{
		{"impersonating users needs a cluster-wide grant", []string{
			rb(", namespace: ns", "imp", "imp", saBackup), clusterRole("imp", "", "rules:\n- {apiGroups: [''], resources: [users], verbs: [impersonate]}\n")}, ""},
		{"escalate on cluster roles needs a cluster-wide grant", []string{
			rb(", namespace: ns", "esc", "esc", saBackup), clusterRole("esc", "", "rules:\n- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate]}\n")}, ""},
		{"bind on cluster roles in the namespace", []string{
			rb(", namespace: ns", "bind", "bind", saBackup), clusterRole("bind", "", "rules:\n- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}\n")},
			`RoleBinding "ns/bind" -> ClusterRole "bind": escalate or bind roles in namespace ns`},
		{"aggregation chains", []string{
			crb("top", "top", saBackup),
			clusterRole("top", "", "aggregationRule:\n  clusterRoleSelectors:\n  - matchLabels: {acme.io/top: 'true'}\n"),
			clusterRole("middle", "acme.io/top: 'true'", "aggregationRule:\n  clusterRoleSelectors:\n  - matchLabels: {acme.io/middle: 'true'}\n"),
			clusterRole("leaf", "acme.io/middle: 'true'", "rules:\n- {apiGroups: [batch], resources: [cronjobs], verbs: [create]}\n")},
			`ClusterRoleBinding "top" -> ClusterRole "top": create or change CronJobs or Jobs cluster-wide`},
		{"cluster-wide grants come first", []string{
			rb(", namespace: ns", "a-edit", "edit", saBackup), crb("z-admin", "cluster-admin", saBackup)},
			`ClusterRoleBinding "z-admin" -> ClusterRole "cluster-admin" (built-in): full control (cluster-admin) cluster-wide (subject ServiceAccount ns/backup); RoleBinding "ns/a-edit"`},
		{"a binding without namespace lands in default", []string{
			rb("", "e", "edit", "- {kind: ServiceAccount, name: backup, namespace: ns}\n")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := object(t, wrap(spec)["Deployment"])
			set := identitySet(t, obj, tt.rbac...)
			fs := evalRule(t, "identity-powerful-service-account", obj, set)
			if tt.wantMsg == "" {
				if len(fs) != 0 {
					t.Fatalf("want no finding, got %q", fs[0].Message)
				}
			} else if len(fs) != 1 || !strings.Contains(fs[0].Message, tt.wantMsg) {
				t.Fatalf("got %+v, want a message containing %q", fs, tt.wantMsg)
			}
			// who-can on the same set must list the account (or one of its groups) exactly when the
			// rule finds a binding.
			v := rbacViewOf(set)
			listed := false
			for _, req := range powerRequests {
				if req.Namespace == namespaceOfAccount {
					req.Namespace = "ns"
				}
				for _, a := range v.model.WhoCan(req) {
					if a.Namespace != "" && a.Namespace != req.Namespace {
						continue
					}
					switch s := a.Subject; {
					case s.Kind == rbac.KindServiceAccount && s.Namespace == "ns" && s.Name == "backup",
						s.Kind == rbac.KindGroup && (s.Name == "system:serviceaccounts" || s.Name == "system:serviceaccounts:ns" || s.Name == "system:authenticated"):
						listed = true
					}
				}
			}
			if listed != (tt.wantMsg != "") {
				t.Errorf("who-can lists the account: %v; the rule found: %v", listed, tt.wantMsg != "")
			}
		})
	}
}

func TestRBACViewCache(t *testing.T) {
	role := "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: []\n"
	set := input.NewSet([]*input.Object{object(t, role)})
	v1 := rbacViewOf(set)
	if v2 := rbacViewOf(set); v2 != v1 {
		t.Error("the view is rebuilt for the same set")
	}
	if !v1.builtin["cluster-admin"] || v1.builtin["r"] {
		t.Errorf("builtin roles %v", v1.builtin)
	}
	set.Add(object(t, "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}\nsubjects:\n- {kind: User, name: u}\n"))
	if v3 := rbacViewOf(set); v3 == v1 || v3.n != 2 {
		t.Error("the view is not rebuilt after an RBAC object was added")
	}

	// The cache forgets a set once it is garbage collected.
	other := input.NewSet([]*input.Object{object(t, role)})
	rbacViewOf(other)
	key := weak.Make(other)
	other = nil
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		if _, ok := rbacViews.Load(key); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the view of a collected set is still cached")
		}
		time.Sleep(10 * time.Millisecond)
	}
	runtime.KeepAlive(set)
}

package rules

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/workload"
)

// This file is the identity rules' small view of RBAC: which bindings of the input give a service
// account a powerful role. serviceAccountPower is the one entry point, so a fuller RBAC model can
// replace it without touching the rules.

// grant is one binding that gives a service account a powerful role.
type grant struct {
	// BindingKind is RoleBinding or ClusterRoleBinding; BindingNamespace is "" for the latter.
	BindingKind, BindingNamespace, BindingName string
	// Subject is how the binding names the account ("ServiceAccount ns/name", "Group system:serviceaccounts").
	Subject string
	// RoleKind is Role or ClusterRole.
	RoleKind, RoleName string
	// Power says what the role allows, e.g. "full control of the cluster (cluster-admin)".
	Power string
	// Builtin is set when the role was judged from Kubernetes' default definition because the input
	// does not hold it.
	Builtin bool
}

// Scope returns where the grant applies: "cluster-wide" or "in namespace x".
func (g grant) Scope() string {
	if g.BindingKind == "ClusterRoleBinding" {
		return "cluster-wide"
	}
	return "in namespace " + g.BindingNamespace
}

// String names the chain: `ClusterRoleBinding "ops" -> ClusterRole "cluster-admin" (full control ...)`.
func (g grant) String() string {
	b := g.BindingKind + " " + quote(bindingName(g.BindingNamespace, g.BindingName)) + " -> " + g.RoleKind + " " + quote(g.RoleName)
	if g.Builtin {
		b += " (built-in)"
	}
	return b + ": " + g.Power + " " + g.Scope()
}

func bindingName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// serviceAccountPower returns the bindings of set that give the service account namespace/name a
// powerful role: cluster-admin, a rule with verbs and resources "*", creating or changing
// workloads, reading Secrets, exec into pods, minting tokens, or escalate/bind/impersonate. Roles the
// input does not hold are judged only when they are Kubernetes defaults (cluster-admin, admin,
// edit). Rules restricted by resourceNames and non-resource URLs are not counted.
func serviceAccountPower(set *input.Set, namespace, name string) []grant {
	if set == nil {
		return nil
	}
	var out []grant
	for _, rb := range set.RoleBindings {
		ns := orDefault(rb.Namespace)
		if ns != namespace {
			continue // a RoleBinding grants only in its own namespace
		}
		subj := subjectFor(rb.Subjects, ns, namespace, name)
		if subj == "" {
			continue
		}
		g := grant{BindingKind: "RoleBinding", BindingNamespace: ns, BindingName: rb.Name, Subject: subj,
			RoleKind: rb.RoleRef.Kind, RoleName: rb.RoleRef.Name}
		if judgeRole(set, &g, ns) {
			out = append(out, g)
		}
	}
	for _, crb := range set.ClusterRoleBindings {
		if crb.RoleRef.Kind != "ClusterRole" {
			continue
		}
		subj := subjectFor(crb.Subjects, "", namespace, name)
		if subj == "" {
			continue
		}
		g := grant{BindingKind: "ClusterRoleBinding", BindingName: crb.Name, Subject: subj, RoleKind: "ClusterRole", RoleName: crb.RoleRef.Name}
		if judgeRole(set, &g, "") {
			out = append(out, g)
		}
	}
	return out
}

// orDefault returns the namespace a namespaced object without one lands in.
func orDefault(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

// subjectFor returns how subjects name the service account namespace/name, or "". bindingNS is
// the RoleBinding's namespace, which a ServiceAccount subject without namespace defaults to.
func subjectFor(subjects []rbacv1.Subject, bindingNS, namespace, name string) string {
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			ns := s.Namespace
			if ns == "" {
				ns = bindingNS
			}
			if ns == namespace && s.Name == name {
				return "ServiceAccount " + namespace + "/" + name
			}
		case rbacv1.UserKind:
			if s.Name == "system:serviceaccount:"+namespace+":"+name {
				return "User " + s.Name
			}
		case rbacv1.GroupKind:
			switch s.Name {
			case "system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated":
				return "Group " + s.Name
			}
		}
	}
	return ""
}

// judgeRole fills g.Power when the role g names is powerful. ns is the namespace of a Role.
func judgeRole(set *input.Set, g *grant, ns string) bool {
	switch g.RoleKind {
	case "Role":
		for _, r := range set.Roles {
			if r.Name == g.RoleName && orDefault(r.Namespace) == ns {
				g.Power = rulesPower(r.Rules)
				return g.Power != ""
			}
		}
	case "ClusterRole":
		for _, r := range set.ClusterRoles {
			if r.Name == g.RoleName {
				g.Power = rulesPower(clusterRoleRules(set, r))
				return g.Power != ""
			}
		}
		if power := builtinClusterRoles[g.RoleName]; power != "" {
			g.Power, g.Builtin = power, true
			return true
		}
	}
	return false
}

// clusterRoleRules returns a ClusterRole's rules, with those of the ClusterRoles it aggregates when
// it has an aggregationRule (the controller fills them in on a live cluster; manifests leave them
// empty).
func clusterRoleRules(set *input.Set, cr *rbacv1.ClusterRole) []rbacv1.PolicyRule {
	if cr.AggregationRule == nil || len(cr.AggregationRule.ClusterRoleSelectors) == 0 {
		return cr.Rules
	}
	rules := append([]rbacv1.PolicyRule(nil), cr.Rules...)
	for i := range cr.AggregationRule.ClusterRoleSelectors {
		sel, err := metav1.LabelSelectorAsSelector(&cr.AggregationRule.ClusterRoleSelectors[i])
		if err != nil || sel.Empty() {
			continue
		}
		for _, other := range set.ClusterRoles {
			if other != cr && sel.Matches(labels.Set(other.Labels)) {
				rules = append(rules, other.Rules...)
			}
		}
	}
	return rules
}

// builtinClusterRoles are Kubernetes' default ClusterRoles that give power, judged by their
// default definition when the input does not hold them.
var builtinClusterRoles = map[string]string{
	"cluster-admin": "full control (cluster-admin)",
	"admin":         "create and change workloads, read Secrets and exec into pods (admin)",
	"edit":          "create and change workloads, read Secrets and exec into pods (edit)",
}

// powerCheck is one kind of access that gives a service account takeover power.
type powerCheck struct {
	what  string
	group string
	res   []string
	verbs []string
}

var powerChecks = []powerCheck{
	{what: "create or change Pods", group: "", res: []string{"pods"}, verbs: []string{"create", "update", "patch"}},
	{what: "create or change CronJobs or Jobs", group: "batch", res: []string{"cronjobs", "jobs"}, verbs: []string{"create", "update", "patch"}},
	{what: "create or change Deployments, DaemonSets, StatefulSets or ReplicaSets", group: "apps",
		res: []string{"daemonsets", "deployments", "statefulsets", "replicasets"}, verbs: []string{"create", "update", "patch"}},
	{what: "create or change ReplicationControllers", group: "", res: []string{"replicationcontrollers"}, verbs: []string{"create", "update", "patch"}},
	{what: "exec into Pods", group: "", res: []string{"pods/exec", "pods/attach"}, verbs: []string{"create"}},
	{what: "read Secrets", group: "", res: []string{"secrets"}, verbs: []string{"get", "list", "watch"}},
	{what: "mint service account tokens", group: "", res: []string{"serviceaccounts/token"}, verbs: []string{"create"}},
	{what: "escalate or bind roles", group: "rbac.authorization.k8s.io", res: []string{"roles", "clusterroles"}, verbs: []string{"escalate", "bind"}},
	{what: "impersonate", group: "", res: []string{"users", "groups", "serviceaccounts"}, verbs: []string{"impersonate"}},
}

// rulesPower says what powerful access rules give, or "".
func rulesPower(rules []rbacv1.PolicyRule) string {
	for i := range rules {
		r := &rules[i]
		if len(r.ResourceNames) == 0 && contains(r.Verbs, "*") && contains(r.Resources, "*") {
			if contains(r.APIGroups, "*") {
				return "full control (verbs * on resources * in all API groups)"
			}
			return "every verb on every resource of API groups " + quote(strings.Join(r.APIGroups, ","))
		}
	}
	var found []string
	for _, c := range powerChecks {
		if rulesAllowAny(rules, c.group, c.res, c.verbs) {
			found = append(found, c.what)
		}
	}
	return strings.Join(found, ", ")
}

// rulesAllowAny reports whether a rule allows one of verbs on one of resources of group.
func rulesAllowAny(rules []rbacv1.PolicyRule, group string, resources, verbs []string) bool {
	for i := range rules {
		r := &rules[i]
		if len(r.ResourceNames) > 0 || !(contains(r.APIGroups, "*") || contains(r.APIGroups, group)) {
			continue
		}
		for _, res := range resources {
			if !resourceMatches(r.Resources, res) {
				continue
			}
			for _, v := range verbs {
				if contains(r.Verbs, "*") || contains(r.Verbs, v) {
					return true
				}
			}
		}
	}
	return false
}

// resourceMatches reports whether a rule's resources cover res ("pods" or "pods/exec"), with the
// wildcards "*" and "*/subresource".
func resourceMatches(ruleRes []string, res string) bool {
	for _, r := range ruleRes {
		if r == "*" || r == res {
			return true
		}
		if i := strings.IndexByte(res, '/'); i >= 0 && r == "*"+res[i:] {
			return true
		}
	}
	return false
}

// tokenMount says whether the pod gets an API token for its service account and where that is
// decided: "" when it does not. The pod's automountServiceAccountToken wins over the
// ServiceAccount's; a projected serviceAccountToken volume mounts a token either way.
func tokenMount(set *input.Set, w *workload.Workload) (mounted bool, path, why string) {
	spec := w.PodSpec
	for i := range spec.Volumes {
		if p := spec.Volumes[i].Projected; p != nil {
			for j := range p.Sources {
				if p.Sources[j].ServiceAccountToken != nil {
					return true, w.SpecPath + ".volumes[" + strconv.Itoa(i) + "].projected.sources[" + strconv.Itoa(j) + "].serviceAccountToken",
						"projected volume " + quote(spec.Volumes[i].Name) + " mounts a token"
				}
			}
		}
	}
	if a := spec.AutomountServiceAccountToken; a != nil {
		if *a {
			return true, w.SpecPath + ".automountServiceAccountToken", "automountServiceAccountToken: true"
		}
		return false, w.SpecPath + ".automountServiceAccountToken", "automountServiceAccountToken: false"
	}
	if sa := findServiceAccount(set, w.Namespace(), w.ServiceAccount()); sa != nil && sa.AutomountServiceAccountToken != nil && !*sa.AutomountServiceAccountToken {
		return false, "", "the ServiceAccount sets automountServiceAccountToken: false"
	}
	return true, "", "automountServiceAccountToken is not false"
}

// findServiceAccount returns the ServiceAccount namespace/name of the input, or nil.
func findServiceAccount(set *input.Set, namespace, name string) *corev1.ServiceAccount {
	if set == nil {
		return nil
	}
	for _, sa := range set.ServiceAccounts {
		if sa.Name == name && orDefault(sa.Namespace) == namespace {
			return sa
		}
	}
	return nil
}

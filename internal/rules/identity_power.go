package rules

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/rbac"
	"github.com/jobguard/jobguard/internal/workload"
)

// This file is the identity rules' view of RBAC: which bindings of the input give a service
// account a powerful role. serviceAccountPower is the one entry point; it asks the model of
// internal/rbac (built once per input set, see rbac_model.go) that `jobguard who-can` and
// `jobguard rbac review` answer with, so scan and they agree.

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
// workloads, reading Secrets, exec into pods, minting tokens, or escalate/bind/impersonate. The
// bindings are judged by the RBAC model that `jobguard who-can` answers with (aggregated
// ClusterRoles resolved, the account's groups included), ClusterRoleBindings first, each in input
// order. Roles the input does not hold are judged only when they are the API server's defaults
// (rbac.DefaultClusterRoles: cluster-admin, admin, edit, the controllers' roles ...). Rules
// restricted by resourceNames and non-resource URLs are not counted.
// Workloads share service accounts, so the answer is kept per account; callers must not modify it.
func serviceAccountPower(set *input.Set, namespace, name string) []grant {
	if set == nil {
		return nil
	}
	v := rbacViewOf(set)
	key := namespace + "/" + name
	if g, ok := v.powers.Load(key); ok {
		return g.([]grant)
	}
	g := v.serviceAccountPower(namespace, name)
	v.powers.Store(key, g)
	return g
}

func (v *rbacView) serviceAccountPower(namespace, name string) []grant {
	user, groups := rbac.ServiceAccountUser(namespace, name)

	type found struct {
		g     grant
		rules []rbacv1.PolicyRule
		seen  map[int]bool
	}
	byBinding := map[string]*found{}
	var list []*found
	for _, req := range powerRequests {
		if req.Namespace == namespaceOfAccount {
			req.Namespace = namespace
		}
		_, grants := v.model.Allows(user, groups, req)
		for _, g := range grants {
			key := bindingKey(g.BindingKind, g.BindingNamespace, g.Binding)
			f := byBinding[key]
			if f == nil {
				f = &found{seen: map[int]bool{}, g: grant{BindingKind: g.BindingKind, BindingNamespace: g.BindingNamespace, BindingName: g.Binding,
					Subject: g.Subject.String(), RoleKind: g.RoleKind, RoleName: g.Role,
					Builtin: g.RoleKind == rbac.KindClusterRole && v.builtin[g.Role]}}
				byBinding[key] = f
				list = append(list, f)
			}
			if !f.seen[g.RuleIndex] {
				f.seen[g.RuleIndex] = true
				f.rules = append(f.rules, *g.Rule)
			}
		}
	}
	slices.SortFunc(list, func(a, b *found) int {
		return cmp.Compare(v.order[bindingKey(a.g.BindingKind, a.g.BindingNamespace, a.g.BindingName)],
			v.order[bindingKey(b.g.BindingKind, b.g.BindingNamespace, b.g.BindingName)])
	})
	out := make([]grant, 0, len(list))
	for _, f := range list {
		if p, ok := builtinClusterRoles[f.g.RoleName]; ok && f.g.Builtin {
			f.g.Power = p
		} else {
			f.g.Power = rulesPower(f.rules)
		}
		if f.g.Power != "" {
			out = append(out, f.g)
		}
	}
	return out
}

// namespaceOfAccount stands for the service account's namespace in powerRequests.
const namespaceOfAccount = "\x00account"

// powerRequests are the requests of powerChecks, as the API server's authorizer sees them: in the
// service account's namespace, except for cluster-scoped ones (impersonating users and groups,
// escalating ClusterRoles; binding a ClusterRole is asked in the namespace of the RoleBinding).
var powerRequests = func() []rbac.Request {
	clusterScoped := map[string]bool{"impersonate users": true, "impersonate groups": true, "escalate clusterroles": true}
	var out []rbac.Request
	for _, c := range powerChecks {
		for _, res := range c.res {
			resource, sub, _ := strings.Cut(res, "/")
			for _, verb := range c.verbs {
				r := rbac.Request{Verb: verb, APIGroup: c.group, Resource: resource, Subresource: sub, Namespace: namespaceOfAccount}
				if clusterScoped[verb+" "+res] {
					r.Namespace = ""
				}
				out = append(out, r)
			}
		}
	}
	return out
}()

// orDefault returns the namespace a namespaced object without one lands in.
func orDefault(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
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

package rbac

import (
	"fmt"
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Problem is something in the RBAC objects that keeps them from granting what they seem to, or
// that the API server would reject: a binding to a role that does not exist, a rule without verbs,
// a singular resource name, a subject that matches nobody.
type Problem struct {
	Kind      string // Role, ClusterRole, RoleBinding or ClusterRoleBinding
	Namespace string
	Name      string
	Field     string // e.g. "roleRef", "rules[2].verbs", "subjects[0].namespace"; "" for the object
	Message   string
}

// String renders p as `RoleBinding ns/name: roleRef: Role "x" does not exist in namespace "ns"`.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Kind)
	b.WriteByte(' ')
	if p.Namespace != "" {
		b.WriteString(p.Namespace)
		b.WriteByte('/')
	}
	b.WriteString(p.Name)
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems returns what NewModel found wrong, in the order found (roles, aggregation, bindings).
func (m *Model) Problems() []Problem {
	return append([]Problem(nil), m.problems...)
}

func (m *Model) problem(kind, namespace, name, field, format string, args ...any) {
	m.problems = append(m.problems, Problem{Kind: kind, Namespace: namespace, Name: name, Field: field,
		Message: fmt.Sprintf(format, args...)})
}

// checkRules reports rules that can never match, or match less than they seem to.
func (m *Model) checkRules(kind, namespace, name string, rules []rbacv1.PolicyRule, namespaced bool) {
	for i := range rules {
		r := &rules[i]
		field := "rules[" + strconv.Itoa(i) + "]"
		if len(r.Verbs) == 0 {
			m.problem(kind, namespace, name, field+".verbs", "rule has no verbs: it grants nothing (and the API server rejects it)")
		}
		if len(r.NonResourceURLs) > 0 {
			if namespaced {
				m.problem(kind, namespace, name, field+".nonResourceURLs", "a Role cannot grant non-resource URLs (the API server rejects it)")
			}
			if len(r.APIGroups)+len(r.Resources)+len(r.ResourceNames) > 0 {
				m.problem(kind, namespace, name, field, "rule mixes nonResourceURLs with apiGroups, resources or resourceNames (the API server rejects it)")
			}
			for _, u := range r.NonResourceURLs {
				if u != rbacv1.NonResourceAll && !strings.HasPrefix(u, "/") {
					m.problem(kind, namespace, name, field+".nonResourceURLs", "%q does not start with \"/\" and matches no request path", u)
				}
			}
			continue
		}
		if len(r.APIGroups) == 0 {
			m.problem(kind, namespace, name, field+".apiGroups", "resource rule has no apiGroups and grants nothing")
		}
		if len(r.Resources) == 0 {
			m.problem(kind, namespace, name, field+".resources", "resource rule has no resources and grants nothing")
		}
		for _, res := range r.Resources {
			base, _, _ := strings.Cut(res, "/")
			switch {
			case pluralOf(base) != "" && hasGroupFor(r.APIGroups, knownResources[base].group):
				m.problem(kind, namespace, name, field+".resources", "%q is a singular or short name: the API server matches plural resource names only (%q)", res, pluralOf(base)+res[len(base):])
			case strings.ToLower(res) != res:
				m.problem(kind, namespace, name, field+".resources", "%q has upper case letters: resource names are lower case, so it matches nothing", res)
			}
		}
		for _, g := range r.APIGroups {
			if g == "core" || g == "v1" {
				m.problem(kind, namespace, name, field+".apiGroups", "API group %q does not exist: the core group is \"\"", g)
			}
		}
		for _, res := range r.Resources {
			if k, ok := knownResources[res]; ok && k.plural == res && builtinGroupsOnly(r.APIGroups) && !hasGroupFor(r.APIGroups, k.group) {
				m.problem(kind, namespace, name, field+".apiGroups", "%q is in API group %q, which the rule does not list, so it grants nothing on it", res, k.group)
			}
		}
	}
}

func hasGroupFor(groups []string, group string) bool {
	for _, g := range groups {
		if g == group || g == rbacv1.APIGroupAll {
			return true
		}
	}
	return false
}

// builtinGroupsOnly reports whether every group is one of the known kinds' groups, so a known
// resource name in the rule cannot be a custom resource of the same name.
func builtinGroupsOnly(groups []string) bool {
	for _, g := range groups {
		if !builtinGroups[g] {
			return false
		}
	}
	return true
}

var builtinGroups = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range knownResources {
		m[k.group] = true
	}
	return m
}()

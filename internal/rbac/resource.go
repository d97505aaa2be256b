package rbac

import (
	"fmt"
	"strings"
)

// ResourceRef is a resource named on a command line: API group, plural resource and optional
// subresource, exactly as the API server's authorizer sees them.
type ResourceRef struct {
	APIGroup    string
	Resource    string
	Subresource string
}

// String renders r the kubectl way: "cronjobs.batch", "pods/exec", "deployments.apps/scale".
func (r ResourceRef) String() string {
	s := r.Resource
	if r.APIGroup != "" {
		s += "." + r.APIGroup
	}
	if r.Subresource != "" {
		s += "/" + r.Subresource
	}
	return s
}

// Request returns a resource request for verb on r in namespace ("" = cluster-wide).
func (r ResourceRef) Request(verb, namespace string) Request {
	return Request{Verb: verb, APIGroup: r.APIGroup, Resource: r.Resource, Subresource: r.Subresource, Namespace: namespace}
}

// knownResource is a resource of the workload and RBAC kinds jobguard cares about.
type knownResource struct {
	group, plural string
	namespaced    bool
}

// knownResources maps every accepted spelling (plural, singular, short name) to the resource.
var knownResources = func() map[string]knownResource {
	table := []struct {
		group, plural string
		namespaced    bool
		aliases       []string
	}{
		{"batch", "cronjobs", true, []string{"cronjob", "cj"}},
		{"batch", "jobs", true, []string{"job"}},
		{"apps", "deployments", true, []string{"deployment", "deploy"}},
		{"apps", "daemonsets", true, []string{"daemonset", "ds"}},
		{"apps", "statefulsets", true, []string{"statefulset", "sts"}},
		{"apps", "replicasets", true, []string{"replicaset", "rs"}},
		{"", "pods", true, []string{"pod", "po"}},
		{"", "podtemplates", true, []string{"podtemplate"}},
		{"", "replicationcontrollers", true, []string{"replicationcontroller", "rc"}},
		{"", "serviceaccounts", true, []string{"serviceaccount", "sa"}},
		{"", "secrets", true, []string{"secret"}},
		{"", "configmaps", true, []string{"configmap", "cm"}},
		{"", "nodes", false, []string{"node", "no"}},
		{"", "namespaces", false, []string{"namespace", "ns"}},
		{"rbac.authorization.k8s.io", "roles", true, []string{"role"}},
		{"rbac.authorization.k8s.io", "clusterroles", false, []string{"clusterrole"}},
		{"rbac.authorization.k8s.io", "rolebindings", true, []string{"rolebinding"}},
		{"rbac.authorization.k8s.io", "clusterrolebindings", false, []string{"clusterrolebinding"}},
		{"admissionregistration.k8s.io", "validatingwebhookconfigurations", false, []string{"validatingwebhookconfiguration"}},
		{"admissionregistration.k8s.io", "mutatingwebhookconfigurations", false, []string{"mutatingwebhookconfiguration"}},
	}
	m := make(map[string]knownResource, 3*len(table))
	for _, t := range table {
		k := knownResource{group: t.group, plural: t.plural, namespaced: t.namespaced}
		m[t.plural] = k
		for _, a := range t.aliases {
			m[a] = k
		}
	}
	return m
}()

// ParseResource parses a resource argument the kubectl way:
//
//	"cronjobs.batch"       -> group "batch", resource "cronjobs"
//	"deployments.v1.apps"  -> group "apps", resource "deployments" (the version is dropped)
//	"pods/exec"            -> group "", resource "pods", subresource "exec"
//	"cj", "cronjob", "jobs"-> the plural, with the group of the known workload and RBAC kinds
//
// Singular and short names of the known kinds become their plural, because the API server matches
// plural resource names only. An unknown resource without a group is in the core group "". The
// group "core" is accepted for "". Names are lower-cased like kubectl does.
func ParseResource(arg string) (ResourceRef, error) {
	s := strings.ToLower(strings.TrimSpace(arg))
	if s == "" {
		return ResourceRef{}, fmt.Errorf("empty resource")
	}
	var ref ResourceRef
	if i := strings.IndexByte(s, '/'); i >= 0 {
		ref.Subresource = s[i+1:]
		s = s[:i]
		if ref.Subresource == "" || strings.ContainsRune(ref.Subresource, '/') {
			return ResourceRef{}, fmt.Errorf("resource %q: want RESOURCE[.GROUP][/SUBRESOURCE]", arg)
		}
	}
	group, explicit := "", false
	if i := strings.IndexByte(s, '.'); i >= 0 {
		group, explicit = s[i+1:], true
		s = s[:i]
		if v, rest, ok := strings.Cut(group, "."); ok && isVersion(v) {
			group = rest
		} else if isVersion(group) {
			// "pods.v1": a version without a group.
			group, explicit = "", false
		}
		if explicit {
			if group == "" || strings.HasPrefix(group, ".") || strings.HasSuffix(group, ".") || strings.Contains(group, "..") {
				return ResourceRef{}, fmt.Errorf("resource %q: empty API group", arg)
			}
			if group == "core" {
				group = ""
			}
		}
	}
	if s == "" {
		return ResourceRef{}, fmt.Errorf("resource %q: empty resource name", arg)
	}
	ref.Resource = s
	if k, ok := knownResources[s]; ok && (!explicit || k.group == group) {
		ref.Resource = k.plural
		group = k.group
	}
	ref.APIGroup = group
	return ref, nil
}

// isVersion reports whether s looks like a Kubernetes API version: v1, v2beta1, v1alpha3.
func isVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' || s[1] < '1' || s[1] > '9' {
		return false
	}
	i := 2
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == len(s) {
		return true
	}
	rest := s[i:]
	for _, q := range []string{"alpha", "beta"} {
		if strings.HasPrefix(rest, q) {
			n := rest[len(q):]
			if n == "" {
				return false
			}
			for j := 0; j < len(n); j++ {
				if n[j] < '0' || n[j] > '9' {
					return false
				}
			}
			return true
		}
	}
	return false
}

// Namespaced reports whether r is a namespaced resource, for the known kinds only (known is false
// for other resources). Bindings in a namespace never grant access to cluster-scoped resources.
func (r ResourceRef) Namespaced() (namespaced, known bool) {
	k, ok := knownResources[r.Resource]
	if !ok || k.plural != r.Resource || k.group != r.APIGroup {
		return false, false
	}
	return k.namespaced, true
}

// pluralOf returns the plural of a known singular or short resource name, or "" when name is a
// plural or unknown.
func pluralOf(name string) string {
	if k, ok := knownResources[name]; ok && k.plural != name {
		return k.plural
	}
	return ""
}

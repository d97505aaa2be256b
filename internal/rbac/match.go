package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Request is what a caller asks to do, in the terms of the API server's authorizer (the attributes
// of a SubjectAccessReview).
//
// A request is a non-resource request when NonResourceURL is set; then only Verb and
// NonResourceURL count, and Namespace is ignored: non-resource requests are never namespaced, so
// only ClusterRoleBindings grant them.
//
// For a resource request, Namespace "" is a cluster-wide request (for a cluster-scoped resource, or
// across all namespaces), which only ClusterRoleBindings grant. Name is the object's name as the API
// server would see it: requests to create an object, list objects or delete a collection carry no
// name (a list or watch does when its field selector pins metadata.name), so rules restricted by
// resourceNames never grant them.
type Request struct {
	Verb        string
	APIGroup    string
	Resource    string
	Subresource string
	Name        string
	Namespace   string

	NonResourceURL string
}

// IsResourceRequest reports whether r is a request on an API resource rather than a URL path.
func (r Request) IsResourceRequest() bool { return r.NonResourceURL == "" }

// String renders r for messages: `create cronjobs.batch in namespace "ns"`.
func (r Request) String() string {
	if !r.IsResourceRequest() {
		return r.Verb + " " + r.NonResourceURL
	}
	s := r.Verb + " " + ResourceRef{APIGroup: r.APIGroup, Resource: r.Resource, Subresource: r.Subresource}.String()
	if r.Name != "" {
		s += ` named "` + r.Name + `"`
	}
	if r.Namespace != "" {
		s += ` in namespace "` + r.Namespace + `"`
	} else {
		s += " cluster-wide"
	}
	return s
}

// RuleAllows reports whether rule grants req, with the API server's RBAC matching: every
// comparison is exact and case-sensitive; "*" in verbs, apiGroups, resources or nonResourceURLs
// matches everything; a resource "R/S" matches the subresource S of R only and "*/S" the
// subresource S of every resource (a rule for "R" does not grant "R/S", nor the reverse); empty
// resourceNames match every name, otherwise the request's name must be listed (an unnamed request
// matches only a listed ""); a nonResourceURL ending in "*" matches every path with that prefix.
// Singular or short resource names in a rule ("cronjob", "cj") match nothing the API server asks,
// since it asks in plurals.
func RuleAllows(rule *rbacv1.PolicyRule, req *Request) bool {
	if !verbMatches(rule, req.Verb) {
		return false
	}
	if !req.IsResourceRequest() {
		return nonResourceURLMatches(rule, req.NonResourceURL)
	}
	return apiGroupMatches(rule, req.APIGroup) &&
		resourceMatches(rule, req.Resource, req.Subresource) &&
		resourceNameMatches(rule, req.Name)
}

func verbMatches(rule *rbacv1.PolicyRule, verb string) bool {
	for _, v := range rule.Verbs {
		if v == rbacv1.VerbAll || v == verb {
			return true
		}
	}
	return false
}

func apiGroupMatches(rule *rbacv1.PolicyRule, group string) bool {
	for _, g := range rule.APIGroups {
		if g == rbacv1.APIGroupAll || g == group {
			return true
		}
	}
	return false
}

// resourceMatches compares without building "resource/subresource" strings.
func resourceMatches(rule *rbacv1.PolicyRule, resource, subresource string) bool {
	for _, r := range rule.Resources {
		switch {
		case r == rbacv1.ResourceAll:
			return true
		case subresource == "":
			if r == resource {
				return true
			}
		case isCombined(r, resource, subresource), isCombined(r, "*", subresource):
			return true
		}
	}
	return false
}

// isCombined reports whether s == resource + "/" + subresource.
func isCombined(s, resource, subresource string) bool {
	return len(s) == len(resource)+1+len(subresource) &&
		s[len(resource)] == '/' &&
		strings.HasPrefix(s, resource) &&
		strings.HasSuffix(s, subresource)
}

func resourceNameMatches(rule *rbacv1.PolicyRule, name string) bool {
	if len(rule.ResourceNames) == 0 {
		return true
	}
	for _, n := range rule.ResourceNames {
		if n == name {
			return true
		}
	}
	return false
}

func nonResourceURLMatches(rule *rbacv1.PolicyRule, url string) bool {
	for _, u := range rule.NonResourceURLs {
		if u == rbacv1.NonResourceAll || u == url {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(url, strings.TrimRight(u, "*")) {
			return true
		}
	}
	return false
}

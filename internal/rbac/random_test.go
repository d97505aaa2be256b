package rbac

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// refRuleAllows is the authorizer's rule check written the plain way, building
// "resource/subresource" strings, to cross-check RuleAllows.
func refRuleAllows(r *rbacv1.PolicyRule, req *Request) bool {
	if !slices.Contains(r.Verbs, "*") && !slices.Contains(r.Verbs, req.Verb) {
		return false
	}
	if req.NonResourceURL != "" {
		for _, u := range r.NonResourceURLs {
			if u == "*" || u == req.NonResourceURL || strings.HasSuffix(u, "*") && strings.HasPrefix(req.NonResourceURL, strings.TrimRight(u, "*")) {
				return true
			}
		}
		return false
	}
	if !slices.Contains(r.APIGroups, "*") && !slices.Contains(r.APIGroups, req.APIGroup) {
		return false
	}
	combined := req.Resource
	if req.Subresource != "" {
		combined += "/" + req.Subresource
	}
	res := false
	for _, x := range r.Resources {
		if x == "*" || x == combined || req.Subresource != "" && x == "*/"+req.Subresource {
			res = true
		}
	}
	return res && (len(r.ResourceNames) == 0 || slices.Contains(r.ResourceNames, req.Name))
}

// refAllows walks every binding like the authorizer, with the roles' stored rules.
func refAllows(c *Config, id Identity, req Request) bool {
	applies := func(subjects []rbacv1.Subject, ns string) bool {
		for _, s := range subjects {
			switch s.Kind {
			case KindUser:
				if s.Name == id.User {
					return true
				}
			case KindGroup:
				if slices.Contains(id.Groups, s.Name) {
					return true
				}
			case KindServiceAccount:
				sns := s.Namespace
				if sns == "" {
					sns = ns
				}
				if sns != "" && id.User == "system:serviceaccount:"+sns+":"+s.Name {
					return true
				}
			}
		}
		return false
	}
	rulesOf := func(ref rbacv1.RoleRef, ns string) []rbacv1.PolicyRule {
		if ref.Kind == KindRole {
			for _, r := range c.Roles {
				if r.Namespace == ns && r.Name == ref.Name {
					return r.Rules
				}
			}
			return nil
		}
		for _, r := range c.ClusterRoles {
			if r.Name == ref.Name {
				return r.Rules
			}
		}
		return nil
	}
	anyAllows := func(rules []rbacv1.PolicyRule) bool {
		for i := range rules {
			if refRuleAllows(&rules[i], &req) {
				return true
			}
		}
		return false
	}
	for _, b := range c.ClusterRoleBindings {
		if applies(b.Subjects, "") && anyAllows(rulesOf(b.RoleRef, "")) {
			return true
		}
	}
	if req.NonResourceURL != "" || req.Namespace == "" {
		return false
	}
	for _, b := range c.RoleBindings {
		if b.Namespace == req.Namespace && applies(b.Subjects, b.Namespace) && anyAllows(rulesOf(b.RoleRef, b.Namespace)) {
			return true
		}
	}
	return false
}

// answerCovers reports whether an answer of WhoCan grants id a request in namespace ns.
func answerCovers(a Answer, id Identity, ns string) bool {
	if a.Namespace != "" && a.Namespace != ns {
		return false
	}
	switch a.Subject.Kind {
	case KindUser:
		return a.Subject.Name == id.User
	case KindGroup:
		return slices.Contains(id.Groups, a.Subject.Name)
	default:
		return id.User == "system:serviceaccount:"+a.Subject.Namespace+":"+a.Subject.Name
	}
}

func TestRandomConfigAgainstReference(t *testing.T) {
	for _, seed := range []int64{1, 2, 3, 4, 5} {
		c := RandomConfig(seed, 120)
		models := map[string]*Model{
			"controller": c.Model(),
			"stored":     NewModelWithOptions(c.Roles, c.ClusterRoles, c.RoleBindings, c.ClusterRoleBindings, Options{StoredAggregation: true}),
		}
		reqs := RandomRequests(seed, 150, c)
		allowed := 0
		for _, req := range reqs {
			for _, id := range c.Identities {
				want := refAllows(c, id, req)
				if want {
					allowed++
				}
				for name, m := range models {
					got, grants := m.Allows(id.User, id.Groups, req)
					if got != want || got != (len(grants) > 0) {
						t.Fatalf("seed %d %s model: Allows(%q, %q, %s) = %v (%d grants), reference %v",
							seed, name, id.User, id.Groups, req, got, len(grants), want)
					}
					for _, g := range grants {
						if !refRuleAllows(g.Rule, &req) {
							t.Fatalf("seed %d: grant %+v does not allow %s", seed, g, req)
						}
					}
				}
			}
		}
		if allowed < len(reqs) {
			t.Errorf("seed %d: only %d allowed (identity, request) pairs: the generator is too sparse", seed, allowed)
		}
	}
}

func TestWhoCanAgreesWithAllows(t *testing.T) {
	c := RandomConfig(42, 200)
	m := c.Model()
	for _, req := range RandomRequests(7, 200, c) {
		// With the request's namespace, and for all namespaces at once.
		answers := m.WhoCan(req)
		all := req
		all.Namespace = ""
		allAnswers := m.WhoCan(all)
		for _, a := range answers {
			if a.Namespace != "" && (req.Namespace != "" && a.Namespace != req.Namespace || req.NonResourceURL != "") {
				t.Fatalf("WhoCan(%s) answered for namespace %q", req, a.Namespace)
			}
			if len(a.Grants) == 0 {
				t.Fatalf("WhoCan(%s): answer without grants: %+v", req, a)
			}
		}
		for _, id := range c.Identities {
			ok, _ := m.Allows(id.User, id.Groups, req)
			covered := slices.ContainsFunc(answers, func(a Answer) bool { return answerCovers(a, id, req.Namespace) })
			coveredAll := slices.ContainsFunc(allAnswers, func(a Answer) bool { return answerCovers(a, id, req.Namespace) })
			if ok != covered || ok != coveredAll {
				t.Fatalf("%s for %q %q: Allows %v, WhoCan covers %v, WhoCan all namespaces covers %v",
					req, id.User, id.Groups, ok, covered, coveredAll)
			}
		}
	}
}

var dnsName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)

// TestRandomConfigIsValid checks the rules of API validation that a generated set must pass to be
// created on an API server, and that it exercises what the model must get right.
func TestRandomConfigIsValid(t *testing.T) {
	c := RandomConfig(9, 400)
	if !reflect.DeepEqual(c, RandomConfig(9, 400)) {
		t.Fatal("RandomConfig is not deterministic")
	}
	if reflect.DeepEqual(c.Roles, RandomConfig(10, 400).Roles) {
		t.Fatal("RandomConfig ignores the seed")
	}
	if n := len(c.Roles) + len(c.ClusterRoles); n != 400 {
		t.Errorf("%d roles, want 400", n)
	}
	if n := len(c.RoleBindings) + len(c.ClusterRoleBindings); n != 1600 {
		t.Errorf("%d bindings, want 1600", n)
	}
	checkRules := func(what string, rules []rbacv1.PolicyRule, namespaced bool) {
		for _, r := range rules {
			bad := len(r.Verbs) == 0 ||
				len(r.NonResourceURLs) > 0 && (namespaced || len(r.APIGroups)+len(r.Resources)+len(r.ResourceNames) > 0) ||
				len(r.NonResourceURLs) == 0 && (len(r.APIGroups) == 0 || len(r.Resources) == 0)
			if bad {
				t.Errorf("%s: invalid rule %+v", what, r)
			}
		}
	}
	checkSubjects := func(what string, subjects []rbacv1.Subject, namespaced bool) {
		if len(subjects) == 0 {
			t.Errorf("%s: no subjects", what)
		}
		for _, s := range subjects {
			switch s.Kind {
			case KindServiceAccount:
				if s.APIGroup != "" || !dnsName.MatchString(s.Name) || !namespaced && s.Namespace == "" {
					t.Errorf("%s: invalid subject %+v", what, s)
				}
			case KindUser, KindGroup:
				if s.APIGroup != rbacv1.GroupName || s.Name == "" {
					t.Errorf("%s: invalid subject %+v", what, s)
				}
			default:
				t.Errorf("%s: invalid subject %+v", what, s)
			}
		}
	}
	for _, r := range c.Roles {
		if !dnsName.MatchString(r.Name) || !slices.Contains(c.Namespaces, r.Namespace) {
			t.Errorf("invalid Role %s/%s", r.Namespace, r.Name)
		}
		checkRules("Role "+r.Name, r.Rules, true)
	}
	for _, r := range c.ClusterRoles {
		if !dnsName.MatchString(r.Name) {
			t.Errorf("invalid ClusterRole %s", r.Name)
		}
		checkRules("ClusterRole "+r.Name, r.Rules, false)
		for k := range r.Labels {
			if !strings.HasPrefix(k, "jobguard.test/") {
				t.Errorf("ClusterRole %s: label %q outside jobguard.test/", r.Name, k)
			}
		}
	}
	for _, b := range c.RoleBindings {
		if !dnsName.MatchString(b.Name) || !slices.Contains(c.Namespaces, b.Namespace) || b.RoleRef.APIGroup != rbacv1.GroupName {
			t.Errorf("invalid RoleBinding %s/%s", b.Namespace, b.Name)
		}
		checkSubjects("RoleBinding "+b.Name, b.Subjects, true)
	}
	for _, b := range c.ClusterRoleBindings {
		if !dnsName.MatchString(b.Name) || b.RoleRef.Kind != KindClusterRole || b.RoleRef.APIGroup != rbacv1.GroupName {
			t.Errorf("invalid ClusterRoleBinding %s", b.Name)
		}
		checkSubjects("ClusterRoleBinding "+b.Name, b.Subjects, false)
	}
	if n := len(c.Objects()); n != 2000 {
		t.Errorf("Objects() = %d objects, want 2000", n)
	}

	// The only problems are the deliberate ones: bindings to missing roles and resource names that
	// grant nothing. Aggregated roles are in the steady state.
	m := c.Model()
	var missing int
	for _, p := range m.Problems() {
		switch {
		case strings.Contains(p.Message, "does not exist"):
			missing++
		case strings.Contains(p.Message, "singular or short name"), strings.Contains(p.Message, "which the rule does not list"):
		default:
			t.Errorf("unexpected problem: %s", p)
		}
	}
	if missing == 0 {
		t.Error("no binding to a missing role")
	}

	// Features the set must exercise.
	features := map[string]bool{}
	note := func(name string, ok bool) {
		if ok {
			features[name] = true
		}
	}
	for _, r := range c.ClusterRoles {
		for _, rule := range r.Rules {
			note("nonResourceURLs", len(rule.NonResourceURLs) > 0)
			note("URL prefix", slices.ContainsFunc(rule.NonResourceURLs, func(u string) bool { return strings.HasSuffix(u, "*") }))
		}
		note("aggregated", r.AggregationRule != nil)
	}
	for _, r := range c.Roles {
		for _, rule := range r.Rules {
			note("verb *", slices.Contains(rule.Verbs, "*"))
			note("group *", slices.Contains(rule.APIGroups, "*"))
			note("resource *", slices.Contains(rule.Resources, "*"))
			note("*/subresource", slices.ContainsFunc(rule.Resources, func(s string) bool { return strings.HasPrefix(s, "*/") }))
			note("resource/subresource", slices.ContainsFunc(rule.Resources, func(s string) bool { return len(s) > 2 && strings.Contains(s[1:], "/") }))
			note("resourceNames", len(rule.ResourceNames) > 0)
			note("singular", slices.Contains(rule.Resources, "cronjob"))
		}
	}
	for _, b := range c.RoleBindings {
		note("RoleBinding to ClusterRole", b.RoleRef.Kind == KindClusterRole)
		for _, s := range b.Subjects {
			note("ServiceAccount defaulted", s.Kind == KindServiceAccount && s.Namespace == "")
			note("ServiceAccount of another namespace", s.Kind == KindServiceAccount && s.Namespace != "" && s.Namespace != b.Namespace)
			note("system group", s.Kind == KindGroup && strings.HasPrefix(s.Name, "system:"))
		}
	}
	for _, req := range RandomRequests(1, 300, c) {
		for _, a := range m.WhoCan(req) {
			for _, g := range a.Grants {
				note("grant via aggregation", len(g.ViaAggregation) > 0)
				note("grant via a chain of aggregation", len(g.ViaAggregation) > 1)
			}
		}
	}
	for _, f := range []string{"nonResourceURLs", "URL prefix", "aggregated", "verb *", "group *", "resource *",
		"*/subresource", "resource/subresource", "resourceNames", "singular", "RoleBinding to ClusterRole",
		"ServiceAccount defaulted", "ServiceAccount of another namespace", "system group",
		"grant via aggregation", "grant via a chain of aggregation"} {
		if !features[f] {
			t.Errorf("RandomConfig(9, 400) has no %s", f)
		}
	}
}

func TestRandomConfigSmall(t *testing.T) {
	for _, n := range []int{-1, 0, 1, 2, 3, 10} {
		c := RandomConfig(int64(n), n)
		m := c.Model()
		for _, req := range RandomRequests(1, 20, c) {
			m.WhoCan(req)
		}
		if len(c.Identities) == 0 {
			t.Errorf("n=%d: no identities", n)
		}
	}
}

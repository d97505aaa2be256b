package rbac

import (
	"fmt"
	"math/rand/v2"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Config is a set of RBAC objects with the namespaces and identities they speak of, as made by
// RandomConfig.
type Config struct {
	Namespaces          []string
	Roles               []*rbacv1.Role
	ClusterRoles        []*rbacv1.ClusterRole
	RoleBindings        []*rbacv1.RoleBinding
	ClusterRoleBindings []*rbacv1.ClusterRoleBinding
	// Identities are users and service accounts named by the bindings, each with the groups it is
	// in, to ask Allows (or a SubjectAccessReview) about.
	Identities []Identity
}

// Identity is an authenticated user: its name and groups.
type Identity struct {
	User   string
	Groups []string
}

// Model builds the model of c.
func (c *Config) Model() *Model {
	return NewModel(c.Roles, c.ClusterRoles, c.RoleBindings, c.ClusterRoleBindings)
}

// Objects returns every object of c (ClusterRoles, Roles, ClusterRoleBindings, RoleBindings, in
// that order), with their TypeMeta set, ready to create on an API server.
func (c *Config) Objects() []runtime.Object {
	tm := func(kind string) metav1.TypeMeta {
		return metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: kind}
	}
	var out []runtime.Object
	for _, o := range c.ClusterRoles {
		o.TypeMeta = tm(KindClusterRole)
		out = append(out, o)
	}
	for _, o := range c.Roles {
		o.TypeMeta = tm(KindRole)
		out = append(out, o)
	}
	for _, o := range c.ClusterRoleBindings {
		o.TypeMeta = tm(KindClusterRoleBinding)
		out = append(out, o)
	}
	for _, o := range c.RoleBindings {
		o.TypeMeta = tm(KindRoleBinding)
		out = append(out, o)
	}
	return out
}

// Vocabulary of the generator. Names are prefixed "jg-" and labels live under jobguard.test/ so a
// generated set never selects, or is selected by, an API server's bootstrap roles.
var (
	randNamespaces = []string{"jg-a", "jg-b", "jg-c", "jg-d"}
	randVerbs      = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind"}
	randTargets    = []struct {
		group     string
		resources []string
	}{
		{"batch", []string{"cronjobs", "jobs", "cronjobs/status", "jobs/status"}},
		{"apps", []string{"deployments", "daemonsets", "statefulsets", "replicasets", "deployments/scale", "statefulsets/scale", "deployments/status"}},
		{"", []string{"pods", "pods/exec", "pods/log", "pods/status", "secrets", "configmaps", "serviceaccounts", "serviceaccounts/token", "replicationcontrollers", "replicationcontrollers/scale"}},
		{"rbac.authorization.k8s.io", []string{"roles", "rolebindings", "clusterroles", "clusterrolebindings"}},
		{"admissionregistration.k8s.io", []string{"mutatingwebhookconfigurations", "validatingwebhookconfigurations"}},
	}
	// Resources as tools get them wrong: singular names and names outside the rule's group.
	randOddResources = []string{"cronjob", "deployment", "cj", "deployments", "cronjobs"}
	randWildResource = []string{"*", "*/scale", "*/status", "*/exec"}
	randNames        = []string{"nightly", "backup", "web", "jg-obj"}
	randURLs         = []string{"/healthz", "/metrics", "/api/*", "/apis/batch/*", "/logs/*", "/version", "*"}
	randURLVerbs     = []string{"get", "post", "put", "head"}
	randSystemGroups = []string{"system:authenticated", "system:serviceaccounts"}
)

const (
	randAggLevels = 3
	randLabel     = "jobguard.test/agg-"
)

type generator struct {
	rng   *rand.Rand
	users []string
	group []string
	sas   [][]string // per namespace
	// aggKeys is the number of aggregation label keys per level.
	aggKeys int
}

func (g *generator) pick(s []string) string { return s[g.rng.IntN(len(s))] }
func (g *generator) chance(p float64) bool  { return g.rng.Float64() < p }

// RandomConfig returns a random but valid set of about n roles (Roles and ClusterRoles) and 4n
// bindings across four namespaces, the same for the same seed and n. It mixes what RBAC matching
// must get right: verb, group and resource wildcards, subresources and "*/subresource", resource
// names, non-resource URLs with prefixes, singular and wrongly grouped resource names, aggregated
// ClusterRoles (some in chains of up to three), bindings to missing roles, RoleBindings to
// ClusterRoles, and User, Group and ServiceAccount subjects (with and without a namespace).
//
// The objects pass API validation. Aggregated ClusterRoles are generated in the steady state the
// aggregation controller reaches: their stored rules are the ones gathered from the roles they
// select, so an API server without that controller answers like the model.
func RandomConfig(seed int64, n int) *Config {
	if n < 1 {
		n = 1
	}
	g := &generator{rng: rand.New(rand.NewPCG(uint64(seed), 0x6a6f62677561726)), aggKeys: 1 + n/200}
	for i := range 4 + n/20 {
		g.users = append(g.users, fmt.Sprintf("jg-user-%d", i))
	}
	for i := range 2 + n/100 {
		g.group = append(g.group, fmt.Sprintf("jg-group-%d", i))
	}
	for range randNamespaces {
		var sas []string
		for i := range 2 + n/80 {
			sas = append(sas, fmt.Sprintf("jg-sa-%d", i))
		}
		g.sas = append(g.sas, sas)
	}
	c := &Config{Namespaces: append([]string(nil), randNamespaces...)}

	nCluster := max(1, 2*n/5)
	nAgg := 0
	if nCluster >= 3 {
		nAgg = max(1, nCluster/20)
	}
	for i := range nCluster - nAgg {
		cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("jg-cr-%d", i)}, Rules: g.rules(true)}
		if g.chance(0.3) {
			cr.Labels = map[string]string{g.aggLabel(g.rng.IntN(randAggLevels)): "true"}
			if g.chance(0.2) {
				cr.Labels[g.aggLabel(g.rng.IntN(randAggLevels))] = "true"
			}
		}
		c.ClusterRoles = append(c.ClusterRoles, cr)
	}
	for i := range nAgg {
		level := i % randAggLevels
		cr := &rbacv1.ClusterRole{
			ObjectMeta:      metav1.ObjectMeta{Name: fmt.Sprintf("jg-agg-%d", i)},
			AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{g.selector(level)}},
		}
		if g.chance(0.3) {
			// A second selector, at the same level so selection stays acyclic.
			cr.AggregationRule.ClusterRoleSelectors = append(cr.AggregationRule.ClusterRoleSelectors, g.selector(level))
		}
		if level+1 < randAggLevels && g.chance(0.6) {
			cr.Labels = map[string]string{g.aggLabel(level + 1): "true"}
		}
		c.ClusterRoles = append(c.ClusterRoles, cr)
	}
	rolesIn := make([][]string, len(randNamespaces))
	for i := range n - nCluster {
		ns := i % len(randNamespaces)
		name := fmt.Sprintf("jg-role-%d", i)
		rolesIn[ns] = append(rolesIn[ns], name)
		c.Roles = append(c.Roles, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: randNamespaces[ns]}, Rules: g.rules(false)})
	}

	for i := range 4 * n {
		missing := g.chance(0.02)
		if g.chance(0.3) {
			ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: KindClusterRole, Name: c.ClusterRoles[g.rng.IntN(len(c.ClusterRoles))].Name}
			if missing {
				ref.Name = fmt.Sprintf("jg-missing-%d", i)
			}
			c.ClusterRoleBindings = append(c.ClusterRoleBindings, &rbacv1.ClusterRoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("jg-crb-%d", i)}, RoleRef: ref, Subjects: g.subjects(-1)})
			continue
		}
		ns := g.rng.IntN(len(randNamespaces))
		var ref rbacv1.RoleRef
		if len(rolesIn[ns]) > 0 && g.chance(0.5) {
			ref = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: KindRole, Name: g.pick(rolesIn[ns])}
		} else {
			ref = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: KindClusterRole, Name: c.ClusterRoles[g.rng.IntN(len(c.ClusterRoles))].Name}
		}
		if missing {
			ref.Name = fmt.Sprintf("jg-missing-%d", i)
		}
		c.RoleBindings = append(c.RoleBindings, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("jg-rb-%d", i), Namespace: randNamespaces[ns]},
			RoleRef:    ref, Subjects: g.subjects(ns)})
	}

	// Store the aggregated rules, as the aggregation controller would.
	m := c.Model()
	for _, cr := range c.ClusterRoles {
		if cr.AggregationRule == nil {
			continue
		}
		r := &m.roles[m.roleByKey[roleKey(KindClusterRole, "", cr.Name)]]
		cr.Rules = make([]rbacv1.PolicyRule, len(r.rules))
		for i := range r.rules {
			r.rules[i].rule.DeepCopyInto(&cr.Rules[i])
		}
	}

	for _, u := range g.users {
		groups := []string{"system:authenticated"}
		for range g.rng.IntN(3) {
			groups = append(groups, g.pick(g.group))
		}
		c.Identities = append(c.Identities, Identity{User: u, Groups: groups})
	}
	for ni, ns := range randNamespaces {
		for _, sa := range g.sas[ni] {
			u, groups := ServiceAccountUser(ns, sa)
			c.Identities = append(c.Identities, Identity{User: u, Groups: groups})
		}
	}
	return c
}

// aggLabel returns a label key of an aggregation level, one of several per level so that an
// aggregated role gathers a handful of roles whatever the size of the set. A role at level L is
// selected by aggregated roles of level L, which carry labels of level L+1 only: no cycles.
func (g *generator) aggLabel(level int) string {
	return fmt.Sprintf("%s%d-%d", randLabel, level, g.rng.IntN(g.aggKeys))
}

// selector selects the ClusterRoles labelled for an aggregation level, in one of the forms a
// selector can take.
func (g *generator) selector(level int) metav1.LabelSelector {
	key := g.aggLabel(level)
	switch g.rng.IntN(3) {
	case 0:
		return metav1.LabelSelector{MatchLabels: map[string]string{key: "true"}}
	case 1:
		return metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: key, Operator: metav1.LabelSelectorOpIn, Values: []string{"true", "yes"}}}}
	default:
		return metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: key, Operator: metav1.LabelSelectorOpExists}}}
	}
}

func (g *generator) rules(cluster bool) []rbacv1.PolicyRule {
	rules := make([]rbacv1.PolicyRule, 1+g.rng.IntN(4))
	for i := range rules {
		rules[i] = g.rule(cluster)
	}
	return rules
}

func (g *generator) rule(cluster bool) rbacv1.PolicyRule {
	if cluster && g.chance(0.08) {
		r := rbacv1.PolicyRule{Verbs: g.some(randURLVerbs, 2, 0.15)}
		r.NonResourceURLs = g.some(randURLs, 2, 0)
		return r
	}
	r := rbacv1.PolicyRule{Verbs: g.some(randVerbs, 3, 0.08)}
	t := randTargets[g.rng.IntN(len(randTargets))]
	switch {
	case g.chance(0.1):
		r.APIGroups = []string{"*"}
	case g.chance(0.15):
		t2 := randTargets[g.rng.IntN(len(randTargets))]
		r.APIGroups = []string{t.group}
		if t2.group != t.group {
			r.APIGroups = append(r.APIGroups, t2.group)
		}
	default:
		r.APIGroups = []string{t.group}
	}
	switch x := g.rng.Float64(); {
	case x < 0.07:
		r.Resources = []string{g.pick(randWildResource)}
	case x < 0.11:
		r.Resources = []string{g.pick(randOddResources)}
	default:
		r.Resources = g.some(t.resources, 3, 0)
	}
	if g.chance(0.15) {
		r.ResourceNames = g.some(randNames, 2, 0)
	}
	return r
}

// some picks 1..maxN distinct elements of s, or ["*"] with probability all.
func (g *generator) some(s []string, maxN int, all float64) []string {
	if g.chance(all) {
		return []string{"*"}
	}
	k := 1 + g.rng.IntN(maxN)
	var out []string
	for _, i := range g.rng.Perm(len(s))[:min(k, len(s))] {
		out = append(out, s[i])
	}
	return out
}

// subjects returns 1-3 subjects for a binding in namespace index ns (-1 for a ClusterRoleBinding).
func (g *generator) subjects(ns int) []rbacv1.Subject {
	out := make([]rbacv1.Subject, 1+g.rng.IntN(3))
	for i := range out {
		switch x := g.rng.Float64(); {
		case x < 0.45:
			out[i] = rbacv1.Subject{Kind: KindUser, APIGroup: rbacv1.GroupName, Name: g.pick(g.users)}
		case x < 0.7:
			name := g.pick(g.group)
			if g.chance(0.1) {
				name = g.pick(randSystemGroups)
				if g.chance(0.5) {
					name = "system:serviceaccounts:" + g.pick(randNamespaces)
				}
			}
			out[i] = rbacv1.Subject{Kind: KindGroup, APIGroup: rbacv1.GroupName, Name: name}
		default:
			sn := g.rng.IntN(len(randNamespaces))
			if ns >= 0 && g.chance(0.6) {
				sn = ns
			}
			out[i] = rbacv1.Subject{Kind: KindServiceAccount, Name: g.pick(g.sas[sn]), Namespace: randNamespaces[sn]}
			if sn == ns && g.chance(0.5) {
				out[i].Namespace = "" // a RoleBinding's own namespace, by default
			}
		}
	}
	return out
}

// RandomRequests returns n requests drawn from the vocabulary of RandomConfig (so many of them are
// granted to someone), in the namespaces of c or cluster-wide, the same for the same seed.
func RandomRequests(seed int64, n int, c *Config) []Request {
	g := &generator{rng: rand.New(rand.NewPCG(uint64(seed), 0x7265717565737473))}
	namespaces := randNamespaces
	if c != nil && len(c.Namespaces) > 0 {
		namespaces = c.Namespaces
	}
	out := make([]Request, n)
	for i := range out {
		if g.chance(0.1) {
			out[i] = Request{Verb: g.pick(randURLVerbs), NonResourceURL: g.pick([]string{"/healthz", "/metrics", "/api/v1", "/apis/batch/v1", "/logs/kubelet.log", "/version", "/readyz"})}
			continue
		}
		t := randTargets[g.rng.IntN(len(randTargets))]
		ref, _ := ParseResource(g.pick(t.resources))
		ref.APIGroup = t.group
		if g.chance(0.05) {
			ref.Subresource = "scale"
		}
		r := ref.Request(g.pick(randVerbs), "")
		if !g.chance(0.2) {
			r.Namespace = g.pick(namespaces)
		}
		if g.chance(0.3) {
			r.Name = g.pick(randNames)
		}
		out[i] = r
	}
	return out
}

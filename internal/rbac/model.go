// Package rbac is an offline model of Kubernetes RBAC that answers like the API server's RBAC
// authorizer: given Roles, ClusterRoles and their bindings it tells whether a user may make a
// request (Allows) and who may (WhoCan), each answer with the binding -> role -> rule chains that
// grant it. Aggregated ClusterRoles are resolved the way the clusterrole-aggregation controller
// does, from the labels of the other ClusterRoles in the model.
//
// The model covers the RBAC authorizer only: the API server may also allow requests through other
// authorizers (the system:masters group, the Node authorizer, webhooks), which it does not see.
package rbac

import (
	"cmp"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Kinds of roles, bindings and subjects, as they are spelled in RBAC objects.
const (
	KindRole               = "Role"
	KindClusterRole        = "ClusterRole"
	KindRoleBinding        = "RoleBinding"
	KindClusterRoleBinding = "ClusterRoleBinding"
	KindUser               = rbacv1.UserKind
	KindGroup              = rbacv1.GroupKind
	KindServiceAccount     = rbacv1.ServiceAccountKind
)

// Subject is someone a binding grants to. For a ServiceAccount, Namespace is the account's
// namespace (defaulted to the binding's namespace when a RoleBinding leaves it empty, as the
// authorizer does); it is empty for users and groups.
type Subject struct {
	Kind      string // User, Group or ServiceAccount
	Name      string
	Namespace string
}

// String renders s as "User alice", "Group system:authenticated", "ServiceAccount ns/name".
func (s Subject) String() string {
	if s.Kind == KindServiceAccount {
		return s.Kind + " " + s.Namespace + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

// ServiceAccountUser returns the user name and groups the API server authenticates a service
// account token as: "system:serviceaccount:NS:NAME" in system:serviceaccounts,
// system:serviceaccounts:NS and system:authenticated.
func ServiceAccountUser(namespace, name string) (user string, groups []string) {
	return "system:serviceaccount:" + namespace + ":" + name,
		[]string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"}
}

// Grant is one chain that grants a request: a binding, the role it references, and the rule of
// that role that matches, for the subject of the binding that the grant is for. Rule points into
// the model, and it and ViaAggregation share their slices with the model's input: read them, do
// not modify them.
type Grant struct {
	Binding          string
	BindingKind      string // RoleBinding or ClusterRoleBinding
	BindingNamespace string // "" for a ClusterRoleBinding
	Role             string
	RoleKind         string // Role (in BindingNamespace) or ClusterRole
	// RuleIndex is the index of Rule in the role's effective rules: its own rules, or for an
	// aggregated ClusterRole the rules the aggregation controller writes into it (in its order).
	RuleIndex int
	Rule      *rbacv1.PolicyRule
	Subject   Subject
	// ViaAggregation is empty when Rule is the role's own. When the role is an aggregated ClusterRole,
	// it names the ClusterRoles the rule was gathered through, from the one the bound role selects to
	// the one that defines the rule (more than one for chains of aggregated roles).
	ViaAggregation []string
}

// Answer is one subject that is granted a request, in one scope.
type Answer struct {
	Subject Subject
	// Namespace is where the grants apply: "" = cluster-wide (through ClusterRoleBindings), otherwise
	// only to requests in that namespace (through RoleBindings there).
	Namespace string
	Grants    []Grant
}

// Options change how a Model is built. The zero value is what NewModel uses.
type Options struct {
	// StoredAggregation evaluates aggregated ClusterRoles by the rules stored in them, as an API server
	// does when no clusterrole-aggregation controller runs (or before it has run). By default the
	// model computes their rules from the selected ClusterRoles, like the controller.
	StoredAggregation bool
}

// Model is an immutable, indexed view of a set of RBAC objects. It is safe for concurrent use.
type Model struct {
	roles    []role
	bindings []binding
	problems []Problem

	roleByKey map[string]int32 // roleKey(kind, namespace, name) -> index in roles

	// subjects indexes the bindings by the keys of their subjects (see userKey, groupKey, saKey).
	subjects map[string][]subjectRef

	// Rule index for WhoCan: every effective rule of every role is an entry; the maps list entries
	// that can match a request (entries appear in increasing order in every list).
	entries       []ruleEntry
	byResource    map[string][]int32 // rule resource ("cronjobs", "pods/exec", "*", "*/scale") -> entries
	byURL         map[string][]int32 // exact nonResourceURL -> entries
	urlWildcards  []int32            // entries with a nonResourceURL ending in "*"
	clusterScoped int                // bindings[:clusterScoped] are the ClusterRoleBindings

	// For WhoCan's sorting without comparing strings: the distinct subjects of all bindings and the
	// scopes of the bindings ("" first, then namespaces), each in answer order.
	subjectList []Subject
	scopes      []string
	byRank      []int32 // binding index of each rank
	// Bits needed for a subject index, a scope index and a binding rank.
	subjectBits, scopeBits, rankBits uint
}

type role struct {
	kind, namespace, name string
	rules                 []effectiveRule
	bindings              []int32 // bindings whose roleRef resolves to this role, in binding order
}

type effectiveRule struct {
	rule rbacv1.PolicyRule
	via  []string
}

type binding struct {
	kind, namespace, name string
	role                  int32 // index in Model.roles, -1 when the role does not exist
	// subjects are normalised; ok[i] is false for subjects that can never match a request.
	subjects []Subject
	ok       []bool
	sid      []int32 // index of each subject in Model.subjectList, -1 when !ok or a repeat in this binding
	scope    int32   // index in Model.scopes: 0 for a ClusterRoleBinding
	rank     int32   // position in grant order: ClusterRoleBindings, then by namespace, then by name
}

type subjectRef struct {
	binding int32
	subject int32 // index in the binding's subjects
}

type ruleEntry struct {
	role int32
	rule int32
}

func roleKey(kind, namespace, name string) string {
	return kind + "\x00" + namespace + "\x00" + name
}

func userKey(name string) string          { return "U\x00" + name }
func groupKey(name string) string         { return "G\x00" + name }
func saKey(namespace, name string) string { return "S\x00" + namespace + "\x00" + name }

// NewModel indexes the given objects. Nil entries are skipped. Anything that keeps an object from
// granting what it seems to (a binding to a missing role, a rule without verbs, ...) is reported by
// Problems; nothing in the input makes NewModel fail.
func NewModel(roles []*rbacv1.Role, clusterRoles []*rbacv1.ClusterRole, rbs []*rbacv1.RoleBinding, crbs []*rbacv1.ClusterRoleBinding) *Model {
	return NewModelWithOptions(roles, clusterRoles, rbs, crbs, Options{})
}

// NewModelWithOptions is NewModel with options.
func NewModelWithOptions(roles []*rbacv1.Role, clusterRoles []*rbacv1.ClusterRole, rbs []*rbacv1.RoleBinding, crbs []*rbacv1.ClusterRoleBinding, opts Options) *Model {
	m := &Model{
		roleByKey: make(map[string]int32, len(roles)+len(clusterRoles)),
		subjects:  make(map[string][]subjectRef),
	}
	m.addRoles(roles)
	crs := m.addClusterRoles(clusterRoles)
	m.aggregate(crs, opts)
	m.addClusterRoleBindings(crbs)
	m.clusterScoped = len(m.bindings)
	m.addRoleBindings(rbs)
	m.internSubjects()
	m.indexRules()
	return m
}

// dedupe drops nil objects and every object whose key a later object repeats (the API server
// holds one object per name; the last one read wins), calling dup for each dropped one.
func dedupe[T any](objs []*T, key func(*T) string, dup func(*T)) []*T {
	last := make(map[string]int, len(objs))
	for i, o := range objs {
		if o != nil {
			last[key(o)] = i
		}
	}
	out := make([]*T, 0, len(last))
	for i, o := range objs {
		if o == nil {
			continue
		}
		if last[key(o)] != i {
			dup(o)
			continue
		}
		out = append(out, o)
	}
	return out
}

func (m *Model) addRole(kind, namespace, name string, rules []rbacv1.PolicyRule) int32 {
	i := int32(len(m.roles))
	m.roles = append(m.roles, role{kind: kind, namespace: namespace, name: name, rules: ownRules(rules)})
	m.roleByKey[roleKey(kind, namespace, name)] = i
	m.checkRules(kind, namespace, name, rules, kind == KindRole)
	return i
}

func (m *Model) addRoles(roles []*rbacv1.Role) {
	roles = dedupe(roles, func(r *rbacv1.Role) string { return r.Namespace + "/" + r.Name }, func(r *rbacv1.Role) {
		m.problem(KindRole, r.Namespace, r.Name, "", "duplicate Role: the last one is used")
	})
	for _, r := range roles {
		if r.Namespace == "" {
			m.problem(KindRole, "", r.Name, "metadata.namespace", "Role has no namespace: it takes the namespace it is created in, and the model cannot bind it")
		}
		m.addRole(KindRole, r.Namespace, r.Name, r.Rules)
	}
}

func ownRules(rules []rbacv1.PolicyRule) []effectiveRule {
	out := make([]effectiveRule, len(rules))
	for i := range rules {
		out[i].rule = rules[i]
	}
	return out
}

// addClusterRoles adds the ClusterRoles and returns, for aggregation, the object of each
// ClusterRole by its index in m.roles.
func (m *Model) addClusterRoles(clusterRoles []*rbacv1.ClusterRole) map[int32]*rbacv1.ClusterRole {
	clusterRoles = dedupe(clusterRoles, func(r *rbacv1.ClusterRole) string { return r.Name }, func(r *rbacv1.ClusterRole) {
		m.problem(KindClusterRole, "", r.Name, "", "duplicate ClusterRole: the last one is used")
	})
	objs := make(map[int32]*rbacv1.ClusterRole, len(clusterRoles))
	for _, r := range clusterRoles {
		objs[m.addRole(KindClusterRole, "", r.Name, r.Rules)] = r
	}
	return objs
}

func (m *Model) addClusterRoleBindings(crbs []*rbacv1.ClusterRoleBinding) {
	crbs = dedupe(crbs, func(b *rbacv1.ClusterRoleBinding) string { return b.Name }, func(b *rbacv1.ClusterRoleBinding) {
		m.problem(KindClusterRoleBinding, "", b.Name, "", "duplicate ClusterRoleBinding: the last one is used")
	})
	for _, b := range crbs {
		m.addBinding(KindClusterRoleBinding, "", b.Name, b.RoleRef, b.Subjects)
	}
}

func (m *Model) addRoleBindings(rbs []*rbacv1.RoleBinding) {
	rbs = dedupe(rbs, func(b *rbacv1.RoleBinding) string { return b.Namespace + "/" + b.Name }, func(b *rbacv1.RoleBinding) {
		m.problem(KindRoleBinding, b.Namespace, b.Name, "", "duplicate RoleBinding: the last one is used")
	})
	for _, b := range rbs {
		m.addBinding(KindRoleBinding, b.Namespace, b.Name, b.RoleRef, b.Subjects)
	}
}

// addBinding resolves the role reference and indexes the subjects of a binding.
func (m *Model) addBinding(kind, namespace, name string, ref rbacv1.RoleRef, subjects []rbacv1.Subject) {
	bi := int32(len(m.bindings))
	b := binding{kind: kind, namespace: namespace, name: name, role: -1,
		subjects: make([]Subject, len(subjects)), ok: make([]bool, len(subjects))}
	if ref.APIGroup != rbacv1.GroupName {
		m.problem(kind, namespace, name, "roleRef.apiGroup", "roleRef.apiGroup is %q, want %q (the API server rejects the binding)", ref.APIGroup, rbacv1.GroupName)
	}
	switch {
	case kind == KindRoleBinding && namespace == "":
		m.problem(kind, namespace, name, "metadata.namespace", "RoleBinding has no namespace: it takes the namespace it is created in, and grants nothing in the model")
	case ref.Kind == KindRole:
		if kind == KindClusterRoleBinding {
			m.problem(kind, namespace, name, "roleRef.kind", "a ClusterRoleBinding cannot reference a Role (%q); it grants nothing", ref.Name)
			break
		}
		if i, ok := m.roleByKey[roleKey(KindRole, namespace, ref.Name)]; ok {
			b.role = i
		} else {
			m.problem(kind, namespace, name, "roleRef", "Role %q does not exist in namespace %q: the binding grants nothing until a Role of that name is created", ref.Name, namespace)
		}
	case ref.Kind == KindClusterRole:
		if i, ok := m.roleByKey[roleKey(KindClusterRole, "", ref.Name)]; ok {
			b.role = i
		} else {
			m.problem(kind, namespace, name, "roleRef", "ClusterRole %q does not exist: the binding grants nothing until a ClusterRole of that name is created", ref.Name)
		}
	default:
		m.problem(kind, namespace, name, "roleRef.kind", "unsupported roleRef.kind %q (want Role or ClusterRole); the binding grants nothing", ref.Kind)
	}
	if len(subjects) == 0 {
		m.problem(kind, namespace, name, "subjects", "binding has no subjects")
	}
	for i, s := range subjects {
		field := "subjects[" + strconv.Itoa(i) + "]"
		ns := ""
		switch s.Kind {
		case KindUser, KindGroup:
			b.ok[i] = true
		case KindServiceAccount:
			ns = s.Namespace
			if ns == "" {
				ns = namespace // RoleBindings default the account's namespace to their own
			}
			b.ok[i] = ns != ""
			if !b.ok[i] {
				m.problem(kind, namespace, name, field+".namespace", "ServiceAccount %q has no namespace; in a ClusterRoleBinding it matches nobody", s.Name)
			}
		default:
			m.problem(kind, namespace, name, field+".kind", "unsupported subject kind %q (want User, Group or ServiceAccount); it matches nobody", s.Kind)
		}
		if s.Name == "" {
			m.problem(kind, namespace, name, field+".name", "subject has no name")
		}
		b.subjects[i] = Subject{Kind: s.Kind, Name: s.Name, Namespace: ns}
		if !b.ok[i] {
			continue
		}
		var key string
		switch s.Kind {
		case KindUser:
			key = userKey(s.Name)
		case KindGroup:
			key = groupKey(s.Name)
		default:
			key = saKey(ns, s.Name)
		}
		m.subjects[key] = append(m.subjects[key], subjectRef{binding: bi, subject: int32(i)})
	}
	if b.role >= 0 {
		m.roles[b.role].bindings = append(m.roles[b.role].bindings, bi)
	}
	m.bindings = append(m.bindings, b)
}

// internSubjects numbers subjects, scopes and bindings in the order WhoCan reports them.
func (m *Model) internSubjects() {
	ids := make(map[Subject]int32)
	scopeIDs := map[string]int32{"": 0}
	for bi := range m.bindings {
		b := &m.bindings[bi]
		for i, s := range b.subjects {
			if _, seen := ids[s]; b.ok[i] && !seen {
				ids[s] = int32(len(m.subjectList))
				m.subjectList = append(m.subjectList, s)
			}
		}
		if _, seen := scopeIDs[b.namespace]; !seen {
			scopeIDs[b.namespace] = 0
			m.scopes = append(m.scopes, b.namespace)
		}
	}
	slices.SortFunc(m.subjectList, func(a, b Subject) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	for i, s := range m.subjectList {
		ids[s] = int32(i)
	}
	slices.Sort(m.scopes)
	m.scopes = slices.Insert(m.scopes, 0, "")
	for i, ns := range m.scopes {
		scopeIDs[ns] = int32(i)
	}

	order := make([]int32, len(m.bindings))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(i, j int32) int {
		a, b := &m.bindings[i], &m.bindings[j]
		if ca, cb := a.kind == KindClusterRoleBinding, b.kind == KindClusterRoleBinding; ca != cb {
			if ca {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.namespace, b.namespace), cmp.Compare(a.name, b.name))
	})
	m.byRank = order
	m.subjectBits = uint(bits.Len(uint(len(m.subjectList))))
	m.scopeBits = uint(bits.Len(uint(len(m.scopes))))
	m.rankBits = uint(bits.Len(uint(len(m.bindings))))
	for rank, bi := range order {
		b := &m.bindings[bi]
		b.rank = int32(rank)
		if b.kind == KindRoleBinding {
			b.scope = scopeIDs[b.namespace]
		}
		b.sid = make([]int32, len(b.subjects))
		for i, s := range b.subjects {
			b.sid[i] = -1
			if b.ok[i] && !slices.Contains(b.subjects[:i], s) {
				b.sid[i] = ids[s]
			}
		}
	}
}

// indexRules builds the WhoCan rule index from the effective rules of every role.
func (m *Model) indexRules() {
	m.byResource = make(map[string][]int32)
	m.byURL = make(map[string][]int32)
	for ri := range m.roles {
		r := &m.roles[ri]
		if len(r.bindings) == 0 {
			continue // nobody is granted anything through an unbound role
		}
		for k := range r.rules {
			e := int32(len(m.entries))
			m.entries = append(m.entries, ruleEntry{role: int32(ri), rule: int32(k)})
			rule := &r.rules[k].rule
			if len(rule.Verbs) == 0 {
				continue
			}
			for _, res := range rule.Resources {
				m.byResource[res] = appendOnce(m.byResource[res], e)
			}
			wildcard := false
			for _, u := range rule.NonResourceURLs {
				if strings.HasSuffix(u, "*") {
					wildcard = true
				} else {
					m.byURL[u] = appendOnce(m.byURL[u], e)
				}
			}
			if wildcard {
				m.urlWildcards = append(m.urlWildcards, e)
			}
		}
	}
}

// appendOnce appends e unless it is already the last element (entries arrive in increasing order).
func appendOnce(s []int32, e int32) []int32 {
	if n := len(s); n > 0 && s[n-1] == e {
		return s
	}
	return append(s, e)
}

package rbac

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func mkRole(ns, name string, rules ...rbacv1.PolicyRule) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Rules: rules}
}

func mkClusterRole(name string, labels map[string]string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Rules: rules}
}

func mkAggregated(name string, labels map[string]string, selectors ...metav1.LabelSelector) *rbacv1.ClusterRole {
	cr := mkClusterRole(name, labels)
	cr.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: selectors}
	return cr
}

func matchLabels(kv ...string) metav1.LabelSelector {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return metav1.LabelSelector{MatchLabels: m}
}

func user(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: KindUser, APIGroup: rbacv1.GroupName, Name: name}
}

func group(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: KindGroup, APIGroup: rbacv1.GroupName, Name: name}
}

func sa(ns, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: KindServiceAccount, Namespace: ns, Name: name}
}

func mkRB(ns, name, roleKind, roleName string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: roleName}, Subjects: subjects}
}

func mkCRB(name, roleName string, subjects ...rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: KindClusterRole, Name: roleName}, Subjects: subjects}
}

// fixture is a small cluster: a team namespace with its own Role, a ClusterRole bound both
// cluster-wide and per namespace, service accounts, groups and a few broken objects.
func fixture() *Model {
	roles := []*rbacv1.Role{
		mkRole("team", "cron-admin", rule(l("create", "patch"), l("batch"), l("cronjobs"))),
		mkRole("team", "cron-status", rule(l("*"), l("batch"), l("cronjobs/status"))),
		mkRole("team", "singular", rule(l("create"), l("batch"), l("cronjob"))),
		mkRole("team", "wrong-group", rule(l("create"), l(""), l("deployments"))),
		mkRole("team", "nightly", rule(l("patch"), l("batch"), l("cronjobs"), "nightly")),
		mkRole("other", "cron-admin", rule(l("*"), l("*"), l("*"))),
	}
	clusterRoles := []*rbacv1.ClusterRole{
		mkClusterRole("deployer", nil, rule(l("create", "update"), l("apps"), l("deployments", "daemonsets"))),
		mkClusterRole("scaler", nil, rule(l("patch"), l("apps", ""), l("*/scale"))),
		mkClusterRole("health", nil, urlRule(l("get"), "/healthz", "/livez*")),
		mkClusterRole("cluster-admin", nil, rule(l("*"), l("*"), l("*")), urlRule(l("*"), "*")),
	}
	rbs := []*rbacv1.RoleBinding{
		mkRB("team", "alice-cron", KindRole, "cron-admin", user("alice")),
		mkRB("team", "bob-status", KindRole, "cron-status", user("bob")),
		mkRB("team", "carol-singular", KindRole, "singular", user("carol")),
		mkRB("team", "carol-wrong-group", KindRole, "wrong-group", user("carol")),
		mkRB("team", "dave-nightly", KindRole, "nightly", user("dave")),
		mkRB("team", "deployer", KindClusterRole, "deployer", sa("", "ci"), group("team-devs")),
		mkRB("team", "remote-sa", KindRole, "cron-admin", sa("build", "builder")),
		mkRB("team", "missing", KindRole, "nope", user("erin")),
		mkRB("team", "health", KindClusterRole, "health", user("frank")),
	}
	crbs := []*rbacv1.ClusterRoleBinding{
		mkCRB("scalers", "scaler", group("system:serviceaccounts:ops")),
		mkCRB("health", "health", group("system:authenticated")),
		mkCRB("admins", "cluster-admin", user("root"), group("admins")),
		mkCRB("bad-sa", "deployer", sa("", "nowhere")),
		mkCRB("missing", "nope", user("erin")),
	}
	return NewModel(roles, clusterRoles, rbs, crbs)
}

func TestAllows(t *testing.T) {
	m := fixture()
	createCJ := func(ns string) Request {
		return Request{Verb: "create", APIGroup: "batch", Resource: "cronjobs", Namespace: ns}
	}
	ciUser, ciGroups := ServiceAccountUser("team", "ci")
	tests := []struct {
		name   string
		user   string
		groups []string
		req    Request
		want   bool
		chains []string // "BindingKind ns/binding -> RoleKind role rules[i]"
	}{
		{"role grants in its namespace", "alice", nil, createCJ("team"), true,
			l("RoleBinding team/alice-cron -> Role cron-admin rules[0]")},
		{"role does not grant in another namespace", "alice", nil, createCJ("other"), false, nil},
		{"role does not grant cluster-wide", "alice", nil, createCJ(""), false, nil},
		{"same role name elsewhere is another role", "alice", nil, Request{Verb: "delete", APIGroup: "batch", Resource: "cronjobs", Namespace: "team"}, false, nil},
		{"cronjobs/status does not grant create cronjobs", "bob", nil, createCJ("team"), false, nil},
		{"cronjobs/status grants status", "bob", nil, Request{Verb: "update", APIGroup: "batch", Resource: "cronjobs", Subresource: "status", Namespace: "team"}, true,
			l("RoleBinding team/bob-status -> Role cron-status rules[0]")},
		{"singular resource grants nothing", "carol", nil, createCJ("team"), false, nil},
		{"core group does not grant apps deployments", "carol", nil, Request{Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "team"}, false, nil},
		{"resourceNames: create is unnamed", "dave", nil, Request{Verb: "patch", APIGroup: "batch", Resource: "cronjobs", Namespace: "team"}, false, nil},
		{"resourceNames: named patch", "dave", nil, Request{Verb: "patch", APIGroup: "batch", Resource: "cronjobs", Namespace: "team", Name: "nightly"}, true,
			l("RoleBinding team/dave-nightly -> Role nightly rules[0]")},
		{"SA with empty namespace defaults to the binding's", ciUser, nil, Request{Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "team"}, true,
			l("RoleBinding team/deployer -> ClusterRole deployer rules[0]")},
		{"RoleBinding to ClusterRole is scoped to its namespace", ciUser, nil, Request{Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "other"}, false, nil},
		{"RoleBinding to ClusterRole does not grant cluster-wide", ciUser, nil, Request{Verb: "create", APIGroup: "apps", Resource: "deployments"}, false, nil},
		{"SA of another namespace with the same name", "system:serviceaccount:other:ci", nil, Request{Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "team"}, false, nil},
		{"SA of another namespace bound here", "system:serviceaccount:build:builder", nil, createCJ("team"), true,
			l("RoleBinding team/remote-sa -> Role cron-admin rules[0]")},
		{"group subject", "gina", l("team-devs"), Request{Verb: "update", APIGroup: "apps", Resource: "daemonsets", Namespace: "team"}, true,
			l("RoleBinding team/deployer -> ClusterRole deployer rules[0]")},
		{"groups are used as given", "gina", nil, Request{Verb: "update", APIGroup: "apps", Resource: "daemonsets", Namespace: "team"}, false, nil},
		{"service account groups", "system:serviceaccount:ops:autoscaler", l("system:serviceaccounts", "system:serviceaccounts:ops"),
			Request{Verb: "patch", APIGroup: "apps", Resource: "deployments", Subresource: "scale", Namespace: "x"}, true,
			l("ClusterRoleBinding scalers -> ClusterRole scaler rules[0]")},
		{"*/scale grants core scale", "system:serviceaccount:ops:autoscaler", l("system:serviceaccounts:ops"),
			Request{Verb: "patch", Resource: "replicationcontrollers", Subresource: "scale"}, true,
			l("ClusterRoleBinding scalers -> ClusterRole scaler rules[0]")},
		{"*/scale does not grant the resource", "system:serviceaccount:ops:autoscaler", l("system:serviceaccounts:ops"),
			Request{Verb: "patch", APIGroup: "apps", Resource: "deployments", Namespace: "x"}, false, nil},
		{"non-resource URL via ClusterRoleBinding", "anyone", l("system:authenticated"), Request{Verb: "get", NonResourceURL: "/livez/ping"}, true,
			l("ClusterRoleBinding health -> ClusterRole health rules[0]")},
		{"non-resource URL is never granted by a RoleBinding", "frank", nil, Request{Verb: "get", NonResourceURL: "/healthz", Namespace: "team"}, false, nil},
		{"missing role grants nothing", "erin", nil, createCJ("team"), false, nil},
		{"CRB ServiceAccount without namespace matches nobody", "system:serviceaccount::nowhere", nil, Request{Verb: "create", APIGroup: "apps", Resource: "deployments"}, false, nil},
		{"user and group both match: every chain, ClusterRoleBindings first", "root", l("admins", "team-devs"),
			Request{Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "team"}, true,
			l("ClusterRoleBinding admins -> ClusterRole cluster-admin rules[0]", "RoleBinding team/deployer -> ClusterRole deployer rules[0]")},
		{"SA user with its groups", ciUser, ciGroups, Request{Verb: "get", NonResourceURL: "/healthz"}, true,
			l("ClusterRoleBinding health -> ClusterRole health rules[0]")},
		{"nobody", "mallory", l("system:unauthenticated"), createCJ("team"), false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, grants := m.Allows(tt.user, tt.groups, tt.req)
			if got != tt.want {
				t.Fatalf("Allows(%q, %q, %s) = %v, want %v (grants %v)", tt.user, tt.groups, tt.req, got, tt.want, grants)
			}
			if chains := chainsOf(grants); !slices.Equal(chains, tt.chains) {
				t.Errorf("chains = %q, want %q", chains, tt.chains)
			}
		})
	}
}

func chainsOf(gs []Grant) []string {
	var out []string
	for _, g := range gs {
		b := g.BindingKind + " "
		if g.BindingNamespace != "" {
			b += g.BindingNamespace + "/"
		}
		s := fmt.Sprintf("%s%s -> %s %s rules[%d]", b, g.Binding, g.RoleKind, g.Role, g.RuleIndex)
		if len(g.ViaAggregation) > 0 {
			s += " via " + strings.Join(g.ViaAggregation, ",")
		}
		out = append(out, s)
	}
	return out
}

// answersOf renders answers as "Subject @scope: chain; chain".
func answersOf(as []Answer) []string {
	var out []string
	for _, a := range as {
		scope := a.Namespace
		if scope == "" {
			scope = "cluster"
		}
		out = append(out, a.Subject.String()+" @"+scope+": "+strings.Join(chainsOf(a.Grants), "; "))
	}
	return out
}

func TestWhoCan(t *testing.T) {
	m := fixture()
	tests := []struct {
		name string
		req  Request
		want []string
	}{
		{"create cronjobs in team", Request{Verb: "create", APIGroup: "batch", Resource: "cronjobs", Namespace: "team"}, l(
			"Group admins @cluster: ClusterRoleBinding admins -> ClusterRole cluster-admin rules[0]",
			"ServiceAccount build/builder @team: RoleBinding team/remote-sa -> Role cron-admin rules[0]",
			"User alice @team: RoleBinding team/alice-cron -> Role cron-admin rules[0]",
			"User root @cluster: ClusterRoleBinding admins -> ClusterRole cluster-admin rules[0]",
		)},
		{"create cronjobs in all namespaces", Request{Verb: "create", APIGroup: "batch", Resource: "cronjobs"}, l(
			"Group admins @cluster: ClusterRoleBinding admins -> ClusterRole cluster-admin rules[0]",
			"ServiceAccount build/builder @team: RoleBinding team/remote-sa -> Role cron-admin rules[0]",
			"User alice @team: RoleBinding team/alice-cron -> Role cron-admin rules[0]",
			"User root @cluster: ClusterRoleBinding admins -> ClusterRole cluster-admin rules[0]",
		)},
		{"create deployments in all namespaces", Request{Verb: "create", APIGroup: "apps", Resource: "deployments"}, l(
			"Group admins @cluster: ClusterRoleBinding admins -> ClusterRole cluster-admin rules[0]",
			"Group team-devs @team: RoleBinding team/deployer -> ClusterRole deployer rules[0]",
			"ServiceAccount team/ci @team: RoleBinding team/deployer -> ClusterRole deployer rules[0]",
			"User root @cluster: ClusterRoleBinding admins -> ClusterRole cluster-admin rules[0]",
		)},
		{"create deployments in other", Request{Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "other"}, l(
			"Group admins @cluster: ClusterRoleBinding admins -> ClusterRole cluster-admin rules[0]",
			"User root @cluster: ClusterRoleBinding admins -> ClusterRole cluster-admin rules[0]",
		)},
		{"patch scale", Request{Verb: "patch", APIGroup: "apps", Resource: "statefulsets", Subresource: "scale", Namespace: "team"}, l(
			"Group admins @cluster: ClusterRoleBinding admins -> ClusterRole cluster-admin rules[0]",
			"Group system:serviceaccounts:ops @cluster: ClusterRoleBinding scalers -> ClusterRole scaler rules[0]",
			"User root @cluster: ClusterRoleBinding admins -> ClusterRole cluster-admin rules[0]",
		)},
		{"URL", Request{Verb: "get", NonResourceURL: "/healthz"}, l(
			"Group admins @cluster: ClusterRoleBinding admins -> ClusterRole cluster-admin rules[1]",
			"Group system:authenticated @cluster: ClusterRoleBinding health -> ClusterRole health rules[0]",
			"User root @cluster: ClusterRoleBinding admins -> ClusterRole cluster-admin rules[1]",
		)},
		{"named patch", Request{Verb: "patch", APIGroup: "batch", Resource: "cronjobs", Name: "nightly", Namespace: "team"}, l(
			"Group admins @cluster: ClusterRoleBinding admins -> ClusterRole cluster-admin rules[0]",
			"ServiceAccount build/builder @team: RoleBinding team/remote-sa -> Role cron-admin rules[0]",
			"User alice @team: RoleBinding team/alice-cron -> Role cron-admin rules[0]",
			"User dave @team: RoleBinding team/dave-nightly -> Role nightly rules[0]",
			"User root @cluster: ClusterRoleBinding admins -> ClusterRole cluster-admin rules[0]",
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := answersOf(m.WhoCan(tt.req))
			if !slices.Equal(got, tt.want) {
				t.Errorf("WhoCan(%s) =\n  %s\nwant\n  %s", tt.req, strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestWhoCanReportsEverySubjectAndRule(t *testing.T) {
	m := NewModel(
		[]*rbacv1.Role{mkRole("ns", "r",
			rule(l("create"), l("batch"), l("cronjobs")),
			rule(l("get"), l("*"), l("*")),
			rule(l("*"), l("batch"), l("*")))},
		nil,
		[]*rbacv1.RoleBinding{mkRB("ns", "b", KindRole, "r", user("u"), user("u"), group("g"))},
		nil)
	got := answersOf(m.WhoCan(Request{Verb: "create", APIGroup: "batch", Resource: "cronjobs", Namespace: "ns"}))
	want := l(
		"Group g @ns: RoleBinding ns/b -> Role r rules[0]; RoleBinding ns/b -> Role r rules[2]",
		"User u @ns: RoleBinding ns/b -> Role r rules[0]; RoleBinding ns/b -> Role r rules[2]",
	)
	if !slices.Equal(got, want) {
		t.Errorf("WhoCan = %q, want %q", got, want)
	}
}

func TestProblems(t *testing.T) {
	roles := []*rbacv1.Role{
		mkRole("ns", "r",
			rbacv1.PolicyRule{APIGroups: l("batch"), Resources: l("cronjobs")},
			rule(l("create"), l("batch"), l("cronjob")),
			rule(l("create"), l(""), l("deployments")),
			rule(l("get"), nil, nil),
			urlRule(l("get"), "/healthz")),
		mkRole("", "nons"),
		mkRole("ns", "dup"), mkRole("ns", "dup"),
	}
	clusterRoles := []*rbacv1.ClusterRole{
		mkClusterRole("odd", nil, rule(l("get"), l("core"), l("Pods")), urlRule(l("get"), "healthz")),
		nil,
	}
	rbs := []*rbacv1.RoleBinding{
		mkRB("ns", "to-missing-role", KindRole, "nope", user("u")),
		mkRB("ns", "to-missing-cr", KindClusterRole, "nope", user("u")),
		mkRB("ns", "bad-kind", "Group", "x", user("u")),
		mkRB("ns", "bad-subject", KindRole, "r", rbacv1.Subject{Kind: "Robot", Name: "r2"}, user("")),
		mkRB("", "nons", KindRole, "r", user("u")),
		mkRB("ns", "no-subjects", KindRole, "r"),
		nil,
	}
	crbs := []*rbacv1.ClusterRoleBinding{
		mkCRB("sa-without-ns", "odd", sa("", "x")),
		{ObjectMeta: metav1.ObjectMeta{Name: "crb-to-role"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: KindRole, Name: "r"}, Subjects: []rbacv1.Subject{user("u")}},
		{ObjectMeta: metav1.ObjectMeta{Name: "bad-group"}, RoleRef: rbacv1.RoleRef{APIGroup: "rbac", Kind: KindClusterRole, Name: "odd"}, Subjects: []rbacv1.Subject{user("u")}},
	}
	m := NewModel(roles, clusterRoles, rbs, crbs)
	var got []string
	for _, p := range m.Problems() {
		got = append(got, p.String())
	}
	want := []string{
		`Role ns/dup: duplicate Role: the last one is used`,
		`Role ns/r: rules[0].verbs: rule has no verbs: it grants nothing (and the API server rejects it)`,
		`Role ns/r: rules[1].resources: "cronjob" is a singular or short name: the API server matches plural resource names only ("cronjobs")`,
		`Role ns/r: rules[2].apiGroups: "deployments" is in API group "apps", which the rule does not list, so it grants nothing on it`,
		`Role ns/r: rules[3].apiGroups: resource rule has no apiGroups and grants nothing`,
		`Role ns/r: rules[3].resources: resource rule has no resources and grants nothing`,
		`Role ns/r: rules[4].nonResourceURLs: a Role cannot grant non-resource URLs (the API server rejects it)`,
		`Role nons: metadata.namespace: Role has no namespace: it takes the namespace it is created in, and the model cannot bind it`,
		`ClusterRole odd: rules[0].resources: "Pods" has upper case letters: resource names are lower case, so it matches nothing`,
		`ClusterRole odd: rules[0].apiGroups: API group "core" does not exist: the core group is ""`,
		`ClusterRole odd: rules[1].nonResourceURLs: "healthz" does not start with "/" and matches no request path`,
		`ClusterRoleBinding sa-without-ns: subjects[0].namespace: ServiceAccount "x" has no namespace; in a ClusterRoleBinding it matches nobody`,
		`ClusterRoleBinding crb-to-role: roleRef.kind: a ClusterRoleBinding cannot reference a Role ("r"); it grants nothing`,
		`ClusterRoleBinding bad-group: roleRef.apiGroup: roleRef.apiGroup is "rbac", want "rbac.authorization.k8s.io" (the API server rejects the binding)`,
		`RoleBinding ns/to-missing-role: roleRef: Role "nope" does not exist in namespace "ns": the binding grants nothing until a Role of that name is created`,
		`RoleBinding ns/to-missing-cr: roleRef: ClusterRole "nope" does not exist: the binding grants nothing until a ClusterRole of that name is created`,
		`RoleBinding ns/bad-kind: roleRef.kind: unsupported roleRef.kind "Group" (want Role or ClusterRole); the binding grants nothing`,
		`RoleBinding ns/bad-subject: subjects[0].kind: unsupported subject kind "Robot" (want User, Group or ServiceAccount); it matches nobody`,
		`RoleBinding ns/bad-subject: subjects[1].name: subject has no name`,
		`RoleBinding nons: metadata.namespace: RoleBinding has no namespace: it takes the namespace it is created in, and grants nothing in the model`,
		`RoleBinding ns/no-subjects: subjects: binding has no subjects`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("Problems() =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	// A broken model still answers, and grants nothing through what is broken.
	if ok, _ := m.Allows("u", nil, Request{Verb: "get", Resource: "pods", Namespace: "ns"}); ok {
		t.Errorf("broken bindings granted get pods")
	}
	if ok, _ := m.Allows("system:serviceaccount:ns:x", nil, Request{Verb: "get", NonResourceURL: "healthz"}); ok {
		t.Errorf("ClusterRoleBinding ServiceAccount without namespace granted a request")
	}
}

func TestNilAndEmptyModel(t *testing.T) {
	var m *Model
	if ok, g := m.Allows("u", nil, Request{Verb: "get"}); ok || g != nil {
		t.Errorf("nil model Allows = %v, %v", ok, g)
	}
	if a := m.WhoCan(Request{Verb: "get"}); a != nil {
		t.Errorf("nil model WhoCan = %v", a)
	}
	e := NewModel(nil, nil, nil, nil)
	if ok, _ := e.Allows("u", l("g"), Request{Verb: "get", Resource: "pods"}); ok {
		t.Errorf("empty model allowed")
	}
	if a := e.WhoCan(Request{Verb: "get", NonResourceURL: "/"}); len(a) != 0 || len(e.Problems()) != 0 {
		t.Errorf("empty model: %v, %v", a, e.Problems())
	}
}

func TestDuplicateBindingLastWins(t *testing.T) {
	m := NewModel(
		[]*rbacv1.Role{mkRole("ns", "r", rule(l("*"), l("*"), l("*")))}, nil,
		[]*rbacv1.RoleBinding{mkRB("ns", "b", KindRole, "r", user("old")), mkRB("ns", "b", KindRole, "r", user("new"))}, nil)
	req := Request{Verb: "get", Resource: "pods", Namespace: "ns"}
	if ok, _ := m.Allows("old", nil, req); ok {
		t.Errorf("the replaced binding still grants")
	}
	if ok, _ := m.Allows("new", nil, req); !ok {
		t.Errorf("the last binding does not grant")
	}
}

func TestServiceAccountUserNameSplits(t *testing.T) {
	// Names with colons are invalid, but the authorizer compares "system:serviceaccount:NS:NAME"
	// textually, so both readings of an ambiguous user name match.
	m := NewModel(nil, []*rbacv1.ClusterRole{mkClusterRole("all", nil, rule(l("*"), l("*"), l("*")))}, nil,
		[]*rbacv1.ClusterRoleBinding{
			mkCRB("one", "all", sa("a:b", "c")),
			mkCRB("two", "all", sa("a", "b:c")),
			mkCRB("three", "all", sa("a", "b")),
		})
	_, grants := m.Allows("system:serviceaccount:a:b:c", nil, Request{Verb: "get", Resource: "pods"})
	want := l("ClusterRoleBinding one -> ClusterRole all rules[0]", "ClusterRoleBinding two -> ClusterRole all rules[0]")
	if got := chainsOf(grants); !slices.Equal(got, want) {
		t.Errorf("grants = %q, want %q", got, want)
	}
	if ok, _ := m.Allows("system:serviceaccount:ab", nil, Request{Verb: "get", Resource: "pods"}); ok {
		t.Error("a user name without a namespace separator matched")
	}
}

func TestConcurrentQueries(t *testing.T) {
	c := RandomConfig(3, 100)
	m := c.Model()
	reqs := RandomRequests(3, 50, c)
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for _, req := range reqs {
				m.WhoCan(req)
				for _, id := range c.Identities[:5] {
					m.Allows(id.User, id.Groups, req)
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}

package rbac

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/manifest"
)

// parse reads YAML documents as the scan's loader does, from a file named rbac.yaml.
func parse(t testing.TB, docs ...string) []*input.Object {
	t.Helper()
	objs, errs := manifest.Parse("rbac.yaml", []byte(strings.Join(docs, "\n---\n")), manifest.Options{})
	if len(errs) > 0 {
		t.Fatalf("bad test manifests: %v", errs)
	}
	return objs
}

// YAML builders for review tests.
func yClusterRole(name, rules string) string {
	return "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: " + name + "}\nrules:\n" + rules
}

func yRole(ns, name, rules string) string {
	return "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: " + name + ", namespace: " + ns + "}\nrules:\n" + rules
}

func yCRB(name, role, subjects string) string {
	return "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: " + name + "}\n" +
		"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: " + role + "}\nsubjects:\n" + subjects
}

func yRB(ns, name, kind, role, subjects string) string {
	return "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: " + name + ", namespace: " + ns + "}\n" +
		"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: " + kind + ", name: " + role + "}\nsubjects:\n" + subjects
}

func yUser(name string) string {
	return "- {kind: User, apiGroup: rbac.authorization.k8s.io, name: '" + name + "'}\n"
}
func yGroup(name string) string {
	return "- {kind: Group, apiGroup: rbac.authorization.k8s.io, name: '" + name + "'}\n"
}
func ySA(ns, name string) string {
	return "- {kind: ServiceAccount, name: " + name + ", namespace: " + ns + "}\n"
}

func yRule(groups, resources, verbs string) string {
	return "- {apiGroups: [" + groups + "], resources: [" + resources + "], verbs: [" + verbs + "]}\n"
}

// summary renders a finding as "rule severity Kind ns/name path: message".
func summary(f finding.Finding) string {
	s := fmt.Sprintf("%s %s %s", f.Rule, f.Severity, f.Resource.String())
	if f.Resource.Path != "" {
		s += " " + f.Resource.Path
	}
	if f.Suppressed {
		s += " (suppressed)"
	}
	return s + ": " + f.Message
}

func summaries(fs []finding.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = summary(f)
	}
	return out
}

func TestReview(t *testing.T) {
	createCJ := yRule("batch", "cronjobs", "create")
	tests := []struct {
		name string
		docs []string
		opts ReviewOptions
		// want lists substrings, each of which one finding's summary must contain, in order of
		// the findings; the number of findings must match.
		want []string
	}{
		{"nothing", nil, ReviewOptions{}, nil},
		{"anonymous can create cronjobs",
			[]string{yClusterRole("cron", createCJ), yCRB("anon", "cron", yGroup("system:unauthenticated"))}, ReviewOptions{},
			[]string{`rbac-anonymous-can-run-workloads critical ClusterRoleBinding anon subjects[0]: Group "system:unauthenticated" (anonymous requests) can create cronjobs.batch cluster-wide through ClusterRoleBinding "anon" -> ClusterRole "cron" (rules[0])`}},
		{"user system:anonymous",
			[]string{yClusterRole("cron", createCJ), yCRB("anon", "cron", yUser("system:anonymous"))}, ReviewOptions{},
			[]string{`rbac-anonymous-can-run-workloads critical`}},
		{"all authenticated in a namespace is still critical",
			[]string{yClusterRole("cron", createCJ), yRB("prod", "all", "ClusterRole", "cron", yGroup("system:authenticated"))}, ReviewOptions{},
			[]string{`rbac-authenticated-can-run-workloads critical RoleBinding prod/all subjects[0]: Group "system:authenticated" (every authenticated user and service account) can create cronjobs.batch in namespace "prod"`}},
		{"user cluster-wide is high",
			[]string{yClusterRole("cron", createCJ), yCRB("bob", "cron", yUser("bob"))}, ReviewOptions{},
			[]string{`rbac-can-run-workloads high ClusterRoleBinding bob subjects[0]: User "bob" can create cronjobs.batch cluster-wide`}},
		{"user in a namespace is medium",
			[]string{yRole("prod", "cron", createCJ), yRB("prod", "bob", "Role", "cron", yUser("bob"))}, ReviewOptions{},
			[]string{`rbac-can-run-workloads medium RoleBinding prod/bob subjects[0]: User "bob" can create cronjobs.batch in namespace "prod" through RoleBinding "prod/bob" -> Role "cron" (rules[0])`}},
		{"verbs grouped per resource",
			[]string{yClusterRole("w", yRule("batch", "cronjobs, jobs", "create, patch")+yRule("''", "pods/exec", "create")), yCRB("w", "w", yUser("bob"))}, ReviewOptions{},
			[]string{`User "bob" can create, patch cronjobs.batch, jobs.batch; create pods/exec cluster-wide`}},
		{"wildcards",
			[]string{yClusterRole("god", yRule("'*'", "'*'", "'*'")), yCRB("god", "god", yUser("bob"))}, ReviewOptions{},
			[]string{`rbac-can-run-workloads high ClusterRoleBinding god subjects[0]: User "bob" can create, update, patch cronjobs.batch, jobs.batch, pods, deployments.apps, daemonsets.apps, statefulsets.apps, replicasets.apps, replicationcontrollers, podtemplates; update, patch pods/ephemeralcontainers; create pods/exec, pods/attach cluster-wide`,
				`rbac-escalate-or-bind high`, `rbac-impersonate high`, `rbac-create-token high`, `rbac-read-secrets high`, `rbac-nodes-proxy high`, `rbac-admission-control high`}},
		{"system:masters is an administrator",
			[]string{yClusterRole("cron", createCJ), yCRB("m", "cron", yGroup("system:masters"))}, ReviewOptions{}, nil},
		{"cluster-admin holders are administrators",
			[]string{yClusterRole("cron", createCJ), yCRB("ca", "cluster-admin", yUser("root")), yCRB("root-cron", "cron", yUser("root"))}, ReviewOptions{},
			[]string{`rbac-misconfiguration low ClusterRoleBinding ca roleRef: roleRef: ClusterRole "cluster-admin" does not exist`}},
		{"cluster-admin in a namespace is not an administrator",
			[]string{yClusterRole("cluster-admin", yRule("'*'", "'*'", "'*'")), yRB("prod", "ca", "ClusterRole", "cluster-admin", yUser("root"))}, ReviewOptions{},
			[]string{`rbac-can-run-workloads medium RoleBinding prod/ca`, `rbac-escalate-or-bind high RoleBinding prod/ca`, `rbac-impersonate high RoleBinding prod/ca subjects[0]: User "root" can impersonate serviceaccounts in namespace "prod"`,
				`rbac-create-token high`, `rbac-read-secrets high`}},
		{"admin users and groups from options",
			[]string{yClusterRole("cron", createCJ), yCRB("a", "cron", yUser("alice")+yGroup("ops")+ySA("ci", "deployer"))},
			ReviewOptions{AdminUsers: []string{"alice", "system:serviceaccount:ci:deployer"}, AdminGroups: []string{"ops"}}, nil},
		{"admin groups replace system:masters",
			[]string{yClusterRole("cron", createCJ), yCRB("m", "cron", yGroup("system:masters"))}, ReviewOptions{AdminGroups: []string{"ops"}},
			[]string{`rbac-can-run-workloads high ClusterRoleBinding m subjects[0]: Group "system:masters"`}},
		{"no admin roles",
			[]string{yClusterRole("cron", createCJ), yClusterRole("cluster-admin", yRule("'*'", "'*'", "'*'")), yCRB("ca", "cluster-admin", yGroup("system:masters")), yCRB("c", "cron", yUser("root")), yCRB("r", "cluster-admin", yUser("root"))},
			ReviewOptions{AdminRoles: []string{}},
			[]string{`rbac-can-run-workloads high ClusterRoleBinding c`, `rbac-can-run-workloads high ClusterRoleBinding r`, `rbac-escalate-or-bind high ClusterRoleBinding r`, `rbac-impersonate`, `rbac-create-token`, `rbac-read-secrets`, `rbac-nodes-proxy`, `rbac-admission-control`}},
		{"system:authenticated is never an administrator",
			[]string{yClusterRole("cron", createCJ), yCRB("ca", "cluster-admin", yGroup("system:authenticated")), yCRB("c", "cron", yGroup("system:authenticated"))}, ReviewOptions{},
			[]string{`rbac-authenticated-can-run-workloads critical ClusterRoleBinding c`, `rbac-misconfiguration`}},
		{"singular resource grants nothing",
			[]string{yClusterRole("cron", yRule("batch", "cronjob", "create")), yCRB("bob", "cron", yUser("bob"))}, ReviewOptions{},
			[]string{`rbac-misconfiguration low ClusterRole cron rules[0].resources: rules[0].resources: "cronjob" is a singular or short name`}},
		{"deployments in the core group grant nothing",
			[]string{yClusterRole("dep", yRule("''", "deployments", "create")), yCRB("bob", "dep", yUser("bob"))}, ReviewOptions{},
			[]string{`rbac-misconfiguration low ClusterRole dep rules[0].apiGroups: rules[0].apiGroups: "deployments" is in API group "apps"`}},
		{"deployments in the apps group",
			[]string{yClusterRole("dep", yRule("apps", "deployments", "update")), yCRB("bob", "dep", yUser("bob"))}, ReviewOptions{},
			[]string{`User "bob" can update deployments.apps cluster-wide`}},
		{"aggregated ClusterRole",
			[]string{"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: agg}\naggregationRule:\n  clusterRoleSelectors:\n  - matchLabels: {acme.io/agg: 'true'}\nrules: []\n",
				"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: part, labels: {acme.io/agg: 'true'}}\nrules:\n" + yRule("apps", "daemonsets", "patch"),
				yCRB("agg", "agg", yUser("bob"))}, ReviewOptions{},
			[]string{`User "bob" can patch daemonsets.apps cluster-wide through ClusterRoleBinding "agg" -> ClusterRole "agg" (rules[0] aggregated from ClusterRole "part")`}},
		{"named patch of a cronjob runs code",
			[]string{yRole("prod", "nightly", "- {apiGroups: [batch], resources: [cronjobs], resourceNames: [nightly], verbs: [patch]}\n"), yRB("prod", "bob", "Role", "nightly", yUser("bob"))}, ReviewOptions{},
			[]string{`rbac-can-run-workloads medium RoleBinding prod/bob subjects[0]: User "bob" can patch cronjobs.batch named "nightly" in namespace "prod"`}},
		{"escalate on roles in a namespace",
			[]string{yRole("prod", "esc", yRule("rbac.authorization.k8s.io", "roles", "escalate")), yRB("prod", "esc", "Role", "esc", yUser("bob"))}, ReviewOptions{},
			[]string{`rbac-escalate-or-bind high RoleBinding prod/esc subjects[0]: User "bob" can escalate roles.rbac.authorization.k8s.io in namespace "prod"`}},
		{"bind clusterroles through a RoleBinding",
			[]string{yClusterRole("binder", yRule("rbac.authorization.k8s.io", "clusterroles", "bind")), yRB("prod", "b", "ClusterRole", "binder", yUser("bob"))}, ReviewOptions{},
			[]string{`rbac-escalate-or-bind high RoleBinding prod/b subjects[0]: User "bob" can bind clusterroles.rbac.authorization.k8s.io in namespace "prod"`}},
		{"escalate clusterroles through a RoleBinding does nothing",
			[]string{yClusterRole("esc", yRule("rbac.authorization.k8s.io", "clusterroles", "escalate")), yRB("prod", "e", "ClusterRole", "esc", yUser("bob"))}, ReviewOptions{}, nil},
		{"bind restricted by resourceNames is not reported",
			[]string{yClusterRole("binder", "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], resourceNames: [view], verbs: [bind]}\n"), yCRB("b", "binder", yUser("bob"))}, ReviewOptions{}, nil},
		{"impersonate users",
			[]string{yClusterRole("imp", yRule("''", "users, groups", "impersonate")), yCRB("imp", "imp", yUser("bob"))}, ReviewOptions{},
			[]string{`rbac-impersonate high ClusterRoleBinding imp subjects[0]: User "bob" can impersonate users, groups cluster-wide`}},
		{"impersonate users through a RoleBinding does nothing",
			[]string{yClusterRole("imp", yRule("''", "users", "impersonate")), yRB("prod", "imp", "ClusterRole", "imp", yUser("bob"))}, ReviewOptions{}, nil},
		{"service account tokens",
			[]string{yRole("prod", "tok", yRule("''", "serviceaccounts/token", "create")), yRB("prod", "tok", "Role", "tok", yUser("bob"))}, ReviewOptions{},
			[]string{`rbac-create-token high RoleBinding prod/tok subjects[0]: User "bob" can create serviceaccounts/token in namespace "prod"`}},
		{"read secrets",
			[]string{yClusterRole("sec", yRule("''", "secrets", "list, watch")), yCRB("sec", "sec", yGroup("readers"))}, ReviewOptions{},
			[]string{`rbac-read-secrets high ClusterRoleBinding sec subjects[0]: Group "readers" can list, watch secrets cluster-wide`}},
		{"read secrets by everyone is critical",
			[]string{yClusterRole("sec", yRule("''", "secrets", "get")), yCRB("sec", "sec", yGroup("system:authenticated"))}, ReviewOptions{},
			[]string{`rbac-read-secrets critical ClusterRoleBinding sec`}},
		{"nodes/proxy",
			[]string{yClusterRole("np", yRule("''", "nodes/proxy", "get")), yCRB("np", "np", ySA("monitoring", "agent"))}, ReviewOptions{},
			[]string{`rbac-nodes-proxy high ClusterRoleBinding np subjects[0]: ServiceAccount "monitoring/agent" can get nodes/proxy cluster-wide`}},
		{"nodes/metrics is harmless",
			[]string{yClusterRole("nm", yRule("''", "nodes/metrics, nodes/stats", "get")), yCRB("nm", "nm", ySA("monitoring", "agent"))}, ReviewOptions{}, nil},
		{"admission webhooks",
			[]string{yClusterRole("wh", yRule("admissionregistration.k8s.io", "validatingwebhookconfigurations", "delete")), yCRB("wh", "wh", yUser("bob"))}, ReviewOptions{},
			[]string{`rbac-admission-control high ClusterRoleBinding wh subjects[0]: User "bob" can delete validatingwebhookconfigurations.admissionregistration.k8s.io cluster-wide`}},
		{"admission policies",
			[]string{yClusterRole("vap", yRule("admissionregistration.k8s.io", "validatingadmissionpolicies, validatingadmissionpolicybindings", "create, update")), yCRB("vap", "vap", yUser("bob"))}, ReviewOptions{},
			[]string{`rbac-admission-control high ClusterRoleBinding vap subjects[0]: User "bob" can create, update validatingadmissionpolicies.admissionregistration.k8s.io, validatingadmissionpolicybindings.admissionregistration.k8s.io cluster-wide`}},
		{"pods in a namespace with a more powerful service account",
			[]string{yRole("team", "pods", yRule("''", "pods", "create")), yRB("team", "bob", "Role", "pods", yUser("bob")),
				yClusterRole("deployer", yRule("apps", "deployments", "create")), yCRB("deployer", "deployer", ySA("team", "deployer"))}, ReviewOptions{},
			[]string{`rbac-can-run-workloads high ClusterRoleBinding deployer`,
				`rbac-can-run-workloads medium RoleBinding team/bob`,
				`rbac-run-as-powerful-service-account high RoleBinding team/bob subjects[0]: User "bob" can create pods in namespace "team" through RoleBinding "team/bob" -> Role "pods" (rules[0]), so it can run pods as service account "team/deployer" (create or change workloads cluster-wide), which may do more than it`}},
		{"service account with what the pod creator has anyway",
			[]string{yRole("team", "pods", yRule("''", "pods", "create")), yRB("team", "bob", "Role", "pods", yUser("bob")),
				yRole("team", "sec", yRule("''", "secrets", "get")), yRB("team", "reader", "Role", "sec", ySA("team", "reader"))}, ReviewOptions{},
			[]string{`rbac-can-run-workloads medium RoleBinding team/bob`, `rbac-read-secrets high RoleBinding team/reader`}},
		{"service account powers through its namespace group",
			[]string{yRole("team", "pods", yRule("''", "pods", "create")), yRB("team", "bob", "Role", "pods", yUser("bob")),
				yClusterRole("np", yRule("''", "nodes/proxy", "get")), yCRB("np", "np", yGroup("system:serviceaccounts:team"))}, ReviewOptions{},
			[]string{`rbac-can-run-workloads medium RoleBinding team/bob`,
				`rbac-nodes-proxy high ClusterRoleBinding np subjects[0]: Group "system:serviceaccounts:team" (every service account of namespace "team")`,
				`rbac-run-as-powerful-service-account high RoleBinding team/bob subjects[0]: User "bob" can create pods in namespace "team" through RoleBinding "team/bob" -> Role "pods" (rules[0]), so it can run pods as service account "team/default" (reach the kubelet API (nodes/proxy) cluster-wide)`}},
		{"system components are administrators by default",
			[]string{yClusterRole("system:controller:job-controller", yRule("''", "pods", "create")),
				"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: 'system:controller:job-controller', labels: {kubernetes.io/bootstrapping: rbac-defaults}}\n" +
					"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: 'system:controller:job-controller'}\nsubjects:\n" + ySA("kube-system", "job-controller")},
			ReviewOptions{}, nil},
		{"system components reviewed on request",
			[]string{yClusterRole("system:controller:job-controller", yRule("''", "pods", "create")),
				"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: 'system:controller:job-controller', labels: {kubernetes.io/bootstrapping: rbac-defaults}}\n" +
					"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: 'system:controller:job-controller'}\nsubjects:\n" + ySA("kube-system", "job-controller")},
			ReviewOptions{IncludeSystem: true},
			[]string{`rbac-can-run-workloads high ClusterRoleBinding system:controller:job-controller`}},
		{"the bootstrap label does not make a user a system component",
			[]string{yClusterRole("cron", createCJ),
				"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: sneaky, labels: {kubernetes.io/bootstrapping: rbac-defaults}}\n" +
					"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cron}\nsubjects:\n" + yUser("mallory")},
			ReviewOptions{}, []string{`rbac-can-run-workloads high ClusterRoleBinding sneaky`}},
		{"the API server's own objects are as it means them",
			[]string{"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: 'system:node', labels: {kubernetes.io/bootstrapping: rbac-defaults}}\n" +
				"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: 'system:node'}\n", yClusterRole("system:node", yRule("''", "pods", "get"))},
			ReviewOptions{}, nil},
		{"suppressed by annotation",
			[]string{yClusterRole("cron", createCJ),
				"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ci, annotations: {jobguard.io/ignore: rbac-can-run-workloads, jobguard.io/ignore-reason: the CI deployer}}\n" +
					"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cron}\nsubjects:\n" + yUser("ci")},
			ReviewOptions{}, []string{`rbac-can-run-workloads high ClusterRoleBinding ci subjects[0] (suppressed)`}},
		{"binding to a missing role",
			[]string{yRB("prod", "x", "Role", "nope", yUser("bob"))}, ReviewOptions{},
			[]string{`rbac-misconfiguration low RoleBinding prod/x roleRef: roleRef: Role "nope" does not exist in namespace "prod"`}},
		{"binding to a role that could not be read",
			[]string{yRB("prod", "x", "Role", "nope", yUser("bob")), yCRB("y", "nope", yUser("bob"))},
			ReviewOptions{Unreadable: func(kind, ns string) bool { return kind == "ClusterRole" || ns == "prod" }}, nil},
		{"rule without verbs",
			[]string{yClusterRole("empty", "- {apiGroups: [batch], resources: [cronjobs], verbs: []}\n"), yCRB("e", "empty", yUser("bob"))}, ReviewOptions{},
			[]string{`rbac-misconfiguration low ClusterRole empty rules[0].verbs: rules[0].verbs: rule has no verbs: it grants nothing (and the API server rejects it)`}},
		{"binding without namespace lands in default",
			[]string{"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: nons}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cron}\nsubjects:\n" + yUser("bob"),
				yClusterRole("cron", createCJ)}, ReviewOptions{},
			[]string{`rbac-can-run-workloads medium RoleBinding default/nons subjects[0]: User "bob" can create cronjobs.batch in namespace "default"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var objs []*input.Object
			if len(tt.docs) > 0 {
				objs = parse(t, tt.docs...)
			}
			res := Review(objs, tt.opts)
			got := summaries(res.Findings)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d findings, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("finding %d:\n got %s\nwant it to contain %s", i, got[i], w)
				}
			}
			for _, f := range res.Findings {
				if f.Category != finding.CategoryIdentity || f.Title == "" || f.Remediation == "" ||
					!slices.Equal(f.Attack, []string{"T1053.007", "T1078", "T1098"}) || !slices.Equal(f.Mitigations, []string{"M1018", "M1026"}) {
					t.Errorf("finding metadata incomplete: %+v", f)
				}
			}
		})
	}
}

func TestReviewLocations(t *testing.T) {
	objs := parse(t,
		yClusterRole("cron", yRule("batch", "cronjobs", "create")),
		yCRB("two", "cron", yUser("alice")+yUser("bob")),
	)
	res := Review(objs, ReviewOptions{})
	if len(res.Findings) != 2 {
		t.Fatalf("want 2 findings, got %s", strings.Join(summaries(res.Findings), "\n"))
	}
	// The ClusterRole takes lines 1-6 (its last line is empty), the separator line 7; the binding
	// starts on line 8, its subjects on lines 13 and 14.
	for i, wantLine := range []int{13, 14} {
		r := res.Findings[i].Resource
		if r.File != "rbac.yaml" || r.Line != wantLine || r.Kind != "ClusterRoleBinding" || r.APIVersion != "rbac.authorization.k8s.io/v1" {
			t.Errorf("finding %d at %+v, want rbac.yaml:%d", i, r, wantLine)
		}
	}
	if res.Bindings != 1 || res.Workloads != 0 {
		t.Errorf("counted %d bindings, %d workloads", res.Bindings, res.Workloads)
	}
}

func TestReviewWorkloadThatPlantsJobs(t *testing.T) {
	cron := func(ns, sa string) string {
		spec := "containers: [{name: c, image: x}]"
		if sa != "" {
			spec = "serviceAccountName: " + sa + "\n          " + spec
		}
		return "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: planter, namespace: " + ns + "}\nspec:\n  schedule: '* * * * *'\n" +
			"  jobTemplate:\n    spec:\n      template:\n        spec:\n          " + spec + "\n"
	}
	jobs := yRole("ci", "jobs", yRule("batch", "jobs", "create"))
	tests := []struct {
		name string
		docs []string
		want string // "" = no finding on the CronJob
	}{
		{"own service account creates jobs", []string{cron("ci", "builder"), jobs, yRB("ci", "b", "Role", "jobs", ySA("ci", "builder"))},
			`rbac-workload-can-run-workloads high CronJob ci/planter spec.jobTemplate.spec.template.spec.serviceAccountName: pod runs as service account "ci/builder", which can create jobs.batch in namespace "ci" through RoleBinding "ci/b" -> Role "jobs" (rules[0])`},
		{"default service account", []string{cron("ci", ""), jobs, yRB("ci", "b", "Role", "jobs", ySA("ci", "default"))},
			`rbac-workload-can-run-workloads high CronJob ci/planter spec.jobTemplate.spec.template.spec: pod runs as service account "ci/default" (none set: the namespace's default), which can create jobs.batch`},
		{"through the namespace's service account group", []string{cron("ci", "builder"), jobs, yRB("ci", "b", "Role", "jobs", yGroup("system:serviceaccounts:ci"))},
			`(subject Group system:serviceaccounts:ci)`},
		{"another service account", []string{cron("ci", "builder"), jobs, yRB("ci", "b", "Role", "jobs", ySA("ci", "other"))}, ""},
		{"the same name in another namespace", []string{cron("ci", "builder"), yClusterRole("jobs", yRule("batch", "jobs", "create")), yCRB("b", "jobs", ySA("other", "builder"))}, ""},
		{"a cluster-admin service account is flagged too", []string{cron("ci", "root"), yClusterRole("cluster-admin", yRule("'*'", "'*'", "'*'")), yCRB("ca", "cluster-admin", ySA("ci", "root"))},
			`pod runs as service account "ci/root", which can create, update, patch cronjobs.batch`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Review(parse(t, tt.docs...), ReviewOptions{})
			if res.Workloads != 1 {
				t.Errorf("counted %d workloads, want 1", res.Workloads)
			}
			var got []string
			for _, f := range res.Findings {
				if f.Rule == RuleWorkloadPlantsJobs {
					got = append(got, summary(f))
				}
			}
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("want no finding on the workload, got %q", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], tt.want) {
				t.Fatalf("got %q, want one containing %q", got, tt.want)
			}
		})
	}
}

func TestReviewRulesMetadata(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range ReviewRules() {
		if seen[r.ID] {
			t.Errorf("duplicate rule %s", r.ID)
		}
		seen[r.ID] = true
		if r.Category != finding.CategoryIdentity || r.Severity == finding.SeverityNone || r.Title == "" || r.Description == "" || r.Remediation == "" ||
			!slices.Equal(r.Attack, []string{"T1078", "T1098"}) || !slices.Equal(r.Mitigations, []string{"M1018", "M1026"}) {
			t.Errorf("incomplete rule %+v", r)
		}
	}
	for _, id := range capRule {
		if !seen[id] {
			t.Errorf("capability rule %s has no metadata", id)
		}
	}
}

// eachHit is WhoCan without the answers: both must name the same grants.
func TestEachHitAgreesWithWhoCan(t *testing.T) {
	c := RandomConfig(7, 300)
	m := c.Model()
	for _, req := range RandomRequests(8, 500, c) {
		if req.IsResourceRequest() && req.Name == "" && len(req.Namespace)%2 == 0 {
			req.Namespace = ""
		}
		want := map[string]bool{}
		for _, a := range m.WhoCan(req) {
			for _, g := range a.Grants {
				want[fmt.Sprintf("%s %s/%s/%s rules[%d]", a.Subject, g.BindingKind, g.BindingNamespace, g.Binding, g.RuleIndex)] = true
			}
		}
		got := map[string]bool{}
		m.eachHit(&req, func(bi, sid, k int32) {
			b := &m.bindings[bi]
			got[fmt.Sprintf("%s %s/%s/%s rules[%d]", m.subjectList[sid], b.kind, b.namespace, b.name, k)] = true
		})
		if len(got) != len(want) {
			t.Fatalf("%s: eachHit found %d grants, WhoCan %d", req, len(got), len(want))
		}
		for k := range want {
			if !got[k] {
				t.Fatalf("%s: eachHit misses %s", req, k)
			}
		}
	}
}

package rbac

import (
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func labelsOf(kv ...string) map[string]string { return matchLabels(kv...).MatchLabels }

var (
	ruleCJ     = rule(l("create"), l("batch"), l("cronjobs"))
	ruleDeploy = rule(l("create"), l("apps"), l("deployments"))
	ruleDS     = rule(l("create"), l("apps"), l("daemonsets"))
	rulePods   = rule(l("create"), l(""), l("pods"))
	ruleURL    = urlRule(l("get"), "/metrics")
)

var (
	reqCJ     = Request{Verb: "create", APIGroup: "batch", Resource: "cronjobs", Namespace: "ns"}
	reqDeploy = Request{Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "ns"}
	reqDS     = Request{Verb: "create", APIGroup: "apps", Resource: "daemonsets", Namespace: "ns"}
	reqPods   = Request{Verb: "create", Resource: "pods", Namespace: "ns"}
	reqURL    = Request{Verb: "get", NonResourceURL: "/metrics"}
)

// effective returns the effective rules of ClusterRole name as "rules[i] via a,b" strings.
func effective(t *testing.T, m *Model, name string) []string {
	t.Helper()
	i, ok := m.roleByKey[roleKey(KindClusterRole, "", name)]
	if !ok {
		t.Fatalf("no ClusterRole %q", name)
	}
	var out []string
	for _, r := range m.roles[i].rules {
		out = append(out, compact(&r.rule)+" via "+strings.Join(r.via, ","))
	}
	return out
}

func compact(r *rbacv1.PolicyRule) string {
	if len(r.NonResourceURLs) > 0 {
		return strings.Join(r.Verbs, ",") + " " + strings.Join(r.NonResourceURLs, ",")
	}
	return strings.Join(r.Verbs, ",") + " " + strings.Join(r.Resources, ",") + "." + strings.Join(r.APIGroups, ",")
}

func TestAggregation(t *testing.T) {
	ownRuleAgg := mkAggregated("with-own-rules", nil, matchLabels("agg", "a"))
	ownRuleAgg.Rules = []rbacv1.PolicyRule{rulePods}
	invalid := mkAggregated("invalid", nil, metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "agg", Operator: "Bogus"}}})
	invalid.Rules = []rbacv1.PolicyRule{rulePods}
	noSelectors := mkAggregated("no-selectors", nil)
	noSelectors.Rules = []rbacv1.PolicyRule{rulePods}

	clusterRoles := []*rbacv1.ClusterRole{
		// Listed out of name order: the controller gathers selected roles in name order.
		mkClusterRole("b-deploy", labelsOf("agg", "a"), ruleDeploy, ruleCJ),
		mkClusterRole("a-cron", labelsOf("agg", "a"), ruleCJ),
		mkClusterRole("c-ds", labelsOf("agg", "b"), ruleDS),
		mkClusterRole("d-url", labelsOf("agg", "b", "url", "yes"), ruleURL),
		mkAggregated("simple", nil, matchLabels("agg", "a")),
		mkAggregated("two-selectors", nil, matchLabels("agg", "b"), matchLabels("agg", "a")),
		mkAggregated("expressions", nil, metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "agg", Operator: metav1.LabelSelectorOpIn, Values: l("b")},
			{Key: "url", Operator: metav1.LabelSelectorOpDoesNotExist}}}),
		// Chains: top <- mid <- leaf roles; mid also carries the label it selects (it skips itself).
		mkAggregated("mid", labelsOf("tier", "mid", "agg", "b"), matchLabels("agg", "b")),
		mkAggregated("top", nil, matchLabels("tier", "mid"), matchLabels("agg", "a")),
		// A cycle: x selects y, y selects x; y also gathers a-cron/b-deploy.
		mkAggregated("x", labelsOf("cyc", "x"), matchLabels("cyc", "y")),
		mkAggregated("y", labelsOf("cyc", "y"), matchLabels("cyc", "x"), matchLabels("agg", "a")),
		// An empty selector selects every other ClusterRole.
		mkAggregated("everything", nil, metav1.LabelSelector{}),
		ownRuleAgg, invalid, noSelectors,
	}
	m := NewModel(nil, clusterRoles, nil, nil)

	tests := []struct {
		role string
		want []string
	}{
		{"simple", l("create cronjobs.batch via a-cron", "create deployments.apps via b-deploy")},
		{"two-selectors", l("create daemonsets.apps via c-ds", "get /metrics via d-url", "create cronjobs.batch via a-cron", "create deployments.apps via b-deploy")},
		{"expressions", l("create daemonsets.apps via c-ds", "get /metrics via mid,d-url")},
		{"mid", l("create daemonsets.apps via c-ds", "get /metrics via d-url")},
		{"top", l("create daemonsets.apps via mid,c-ds", "get /metrics via mid,d-url", "create cronjobs.batch via a-cron", "create deployments.apps via b-deploy")},
		{"x", l("create cronjobs.batch via y,a-cron", "create deployments.apps via y,b-deploy")},
		{"y", l("create cronjobs.batch via a-cron", "create deployments.apps via b-deploy")},
		{"with-own-rules", l("create cronjobs.batch via a-cron", "create deployments.apps via b-deploy")},
		{"invalid", l("create pods. via ")},
		{"no-selectors", nil},
	}
	for _, tt := range tests {
		if got := effective(t, m, tt.role); !slices.Equal(got, tt.want) {
			t.Errorf("rules of %s =\n  %s\nwant\n  %s", tt.role, strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
		}
	}
	// "everything" gathers from every role, aggregated ones included, without duplicates.
	ev := effective(t, m, "everything")
	if len(ev) != 5 || !slices.Contains(ev, "create pods. via invalid") {
		t.Errorf("rules of everything = %q", ev)
	}

	var problems []string
	for _, p := range m.Problems() {
		problems = append(problems, p.String())
	}
	for _, want := range []string{
		`ClusterRole invalid: aggregationRule.clusterRoleSelectors[0]: invalid selector`,
		`ClusterRole x: aggregationRule: aggregation cycle x -> y -> x`,
		`ClusterRole with-own-rules: rules: aggregated ClusterRole stores 1 rules that differ from the 2 rules`,
		`ClusterRole no-selectors: rules: aggregated ClusterRole stores 1 rules that differ from the 0 rules`,
	} {
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, want) }) {
			t.Errorf("no problem %q in\n  %s", want, strings.Join(problems, "\n  "))
		}
	}
	if len(problems) != 4 {
		t.Errorf("problems = %q, want 4", problems)
	}
}

func TestAggregatedRoleGrants(t *testing.T) {
	clusterRoles := []*rbacv1.ClusterRole{
		mkClusterRole("cron-editor", labelsOf("jobs", "true"), ruleCJ),
		mkClusterRole("ds-editor", labelsOf("leaf", "true"), ruleDS),
		mkAggregated("workloads", labelsOf("jobs", "true"), matchLabels("leaf", "true")),
		mkAggregated("jobs-admin", nil, matchLabels("jobs", "true")),
	}
	crbs := []*rbacv1.ClusterRoleBinding{mkCRB("ops", "jobs-admin", group("ops"))}
	rbs := []*rbacv1.RoleBinding{mkRB("ns", "dev", KindClusterRole, "jobs-admin", user("dev"))}
	m := NewModel(nil, clusterRoles, rbs, crbs)

	ok, grants := m.Allows("anyone", l("ops"), Request{Verb: "create", APIGroup: "apps", Resource: "daemonsets", Namespace: "x"})
	want := l("ClusterRoleBinding ops -> ClusterRole jobs-admin rules[1] via workloads,ds-editor")
	if got := chainsOf(grants); !ok || !slices.Equal(got, want) {
		t.Errorf("Allows = %v, %q; want %q", ok, got, want)
	}
	// Through a RoleBinding the aggregated role grants in its namespace only.
	if ok, _ := m.Allows("dev", nil, reqCJ); !ok {
		t.Errorf("dev cannot create cronjobs in ns")
	}
	if ok, _ := m.Allows("dev", nil, Request{Verb: "create", APIGroup: "batch", Resource: "cronjobs", Namespace: "other"}); ok {
		t.Errorf("dev can create cronjobs in other")
	}
	if ok, _ := m.Allows("dev", nil, reqPods); ok {
		t.Errorf("dev can create pods")
	}
	got := answersOf(m.WhoCan(Request{Verb: "create", APIGroup: "batch", Resource: "cronjobs"}))
	wantWho := l(
		"Group ops @cluster: ClusterRoleBinding ops -> ClusterRole jobs-admin rules[0] via cron-editor",
		"User dev @ns: RoleBinding ns/dev -> ClusterRole jobs-admin rules[0] via cron-editor",
	)
	if !slices.Equal(got, wantWho) {
		t.Errorf("WhoCan = %q, want %q", got, wantWho)
	}
}

func TestStoredAggregation(t *testing.T) {
	agg := mkAggregated("agg", nil, matchLabels("a", "b"))
	agg.Rules = []rbacv1.PolicyRule{rulePods}
	clusterRoles := []*rbacv1.ClusterRole{agg, mkClusterRole("base", labelsOf("a", "b"), ruleCJ)}
	crbs := []*rbacv1.ClusterRoleBinding{mkCRB("b", "agg", user("u"))}

	controller := NewModel(nil, clusterRoles, nil, crbs)
	stored := NewModelWithOptions(nil, clusterRoles, nil, crbs, Options{StoredAggregation: true})
	for _, tt := range []struct {
		m         *Model
		cj, pods  bool
		nProblems int
	}{{controller, true, false, 1}, {stored, false, true, 0}} {
		if ok, _ := tt.m.Allows("u", nil, reqCJ); ok != tt.cj {
			t.Errorf("create cronjobs = %v, want %v", ok, tt.cj)
		}
		if ok, _ := tt.m.Allows("u", nil, reqPods); ok != tt.pods {
			t.Errorf("create pods = %v, want %v", ok, tt.pods)
		}
		if n := len(tt.m.Problems()); n != tt.nProblems {
			t.Errorf("problems = %v, want %d", tt.m.Problems(), tt.nProblems)
		}
	}
}

func TestAggregationSteadyStateIsQuiet(t *testing.T) {
	// A role read from a live cluster already holds the gathered rules: no problem, same answers.
	agg := mkAggregated("agg", nil, matchLabels("a", "b"))
	agg.Rules = []rbacv1.PolicyRule{ruleDeploy, ruleCJ}
	m := NewModel(nil, []*rbacv1.ClusterRole{agg, mkClusterRole("base", labelsOf("a", "b"), ruleCJ, ruleDeploy)}, nil, nil)
	if p := m.Problems(); len(p) != 0 {
		t.Errorf("problems = %v", p)
	}
}

package rbac

import (
	"slices"
	"strings"
	"testing"
)

func TestDefaultClusterRoles(t *testing.T) {
	roles := DefaultClusterRoles()
	names := map[string]bool{}
	for _, r := range roles {
		names[r.Name] = true
	}
	for _, want := range []string{"cluster-admin", "admin", "edit", "view", "system:aggregate-to-edit", "system:controller:cronjob-controller"} {
		if !names[want] {
			t.Errorf("default ClusterRoles lack %s", want)
		}
	}
	// The defaults are consistent: aggregation reproduces what the API server stored, and no rule
	// is reported as a mistake.
	m := NewModel(nil, roles, nil, nil)
	if p := m.Problems(); len(p) > 0 {
		t.Errorf("problems with the default ClusterRoles: %v", p)
	}
}

func TestAddDefaultClusterRoles(t *testing.T) {
	objs := parse(t,
		yClusterRole("cluster-admin", yRule("''", "configmaps", "get")), // the input's own role wins
		yRB("prod", "devs", "ClusterRole", "admin", yGroup("devs")),
		yRB("prod", "mine", "ClusterRole", "edit", yGroup("devs")),
		yCRB("root", "cluster-admin", yUser("root")),
		yCRB("custom", "nope", yUser("root")),
	)
	o := Collect(objs)
	used := o.AddDefaultClusterRoles()
	if !slices.Equal(used, []string{"admin", "edit"}) {
		t.Errorf("used defaults %v", used)
	}
	m := o.Model(Options{})
	ok, grants := m.Allows("bob", []string{"devs"}, Request{Verb: "create", APIGroup: "batch", Resource: "cronjobs", Namespace: "prod"})
	if !ok || grants[0].Role != "admin" || len(grants[0].ViaAggregation) == 0 {
		t.Errorf("admin (aggregated from the defaults) does not grant create cronjobs: %v", chainsOf(grants))
	}
	if ok, _ := m.Allows("bob", []string{"devs"}, Request{Verb: "get", Resource: "secrets", Namespace: "prod"}); !ok {
		t.Error("admin does not grant get secrets")
	}
	if ok, _ := m.Allows("root", nil, Request{Verb: "create", APIGroup: "batch", Resource: "cronjobs", Namespace: "prod"}); ok {
		t.Error("the default cluster-admin replaced the input's own")
	}
	var problems []string
	for _, p := range m.Problems() {
		problems = append(problems, p.String())
	}
	if len(problems) != 1 || !strings.Contains(problems[0], `ClusterRole "nope" does not exist`) {
		t.Errorf("problems %q", problems)
	}

	res := Review(objs, ReviewOptions{DefaultClusterRoles: true})
	if !slices.Equal(res.DefaultRoles, []string{"admin", "edit"}) {
		t.Errorf("review DefaultRoles %v", res.DefaultRoles)
	}
	var devs int
	for _, f := range res.Findings {
		if f.Rule == RuleWorkloadCreator && strings.Contains(f.Message, `Group "devs"`) {
			devs++
		}
	}
	if devs != 2 {
		t.Errorf("the admin binding of devs is reported %d times:\n%s", devs, strings.Join(summaries(res.Findings), "\n"))
	}
}

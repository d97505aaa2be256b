package rbac

import (
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

func rule(verbs, groups, resources []string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
}

func urlRule(verbs []string, urls ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, NonResourceURLs: urls}
}

func l(s ...string) []string { return s }

func TestRuleAllows(t *testing.T) {
	createCJ := Request{Verb: "create", APIGroup: "batch", Resource: "cronjobs", Namespace: "ns"}
	tests := []struct {
		name string
		rule rbacv1.PolicyRule
		req  Request
		want bool
	}{
		{"exact", rule(l("create"), l("batch"), l("cronjobs")), createCJ, true},
		{"other verb", rule(l("get", "list"), l("batch"), l("cronjobs")), createCJ, false},
		{"verb *", rule(l("*"), l("batch"), l("cronjobs")), createCJ, true},
		{"verb case matters", rule(l("Create"), l("batch"), l("cronjobs")), createCJ, false},
		{"group *", rule(l("create"), l("*"), l("cronjobs")), createCJ, true},
		{"core group does not grant batch", rule(l("create"), l(""), l("cronjobs")), createCJ, false},
		{"core group does not grant apps deployments", rule(l("create"), l(""), l("deployments")),
			Request{Verb: "create", APIGroup: "apps", Resource: "deployments"}, false},
		{"no groups", rule(l("create"), nil, l("cronjobs")), createCJ, false},
		{"resource *", rule(l("create"), l("batch"), l("*")), createCJ, true},
		{"singular resource does not grant", rule(l("create"), l("batch"), l("cronjob")), createCJ, false},
		{"short name does not grant", rule(l("*"), l("*"), l("cj")), createCJ, false},
		{"upper case resource does not grant", rule(l("create"), l("batch"), l("CronJobs")), createCJ, false},
		{"status subresource does not grant the resource", rule(l("*"), l("batch"), l("cronjobs/status")), createCJ, false},
		{"resource does not grant its subresource", rule(l("*"), l("batch"), l("cronjobs")),
			Request{Verb: "update", APIGroup: "batch", Resource: "cronjobs", Subresource: "status"}, false},
		{"resource/subresource", rule(l("update"), l("batch"), l("cronjobs/status")),
			Request{Verb: "update", APIGroup: "batch", Resource: "cronjobs", Subresource: "status"}, true},
		{"*/scale grants deployments/scale", rule(l("patch"), l("apps"), l("*/scale")),
			Request{Verb: "patch", APIGroup: "apps", Resource: "deployments", Subresource: "scale"}, true},
		{"*/scale does not grant deployments", rule(l("patch"), l("apps"), l("*/scale")),
			Request{Verb: "patch", APIGroup: "apps", Resource: "deployments"}, false},
		{"*/scale does not grant */status", rule(l("patch"), l("apps"), l("*/scale")),
			Request{Verb: "patch", APIGroup: "apps", Resource: "deployments", Subresource: "status"}, false},
		{"*/scale does not grant a longer subresource", rule(l("patch"), l("apps"), l("*/scale")),
			Request{Verb: "patch", APIGroup: "apps", Resource: "deployments", Subresource: "rescale"}, false},
		{"pods/* is no wildcard", rule(l("create"), l(""), l("pods/*")),
			Request{Verb: "create", Resource: "pods", Subresource: "exec"}, false},
		{"* grants subresources", rule(l("create"), l(""), l("*")),
			Request{Verb: "create", Resource: "pods", Subresource: "exec"}, true},
		{"pods/exec", rule(l("create"), l(""), l("pods/exec")),
			Request{Verb: "create", Resource: "pods", Subresource: "exec", Name: "p"}, true},
		{"resourceNames: named request", rule(l("patch"), l("batch"), l("cronjobs"), "nightly"),
			Request{Verb: "patch", APIGroup: "batch", Resource: "cronjobs", Name: "nightly"}, true},
		{"resourceNames: other name", rule(l("patch"), l("batch"), l("cronjobs"), "nightly"),
			Request{Verb: "patch", APIGroup: "batch", Resource: "cronjobs", Name: "hourly"}, false},
		{"resourceNames: create carries no name", rule(l("create"), l("batch"), l("cronjobs"), "nightly"), createCJ, false},
		{"resourceNames: list carries no name", rule(l("list"), l("batch"), l("cronjobs"), "nightly"),
			Request{Verb: "list", APIGroup: "batch", Resource: "cronjobs"}, false},
		{"resourceNames: list pinned by field selector", rule(l("list"), l("batch"), l("cronjobs"), "nightly"),
			Request{Verb: "list", APIGroup: "batch", Resource: "cronjobs", Name: "nightly"}, true},
		{"resourceNames: deletecollection carries no name", rule(l("deletecollection"), l("batch"), l("cronjobs"), "nightly"),
			Request{Verb: "deletecollection", APIGroup: "batch", Resource: "cronjobs"}, false},
		{"resourceNames: empty name listed", rule(l("create"), l("batch"), l("cronjobs"), ""), createCJ, true},
		{"resource rule does not grant URLs", rule(l("get"), l("*"), l("*")), Request{Verb: "get", NonResourceURL: "/healthz"}, false},
		{"URL exact", urlRule(l("get"), "/healthz"), Request{Verb: "get", NonResourceURL: "/healthz"}, true},
		{"URL exact is not a prefix", urlRule(l("get"), "/healthz"), Request{Verb: "get", NonResourceURL: "/healthz/etcd"}, false},
		{"URL prefix", urlRule(l("get"), "/healthz*"), Request{Verb: "get", NonResourceURL: "/healthz/etcd"}, true},
		{"URL prefix with slash", urlRule(l("get"), "/api/*"), Request{Verb: "get", NonResourceURL: "/api"}, false},
		{"URL prefix several stars", urlRule(l("get"), "/api/**"), Request{Verb: "get", NonResourceURL: "/api/v1"}, true},
		{"URL *", urlRule(l("get"), "*"), Request{Verb: "get", NonResourceURL: "/anything"}, true},
		{"URL verb", urlRule(l("get"), "*"), Request{Verb: "post", NonResourceURL: "/anything"}, false},
		{"URL rule does not grant resources", urlRule(l("*"), "*"), createCJ, false},
		{"no verbs", rule(nil, l("*"), l("*")), createCJ, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RuleAllows(&tt.rule, &tt.req); got != tt.want {
				t.Errorf("RuleAllows(%v, %s) = %v, want %v", tt.rule, tt.req, got, tt.want)
			}
		})
	}
}

func TestMergeSorted(t *testing.T) {
	tests := []struct {
		in   [][]int32
		want []int32
	}{
		{nil, []int32{}},
		{[][]int32{nil, {}, nil}, []int32{}},
		{[][]int32{{1, 4, 9}}, []int32{1, 4, 9}},
		{[][]int32{{1, 4, 9}, {2, 4, 10}, {0, 9}}, []int32{0, 1, 2, 4, 9, 10}},
		{[][]int32{{3}, {3}, {3}}, []int32{3}},
	}
	for _, tt := range tests {
		if got := mergeSorted(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("mergeSorted(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

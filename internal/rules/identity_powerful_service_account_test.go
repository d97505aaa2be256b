package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

func TestIdentityPowerfulServiceAccount(t *testing.T) {
	crb := func(name, role, subjects string) string {
		return "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: " + name + "}\n" +
			"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: " + role + "}\nsubjects:\n" + subjects
	}
	rb := func(ns, name, kind, role, subjects string) string {
		return "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: " + name + ", namespace: " + ns + "}\n" +
			"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: " + kind + ", name: " + role + "}\nsubjects:\n" + subjects
	}
	clusterRole := func(name, rules string) string {
		return "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: " + name + "}\nrules:\n" + rules
	}
	role := func(ns, name, rules string) string {
		return "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: " + name + ", namespace: " + ns + "}\nrules:\n" + rules
	}
	saBackup := "- {kind: ServiceAccount, name: backup, namespace: ns}\n"
	spec := "serviceAccountName: backup\ncontainers:\n- name: app\n  image: x\n"
	tests := []struct {
		name     string
		podSpec  string
		rbac     []string
		want     finding.Severity // 0: no finding
		wantPath string
		wantMsg  []string
	}{
		{"no rbac", spec, nil, 0, "", nil},
		{"cluster-admin built in", spec, []string{crb("ops", "cluster-admin", saBackup)}, finding.SeverityHigh, ".serviceAccountName",
			[]string{`service account "ns/backup"`, `ClusterRoleBinding "ops" -> ClusterRole "cluster-admin" (built-in): full control (cluster-admin) cluster-wide`, "subject ServiceAccount ns/backup"}},
		{"cluster-admin other account", spec, []string{crb("ops", "cluster-admin", "- {kind: ServiceAccount, name: other, namespace: ns}\n")}, 0, "", nil},
		{"cluster-admin same name other namespace", spec, []string{crb("ops", "cluster-admin", "- {kind: ServiceAccount, name: backup, namespace: other}\n")}, 0, "", nil},
		{"default account", "containers:\n- name: app\n  image: x\n", []string{crb("ops", "cluster-admin", "- {kind: ServiceAccount, name: default, namespace: ns}\n")},
			finding.SeverityHigh, "spec", []string{`"ns/default" (none set: the namespace's default)`}},
		{"group of all service accounts", spec, []string{crb("all", "cluster-admin", "- {kind: Group, name: system:serviceaccounts, apiGroup: rbac.authorization.k8s.io}\n")},
			finding.SeverityHigh, ".serviceAccountName", []string{"subject Group system:serviceaccounts"}},
		{"group of the namespace", spec, []string{crb("nsall", "cluster-admin", "- {kind: Group, name: 'system:serviceaccounts:ns', apiGroup: rbac.authorization.k8s.io}\n")},
			finding.SeverityHigh, ".serviceAccountName", []string{"Group system:serviceaccounts:ns"}},
		{"group of another namespace", spec, []string{crb("nsall", "cluster-admin", "- {kind: Group, name: 'system:serviceaccounts:other', apiGroup: rbac.authorization.k8s.io}\n")}, 0, "", nil},
		{"user name of the account", spec, []string{crb("u", "cluster-admin", "- {kind: User, name: 'system:serviceaccount:ns:backup', apiGroup: rbac.authorization.k8s.io}\n")},
			finding.SeverityHigh, ".serviceAccountName", []string{"User system:serviceaccount:ns:backup"}},
		{"wildcard cluster role", spec, []string{crb("w", "god", saBackup), clusterRole("god", "- {apiGroups: ['*'], resources: ['*'], verbs: ['*']}\n")},
			finding.SeverityHigh, ".serviceAccountName", []string{`ClusterRole "god": full control (verbs * on resources * in all API groups) cluster-wide`}},
		{"view is harmless", spec, []string{crb("v", "view", saBackup)}, 0, "", nil},
		{"read-only role", spec, []string{crb("r", "reader", saBackup), clusterRole("reader", "- {apiGroups: [''], resources: [pods, configmaps], verbs: [get, list, watch]}\n")}, 0, "", nil},
		{"unknown role not in input", spec, []string{crb("r", "custom", saBackup)}, 0, "", nil},
		{"role binding to edit", spec, []string{rb("ns", "e", "ClusterRole", "edit", saBackup)}, finding.SeverityHigh, ".serviceAccountName",
			[]string{`RoleBinding "ns/e" -> ClusterRole "edit" (built-in)`, "in namespace ns"}},
		{"role binding in another namespace", spec, []string{rb("other", "e", "ClusterRole", "edit", saBackup)}, 0, "", nil},
		{"role binding subject without namespace", spec, []string{rb("ns", "e", "ClusterRole", "admin", "- {kind: ServiceAccount, name: backup}\n")}, finding.SeverityHigh, ".serviceAccountName",
			[]string{`"ns/e"`, "(admin)"}},
		{"role creates cronjobs", spec, []string{rb("ns", "b", "Role", "jobs", saBackup), role("ns", "jobs", "- {apiGroups: [batch], resources: [cronjobs], verbs: [create]}\n")},
			finding.SeverityHigh, ".serviceAccountName", []string{`Role "jobs": create or change CronJobs or Jobs in namespace ns`}},
		{"role in other namespace not used", spec, []string{rb("ns", "b", "Role", "jobs", saBackup), role("other", "jobs", "- {apiGroups: [batch], resources: [cronjobs], verbs: [create]}\n")}, 0, "", nil},
		{"role wrong api group", spec, []string{rb("ns", "b", "Role", "jobs", saBackup), role("ns", "jobs", "- {apiGroups: [apps], resources: [cronjobs], verbs: [create]}\n")}, 0, "", nil},
		{"role reads secrets", spec, []string{rb("ns", "s", "Role", "sec", saBackup), role("ns", "sec", "- {apiGroups: [''], resources: [secrets], verbs: [list]}\n")},
			finding.SeverityHigh, ".serviceAccountName", []string{"read Secrets"}},
		{"named secret only", spec, []string{rb("ns", "s", "Role", "sec", saBackup), role("ns", "sec", "- {apiGroups: [''], resources: [secrets], resourceNames: [backup-creds], verbs: [get]}\n")}, 0, "", nil},
		{"verbs wildcard on pods", spec, []string{rb("ns", "p", "Role", "pods", saBackup), role("ns", "pods", "- {apiGroups: [''], resources: [pods], verbs: ['*']}\n")},
			finding.SeverityHigh, ".serviceAccountName", []string{"create or change Pods"}},
		{"exec subresource wildcard", spec, []string{rb("ns", "x", "Role", "x", saBackup), role("ns", "x", "- {apiGroups: [''], resources: ['*/exec'], verbs: [create]}\n")},
			finding.SeverityHigh, ".serviceAccountName", []string{"exec into Pods"}},
		{"escalate", spec, []string{crb("esc", "esc", saBackup), clusterRole("esc", "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate]}\n")},
			finding.SeverityHigh, ".serviceAccountName", []string{"escalate or bind roles"}},
		{"impersonate", spec, []string{crb("imp", "imp", saBackup), clusterRole("imp", "- {apiGroups: [''], resources: [users], verbs: [impersonate]}\n")},
			finding.SeverityHigh, ".serviceAccountName", []string{"impersonate"}},
		{"aggregated cluster role", spec, []string{crb("agg", "agg", saBackup),
			"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: agg}\naggregationRule:\n  clusterRoleSelectors:\n  - matchLabels: {acme.io/aggregate: 'true'}\nrules: []\n",
			"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: part, labels: {acme.io/aggregate: 'true'}}\nrules:\n- {apiGroups: [apps], resources: [daemonsets], verbs: [patch]}\n"},
			finding.SeverityHigh, ".serviceAccountName", []string{"create or change Deployments, DaemonSets"}},
		{"cluster role binding to a Role is ignored", spec, []string{
			"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: bad}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: god}\nsubjects:\n" + saBackup,
			role("ns", "god", "- {apiGroups: ['*'], resources: ['*'], verbs: ['*']}\n")}, 0, "", nil},
		{"token not mounted lowers", "serviceAccountName: backup\nautomountServiceAccountToken: false\ncontainers:\n- name: app\n  image: x\n",
			[]string{crb("ops", "cluster-admin", saBackup)}, finding.SeverityMedium, ".serviceAccountName", []string{"the token is not mounted (automountServiceAccountToken: false)"}},
		{"several grants", spec, []string{crb("a", "cluster-admin", saBackup), crb("b", "cluster-admin", saBackup), crb("c", "cluster-admin", saBackup), crb("d", "cluster-admin", saBackup)},
			finding.SeverityHigh, ".serviceAccountName", []string{`"a"`, `"c"`, "and 1 more"}},
	}
	for _, tt := range tests {
		for kind, manifest := range wrap(tt.podSpec) {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				obj := object(t, manifest)
				fs := evalRule(t, "identity-powerful-service-account", obj, identitySet(t, obj, tt.rbac...))
				if tt.want == 0 {
					if len(fs) != 0 {
						t.Fatalf("want no finding, got %+v", fs)
					}
					return
				}
				if len(fs) != 1 {
					t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
				}
				f := fs[0]
				if f.Severity != tt.want {
					t.Errorf("severity %v, want %v", f.Severity, tt.want)
				}
				if !strings.HasSuffix(f.Resource.Path, tt.wantPath) {
					t.Errorf("path %q, want suffix %q", f.Resource.Path, tt.wantPath)
				}
				for _, m := range tt.wantMsg {
					if !strings.Contains(f.Message, m) {
						t.Errorf("message %q, want it to contain %q", f.Message, m)
					}
				}
			})
		}
	}
}

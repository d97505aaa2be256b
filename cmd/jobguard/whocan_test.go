package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// execute runs a command as main's run does and returns its output and exit code.
func execute(t *testing.T, c *cobra.Command, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	c.SetArgs(args)
	c.SetOut(&out)
	c.SetErr(&errOut)
	c.SetIn(strings.NewReader(stdin))
	c.SilenceUsage, c.SilenceErrors = true, true
	err := c.Execute()
	var ee exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.code
	default:
		errOut.WriteString("jobguard: " + err.Error() + "\n")
		code = 2
	}
	return out.String(), errOut.String(), code
}

// rbacFixture is a small set of RBAC objects with the mistakes a new user makes.
const rbacFixture = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: cron-admin
rules:
- apiGroups: [batch]
  resources: [cronjobs, jobs]
  verbs: [create, update, patch]
- apiGroups: [batch]
  resources: [cronjob]
  verbs: [delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ops
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {acme.io/aggregate-to-ops: "true"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ops-batch
  labels: {acme.io/aggregate-to-ops: "true"}
rules:
- apiGroups: [batch]
  resources: ["*"]
  verbs: ["*"]
- apiGroups: [""]
  resources: [pods/exec, nodes/proxy]
  verbs: [create, get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: empty, namespace: prod}
rules:
- apiGroups: [batch]
  resources: [cronjobs]
  verbs: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ops}
subjects:
- {kind: Group, name: ops, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci, namespace: prod}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cron-admin}
subjects:
- {kind: ServiceAccount, name: deployer, namespace: ci}
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dangling, namespace: prod}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects:
- {kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWhoCanFromManifests(t *testing.T) {
	file := writeFile(t, "rbac.yaml", rbacFixture)
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string // substrings, in order
		notStdout  []string
		stderr     []string
		notStderr  []string
		stdoutOnly bool // check that stderr is empty but for the problem warnings
	}{
		{name: "all namespaces by default", args: []string{"create", "cronjobs.batch", "-f", file},
			stdout: []string{
				"Who may create cronjobs.batch in any namespace: 3 subjects, 3 grants.",
				"KIND", "SCOPE", "BINDING -> ROLE -> RULE",
				"Group", "ops", "cluster-wide", `ClusterRoleBinding ops -> ClusterRole ops (aggregated from ops-batch) -> rules[0] {verbs: ["*"], apiGroups: [batch], resources: ["*"]} (` + file + ":42)",
				"ServiceAccount", "deployer", "ci", "namespace prod", "RoleBinding prod/ci -> ClusterRole cron-admin -> rules[0] {verbs: [create, update, patch], apiGroups: [batch], resources: [cronjobs, jobs]}",
				"User", "alice", "namespace prod",
				"Not listed: members of system:masters"},
			stderr: []string{
				"warning: " + file + ":40: Role prod/empty: rules[0].verbs: rule has no verbs: it grants nothing (and the API server rejects it)",
				"warning: " + file + `:10: ClusterRole cron-admin: rules[1].resources: "cronjob" is a singular or short name`,
				"warning: " + file + `:60: RoleBinding prod/dangling: roleRef: Role "deployer" does not exist in namespace "prod": the binding grants nothing until a Role of that name is created`}},
		{name: "one namespace", args: []string{"patch", "cronjobs", "-n", "prod", "-f", file},
			stdout: []string{`Who may patch cronjobs.batch in namespace "prod": 3 subjects`}},
		{name: "another namespace: cluster-wide grants only", args: []string{"create", "cj", "-n", "dev", "-f", file},
			stdout: []string{`Who may create cronjobs.batch in namespace "dev": 1 subject, 1 grant.`, "Group", "ops"}, notStdout: []string{"alice"}},
		{name: "singular resource in the rule grants nothing", args: []string{"delete", "cronjobs.batch", "-n", "prod", "-f", file},
			stdout: []string{"1 subject", "ops"}, notStdout: []string{"cron-admin"}},
		{name: "subresource", args: []string{"create", "pods/exec", "-A", "-f", file},
			stdout: []string{"Who may create pods/exec in any namespace: 1 subject", "rules[1]"}},
		{name: "nobody", args: []string{"create", "deployments.apps", "-f", file},
			stdout: []string{"No one may create deployments.apps in any namespace through RBAC."}},
		{name: "cluster-scoped resource ignores -n", args: []string{"get", "nodes/proxy", "-n", "prod", "-f", file},
			stdout: []string{"Who may get nodes/proxy cluster-wide: 1 subject"},
			stderr: []string{"warning: nodes/proxy is cluster-scoped: -n is ignored, only cluster-wide grants count"}},
		{name: "unknown resource", args: []string{"create", "widgets", "-f", file},
			stdout: []string{"No one may create widgets"},
			stderr: []string{`warning: resource "widgets" is not a known Kubernetes resource; answering for it anyway`}},
		{name: "misspelt resource", args: []string{"create", "ingress", "-f", file},
			stderr: []string{`warning: resource "ingress" is not a known Kubernetes resource; answering for it anyway (did you mean "ingresses.networking.k8s.io"?)`}},
		{name: "unknown verb", args: []string{"crate", "cronjobs.batch", "-f", file},
			stdout: []string{"1 subject"},
			stderr: []string{`warning: verb "crate" is not one the API server asks about`}},
		{name: "resource names", args: []string{"update", "cronjobs", "nightly", "-n", "prod", "-f", file},
			stdout: []string{`Who may update cronjobs.batch named "nightly" in namespace "prod": 3 subjects`}},
		{name: "non-resource URL", args: []string{"get", "/healthz", "-f", file},
			stdout: []string{"No one may get /healthz through RBAC."}},
		{name: "too few arguments", args: []string{"create", "-f", file}, code: 2,
			stderr: []string{"want VERB RESOURCE [NAME], got 1 arguments"}},
		{name: "-A and -n", args: []string{"create", "jobs", "-A", "-n", "x", "-f", file}, code: 2,
			stderr: []string{"-A/--all-namespaces and -n/--namespace exclude each other"}},
		{name: "bad output", args: []string{"create", "jobs", "-o", "yaml", "-f", file}, code: 2,
			stderr: []string{`unknown output format "yaml"`}},
		{name: "bad resource", args: []string{"create", "pods/", "-f", file}, code: 2,
			stderr: []string{`resource "pods/": want RESOURCE[.GROUP][/SUBRESOURCE]`}},
		{name: "URL with a name", args: []string{"get", "/healthz", "x", "-f", file}, code: 2,
			stderr: []string{"a non-resource URL (/healthz) takes no NAME"}},
		{name: "--cluster with -f", args: []string{"get", "pods", "--cluster", "-f", file}, code: 2,
			stderr: []string{"--cluster reads the live cluster and -f reads manifests"}},
		{name: "missing file", args: []string{"create", "jobs", "-f", file, "-f", filepath.Join(t.TempDir(), "nope.yaml")}, code: 2,
			stdout: []string{"Who may create jobs.batch"},
			stderr: []string{"error: ", "nope.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := execute(t, newWhoCanCommand(), "", tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			inOrder(t, "stdout", stdout, tt.stdout)
			inOrder(t, "stderr", stderr, tt.stderr)
			for _, s := range tt.notStdout {
				if strings.Contains(stdout, s) {
					t.Errorf("stdout contains %q:\n%s", s, stdout)
				}
			}
		})
	}
}

// inOrder checks that out holds every want, one after the other.
func inOrder(t *testing.T, what, out string, want []string) {
	t.Helper()
	rest := out
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("%s lacks %q (in order):\n%s", what, w, out)
			return
		}
		rest = rest[i+len(w):]
	}
}

func TestWhoCanJSON(t *testing.T) {
	file := writeFile(t, "rbac.yaml", rbacFixture)
	stdout, _, code := execute(t, newWhoCanCommand(), "", "create", "cronjobs.batch", "-n", "prod", "-o", "json", "-f", file)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Request struct {
			Verb, APIGroup, Resource, Namespace string
			AllNamespaces                       bool
		}
		Answers []struct {
			Subject struct{ Kind, Name, Namespace string }
			Scope   string
			NS      string `json:"namespace"`
			Grants  []struct {
				Binding struct {
					Kind, Name, Namespace, File string
					Line                        int
				}
				Role           struct{ Kind, Name string }
				RuleIndex      int
				Rule           struct{ Verbs, APIGroups, Resources []string }
				ViaAggregation []string
			}
		}
		Warnings []string
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	if doc.Request.Verb != "create" || doc.Request.APIGroup != "batch" || doc.Request.Resource != "cronjobs" || doc.Request.Namespace != "prod" || doc.Request.AllNamespaces {
		t.Errorf("request %+v", doc.Request)
	}
	if len(doc.Answers) != 3 {
		t.Fatalf("%d answers, want 3:\n%s", len(doc.Answers), stdout)
	}
	g, sa := doc.Answers[0], doc.Answers[1]
	if g.Subject.Kind != "Group" || g.Scope != "cluster" || g.NS != "" || g.Grants[0].Binding.Kind != "ClusterRoleBinding" ||
		len(g.Grants[0].ViaAggregation) != 1 || g.Grants[0].ViaAggregation[0] != "ops-batch" {
		t.Errorf("group answer %+v", g)
	}
	if sa.Subject.Kind != "ServiceAccount" || sa.Subject.Namespace != "ci" || sa.Scope != "namespace" || sa.NS != "prod" ||
		sa.Grants[0].Binding.File != file || sa.Grants[0].Binding.Line != 49 || sa.Grants[0].Role.Name != "cron-admin" ||
		strings.Join(sa.Grants[0].Rule.Resources, ",") != "cronjobs,jobs" {
		t.Errorf("service account answer %+v", sa)
	}
	if doc.Warnings == nil {
		t.Error("warnings is null, want []")
	}
}

func TestWhoCanDefaultRoles(t *testing.T) {
	file := writeFile(t, "rbac.yaml", `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs, namespace: prod}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
- {kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}
`)
	stdout, stderr, code := execute(t, newWhoCanCommand(), "", "create", "cronjobs", "-n", "prod", "-f", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	inOrder(t, "stdout", stdout, []string{"1 subject", "Group", "devs", "namespace prod", "RoleBinding prod/devs -> ClusterRole edit (aggregated from system:aggregate-to-edit) -> rules["})
	inOrder(t, "stderr", stderr, []string{"note: ClusterRole edit is not in the manifests: judged by the API server's default definitions"})
	if strings.Contains(stderr, "does not exist") {
		t.Errorf("the default edit is reported missing:\n%s", stderr)
	}
}

func TestWhoCanStdin(t *testing.T) {
	stdout, _, code := execute(t, newWhoCanCommand(), rbacFixture, "create", "jobs", "-f", "-")
	if code != 0 || !strings.Contains(stdout, "3 subjects") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}

func TestWhoCanWithoutRBACObjects(t *testing.T) {
	file := writeFile(t, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
	_, stderr, code := execute(t, newWhoCanCommand(), "", "create", "jobs", "-f", file)
	if code != 2 || !strings.Contains(stderr, "no RBAC objects (Roles, ClusterRoles, RoleBindings, ClusterRoleBindings) found in ["+file+"]: cannot say who may create jobs.batch cluster-wide") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// fakeAPIServer answers the requests who-can makes of a live cluster: the version, and lists
// of RBAC objects from bodies (path -> JSON); paths in forbidden answer 403.
func fakeAPIServer(t *testing.T, bodies map[string]string, forbidden ...string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for _, p := range forbidden {
			if r.URL.Path == p {
				w.WriteHeader(http.StatusForbidden)
				resource := p[strings.LastIndex(p, "/")+1:]
				json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
					"message": resource + `.rbac.authorization.k8s.io is forbidden: User "bob" cannot list resource "` + resource + `" in API group "rbac.authorization.k8s.io" at the cluster scope`})
				return
			}
		}
		switch {
		case r.URL.Path == "/version":
			w.Write([]byte(`{"major":"1","minor":"37","gitVersion":"v1.37.2"}`))
		case bodies[r.URL.Path] != "":
			w.Write([]byte(bodies[r.URL.Path]))
		default:
			w.Write([]byte(`{"items":[]}`))
		}
	}))
	t.Cleanup(srv.Close)
	kubeconfig := "apiVersion: v1\nkind: Config\ncurrent-context: test\nclusters:\n- name: test\n  cluster: {server: '" + srv.URL + "'}\n" +
		"contexts:\n- name: test\n  context: {cluster: test, user: test, namespace: prod}\nusers:\n- name: test\n  user: {token: x}\n"
	return writeFile(t, "kubeconfig", kubeconfig)
}

func TestWhoCanLiveCluster(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	kc := fakeAPIServer(t, map[string]string{
		"/apis/rbac.authorization.k8s.io/v1/clusterroles": `{"items":[{"metadata":{"name":"cron"},"rules":[{"apiGroups":["batch"],"resources":["cronjobs"],"verbs":["create"]}]}]}`,
		"/apis/rbac.authorization.k8s.io/v1/namespaces/prod/rolebindings": `{"items":[{"metadata":{"name":"ci","namespace":"prod"},` +
			`"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cron"},"subjects":[{"kind":"User","name":"alice"}]}]}`,
	})
	stdout, stderr, code := execute(t, newWhoCanCommand(), "", "create", "cronjobs", "--kubeconfig", kc)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	inOrder(t, "stdout", stdout, []string{`Who may create cronjobs.batch in namespace "prod": 1 subject`, "User", "alice", "namespace prod", "RoleBinding prod/ci -> ClusterRole cron -> rules[0]"})
}

func TestWhoCanClusterRolesForbidden(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	kc := fakeAPIServer(t, nil, "/apis/rbac.authorization.k8s.io/v1/clusterroles")
	stdout, stderr, code := execute(t, newWhoCanCommand(), "", "create", "cronjobs", "--kubeconfig", kc)
	if code != 2 || stdout != "" {
		t.Errorf("exit %d, stdout %q", code, stdout)
	}
	inOrder(t, "stderr", stderr, []string{
		`jobguard: cannot answer who can create cronjobs.batch in namespace "prod": missing permission "list" on clusterroles.rbac.authorization.k8s.io cluster-wide`,
		`User "bob" cannot list resource "clusterroles"`,
		"who-can needs every ClusterRole and ClusterRoleBinding",
		"ask a cluster administrator for list on them, or answer from manifests",
		"-f rbac.yaml"})
}

func TestWhoCanUnreachableCluster(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	kc := writeFile(t, "kubeconfig", "apiVersion: v1\nkind: Config\ncurrent-context: test\nclusters:\n- name: test\n  cluster: {server: '"+url+"'}\n"+
		"contexts:\n- name: test\n  context: {cluster: test, user: test}\nusers:\n- name: test\n  user: {token: x}\n")
	_, stderr, code := execute(t, newWhoCanCommand(), "", "create", "cronjobs", "--kubeconfig", kc, "--request-timeout", "5s")
	if code != 2 || !strings.Contains(stderr, `cannot reach the cluster (context "test", server `+url) {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// Cluster-scoped questions need no Roles or RoleBindings, so a user who may not list them can ask.
func TestWhoCanClusterScopedNeedsNoRoles(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	kc := fakeAPIServer(t, map[string]string{
		"/apis/rbac.authorization.k8s.io/v1/clusterroles": `{"items":[{"metadata":{"name":"np"},"rules":[{"apiGroups":[""],"resources":["nodes/proxy"],"verbs":["get"]}]}]}`,
		"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings": `{"items":[{"metadata":{"name":"np"},` +
			`"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"np"},"subjects":[{"kind":"Group","name":"monitoring"}]}]}`,
	}, "/apis/rbac.authorization.k8s.io/v1/namespaces/prod/roles", "/apis/rbac.authorization.k8s.io/v1/namespaces/prod/rolebindings")
	for _, args := range [][]string{{"get", "nodes/proxy"}, {"get", "/metrics"}} {
		stdout, stderr, code := execute(t, newWhoCanCommand(), "", append(args, "--kubeconfig", kc)...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
	stdout, _, _ := execute(t, newWhoCanCommand(), "", "get", "nodes/proxy", "--kubeconfig", kc)
	inOrder(t, "stdout", stdout, []string{"Who may get nodes/proxy cluster-wide: 1 subject", "Group", "monitoring"})
	_, stderr, code := execute(t, newWhoCanCommand(), "", "get", "pods", "--kubeconfig", kc)
	if code != 2 || !strings.Contains(stderr, `missing permission "list" on roles.rbac.authorization.k8s.io in namespace prod`) {
		t.Errorf("namespaced question: exit %d, stderr:\n%s", code, stderr)
	}
}

package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

const plantingCronJob = `---
apiVersion: batch/v1
kind: CronJob
metadata: {name: planter, namespace: ci}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          serviceAccountName: deployer
          restartPolicy: Never
          containers: [{name: c, image: busybox}]
`

func TestRBACReview(t *testing.T) {
	file := writeFile(t, "rbac.yaml", rbacFixture+plantingCronJob)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{name: "table", args: []string{"review", "-f", file}, code: 1, stdout: []string{
			"ClusterRole cron-admin", "LOW", "rbac-misconfiguration", `"cronjob" is a singular or short name`, "at " + file + ":10",
			"ClusterRoleBinding ops", "HIGH", "rbac-can-run-workloads", `Group "ops" can create, update, patch cronjobs.batch, jobs.batch; create pods/exec`,
			"HIGH", "rbac-nodes-proxy",
			"RoleBinding prod/ci", "MEDIUM", `ServiceAccount "ci/deployer" can create, update, patch cronjobs.batch, jobs.batch`,
			"RoleBinding prod/dangling", "LOW", `Role "deployer" does not exist`,
			"CronJob ci/planter", "HIGH", "rbac-workload-can-run-workloads", `pod runs as service account "ci/deployer"`,
			"findings"}},
		{name: "fail on critical", args: []string{"review", "-f", file, "--fail-on", "critical"}, code: 0},
		{name: "admin group", args: []string{"review", "-f", file, "--admin-group", "ops", "--fail-on", "high", "-o", "json"}, code: 1},
		{name: "stdin", args: []string{"review", "-f", "-"}, code: 1, stdout: []string{"rbac-can-run-workloads"}},
		{name: "no RBAC objects", args: []string{"review", "-f", writeFile(t, "cj.yaml", plantingCronJob)}, code: 2,
			stderr: []string{"no RBAC objects (Roles, ClusterRoles, RoleBindings, ClusterRoleBindings) found in", "nothing to review"}},
		{name: "no objects", args: []string{"review", "-f", writeFile(t, "empty.yaml", "# nothing\n")}, code: 2,
			stderr: []string{"no Kubernetes objects found in"}},
		{name: "missing file", args: []string{"review", "-f", file, "-f", filepath.Join(t.TempDir(), "nope.yaml")}, code: 2,
			stdout: []string{"rbac-can-run-workloads"}, stderr: []string{"error: ", "nope.yaml"}},
		{name: "-n with manifests", args: []string{"review", "-f", file, "-n", "prod"}, code: 2,
			stderr: []string{"-n applies to the live cluster only"}},
		{name: "argument", args: []string{"review", file}, code: 2,
			stderr: []string{`unexpected argument "` + file + `": give manifests with -f`}},
		{name: "bad fail-on", args: []string{"review", "-f", file, "--fail-on", "severe"}, code: 2,
			stderr: []string{`--fail-on: unknown severity "severe"`}},
		{name: "no subcommand", args: nil, code: 2, stderr: []string{"missing subcommand"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdin := ""
			if tt.name == "stdin" {
				stdin = rbacFixture
			}
			stdout, stderr, code := execute(t, newRBACCommand(), stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			inOrder(t, "stdout", stdout, tt.stdout)
			inOrder(t, "stderr", stderr, tt.stderr)
		})
	}
}

func TestRBACReviewAdmins(t *testing.T) {
	file := writeFile(t, "rbac.yaml", rbacFixture)
	count := func(args ...string) map[string]int {
		stdout, stderr, _ := execute(t, newRBACCommand(), "", append([]string{"review", "-f", file, "-o", "json"}, args...)...)
		var doc struct {
			Findings []struct {
				Rule     string
				Resource struct{ Kind, Namespace, Name string }
			}
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("%v:\n%s\n%s", err, stdout, stderr)
		}
		n := map[string]int{}
		for _, f := range doc.Findings {
			n[f.Rule+" "+f.Resource.Kind+" "+f.Resource.Name]++
		}
		return n
	}
	all := count()
	if all["rbac-can-run-workloads ClusterRoleBinding ops"] != 1 || all["rbac-can-run-workloads RoleBinding ci"] != 2 {
		t.Errorf("default admins: %v", all)
	}
	admins := count("--admin-group", "ops", "--admin-user", "alice,system:serviceaccount:ci:deployer")
	for k := range admins {
		if strings.HasPrefix(k, "rbac-can-run-workloads") || strings.HasPrefix(k, "rbac-nodes-proxy") {
			t.Errorf("%s reported although its subjects are administrators", k)
		}
	}
}

func TestRBACReviewSARIF(t *testing.T) {
	file := writeFile(t, "rbac.yaml", rbacFixture)
	stdout, _, code := execute(t, newRBACCommand(), "", "review", "-f", file, "-o", "sarif", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID               string
						ShortDescription struct{ Text string }
						Help             struct{ Text string }
						Properties       struct {
							Tags     []string
							Severity string
						}
					}
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex *int
				Level     string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(stdout), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	ids := map[string]int{}
	for i, r := range run.Tool.Driver.Rules {
		ids[r.ID] = i
		if r.ShortDescription.Text == "" || !strings.Contains(r.Help.Text, "M1018") || !strings.Contains(strings.Join(r.Properties.Tags, " "), "T1078") {
			t.Errorf("rule %s lacks metadata: %+v", r.ID, r)
		}
	}
	if _, ok := ids["rbac-run-as-powerful-service-account"]; !ok || len(ids) != 12 {
		t.Errorf("rules %v", ids)
	}
	if len(run.Results) == 0 {
		t.Fatal("no results")
	}
	for _, res := range run.Results {
		if res.RuleIndex == nil || *res.RuleIndex != ids[res.RuleID] {
			t.Errorf("result %s has rule index %v", res.RuleID, res.RuleIndex)
		}
		if loc := res.Locations[0].PhysicalLocation; !strings.HasSuffix(loc.ArtifactLocation.URI, "rbac.yaml") || loc.Region.StartLine == 0 {
			t.Errorf("result %s at %+v", res.RuleID, loc)
		}
	}
}

func TestRBACReviewLiveClusterForbidden(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	kc := fakeAPIServer(t, map[string]string{
		"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings": `{"items":[{"metadata":{"name":"ops"},` +
			`"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"},"subjects":[{"kind":"Group","name":"ops"}]}]}`,
	}, "/apis/rbac.authorization.k8s.io/v1/clusterroles")
	stdout, stderr, code := execute(t, newRBACCommand(), "", "review", "--kubeconfig", kc)
	if code != 3 {
		t.Errorf("exit %d, want 3 (incomplete)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	inOrder(t, "stderr", stderr, []string{
		`warning: ClusterRoles not reviewed: missing permission "list" on clusterroles.rbac.authorization.k8s.io cluster-wide`,
		"warning: without ClusterRoles, bindings to them cannot be judged: the review is incomplete"})
	if strings.Contains(stdout, "does not exist") {
		t.Errorf("a binding to an unreadable ClusterRole is reported as dangling:\n%s", stdout)
	}
	if !strings.Contains(stdout, "incomplete") {
		t.Errorf("the report does not say it is incomplete:\n%s", stdout)
	}
}

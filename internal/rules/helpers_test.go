package rules

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
)

// object decodes one YAML manifest into an input object, as the loader would (without lines).
func object(t testing.TB, manifest string) *input.Object {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		t.Fatalf("bad test manifest: %v", err)
	}
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name, Namespace string
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(js, &head); err != nil {
		t.Fatal(err)
	}
	obj, err := input.Decode(head.APIVersion, head.Kind, js)
	if err != nil {
		t.Fatal(err)
	}
	return &input.Object{Obj: obj, Source: finding.Resource{APIVersion: head.APIVersion, Kind: head.Kind, Name: head.Metadata.Name, Namespace: head.Metadata.Namespace, File: "test.yaml", Line: 1}}
}

// wrap puts a pod spec (YAML, indented at column 0) into each workload kind that has a pod template,
// so a rule test covers CronJob, Job, Deployment, DaemonSet and Pod alike.
func wrap(podSpec string) map[string]string {
	ind := func(s string, n int) string {
		pad := strings.Repeat(" ", n)
		lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
		for i, l := range lines {
			lines[i] = pad + l
		}
		return strings.Join(lines, "\n")
	}
	return map[string]string{
		"CronJob":    "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x, namespace: ns}\nspec:\n  schedule: '0 3 * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n" + ind(podSpec, 10) + "\n",
		"Job":        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x, namespace: ns}\nspec:\n  template:\n    spec:\n" + ind(podSpec, 6) + "\n",
		"Deployment": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, namespace: ns}\nspec:\n  template:\n    spec:\n" + ind(podSpec, 6) + "\n",
		"DaemonSet":  "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: x, namespace: ns}\nspec:\n  template:\n    spec:\n" + ind(podSpec, 6) + "\n",
		"Pod":        "apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: ns}\nspec:\n" + ind(podSpec, 2) + "\n",
	}
}

// evalRule runs the whole engine on obj (with set as context, may be nil) and returns the
// findings of rule id only.
func evalRule(t testing.TB, id string, obj *input.Object, set *input.Set) []finding.Finding {
	t.Helper()
	if Lookup(id) == nil {
		t.Fatalf("rule %q is not registered", id)
	}
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []finding.Finding
	for _, f := range e.Evaluate(set, obj) {
		if f.Rule == id {
			out = append(out, f)
		}
	}
	return out
}

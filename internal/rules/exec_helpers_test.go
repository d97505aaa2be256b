package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
)

// execCase is one case of an execution rule's table: a pod spec, optional ConfigMaps (YAML
// documents in namespace ns), the number of findings and text the first message must contain.
type execCase struct {
	name       string
	podSpec    string
	configMaps []string
	want       int
	contains   string
}

func runExecCases(t *testing.T, rule string, cases []execCase) {
	t.Helper()
	for _, tc := range cases {
		for kind, manifest := range wrap(tc.podSpec) {
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				obj := object(t, manifest)
				objs := []*input.Object{obj}
				for _, cm := range tc.configMaps {
					objs = append(objs, object(t, cm))
				}
				fs := evalRule(t, rule, obj, input.NewSet(objs))
				if len(fs) != tc.want {
					t.Fatalf("got %d findings, want %d: %+v", len(fs), tc.want, fs)
				}
				if tc.want == 0 {
					return
				}
				f := fs[0]
				if f.Severity != finding.SeverityCritical {
					t.Errorf("severity %s, want critical", f.Severity)
				}
				if !strings.Contains(f.Message, tc.contains) {
					t.Errorf("message %q does not contain %q", f.Message, tc.contains)
				}
				if f.Container == "" || !strings.Contains(f.Message, `"`+f.Container+`"`) {
					t.Errorf("message %q does not name container %q", f.Message, f.Container)
				}
				if !strings.Contains(f.Resource.Path, "ontainers[") {
					t.Errorf("path %q does not point into a container", f.Resource.Path)
				}
			})
		}
	}
}

// shC renders a container that runs script with sh -c.
func shC(script string) string {
	return "containers:\n- name: app\n  image: alpine:3.20\n  command: [\"/bin/sh\", \"-c\", " + quote(script) + "]"
}

package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

func TestHostNamespaces(t *testing.T) {
	type want struct {
		pathSuffix string
		sev        finding.Severity
		msg        []string
	}
	tests := []struct {
		name    string
		podSpec string
		want    []want
	}{
		{"none", "containers:\n- name: app\n  image: busybox", nil},
		{"all false", "hostPID: false\nhostIPC: false\nhostNetwork: false\ncontainers:\n- name: app\n  image: busybox", nil},
		{"hostPID", "hostPID: true\ncontainers:\n- name: app\n  image: busybox",
			[]want{{"spec.hostPID", finding.SeverityHigh, []string{"hostPID: true", `container "app"`, "every process"}}}},
		{"hostIPC", "hostIPC: true\ncontainers:\n- name: app\n  image: busybox",
			[]want{{"spec.hostIPC", finding.SeverityMedium, []string{"hostIPC: true", `container "app"`}}}},
		{"hostNetwork", "hostNetwork: true\ncontainers:\n- name: cni\n  image: calico/node",
			[]want{{"spec.hostNetwork", finding.SeverityMedium, []string{"hostNetwork: true", `container "cni"`}}}},
		{"all three, two containers", "hostPID: true\nhostIPC: true\nhostNetwork: true\ncontainers:\n- name: a\n  image: x\n- name: b\n  image: nginx",
			[]want{
				{"spec.hostPID", finding.SeverityHigh, []string{`containers "a", "b"`}},
				{"spec.hostIPC", finding.SeverityMedium, []string{`containers "a", "b"`}},
				{"spec.hostNetwork", finding.SeverityMedium, []string{`containers "a", "b"`}},
			}},
	}
	for _, tt := range tests {
		for kind, manifest := range wrap(tt.podSpec) {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				fs := evalRule(t, "host-namespaces", object(t, manifest), nil)
				if len(fs) != len(tt.want) {
					t.Fatalf("got %d findings, want %d: %+v", len(fs), len(tt.want), fs)
				}
				for _, w := range tt.want {
					f := findingWithPathSuffix(fs, w.pathSuffix)
					if f == nil {
						t.Fatalf("no finding at %q: %+v", w.pathSuffix, fs)
					}
					if f.Severity != w.sev {
						t.Errorf("%s: severity %v, want %v", w.pathSuffix, f.Severity, w.sev)
					}
					for _, s := range w.msg {
						if !strings.Contains(f.Message, s) {
							t.Errorf("%s: message %q lacks %q", w.pathSuffix, f.Message, s)
						}
					}
				}
			})
		}
	}
}

// findingWithPathSuffix returns the first finding whose path ends with suffix, or nil.
func findingWithPathSuffix(fs []finding.Finding, suffix string) *finding.Finding {
	for i := range fs {
		if strings.HasSuffix(fs[i].Resource.Path, suffix) {
			return &fs[i]
		}
	}
	return nil
}

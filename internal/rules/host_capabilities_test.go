package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

func TestHostCapabilities(t *testing.T) {
	caps := func(podLevel string, add ...string) string {
		s := podLevel + "containers:\n- name: app\n  image: busybox\n  securityContext:\n    capabilities:\n      drop: [ALL]\n      add: [" + strings.Join(add, ", ") + "]"
		return s
	}
	tests := []struct {
		name    string
		podSpec string
		sevs    []finding.Severity // one per finding, in add order
		msg     string             // in the first finding's message
	}{
		{"no capabilities", "containers:\n- name: app\n  image: busybox", nil, ""},
		{"drop only", "containers:\n- name: app\n  image: busybox\n  securityContext: {capabilities: {drop: [ALL]}}", nil, ""},
		{"harmless add", caps("", "NET_BIND_SERVICE", "CHOWN"), nil, ""},
		{"SYS_ADMIN", caps("", "SYS_ADMIN"), []finding.Severity{finding.SeverityHigh}, `"SYS_ADMIN"`},
		{"cap prefix lower case", caps("", "cap_sys_admin"), []finding.Severity{finding.SeverityHigh}, `"cap_sys_admin"`},
		{"ALL", caps("", "ALL"), []finding.Severity{finding.SeverityHigh}, "every capability"},
		{"all lower case", caps("", "all"), []finding.Severity{finding.SeverityHigh}, `"all"`},
		{"module rawio bpf dac_read_search", caps("", "SYS_MODULE", "SYS_RAWIO", "BPF", "DAC_READ_SEARCH"),
			[]finding.Severity{finding.SeverityHigh, finding.SeverityHigh, finding.SeverityHigh, finding.SeverityHigh}, "kernel modules"},
		{"ptrace alone", caps("", "SYS_PTRACE"), []finding.Severity{finding.SeverityMedium}, `"SYS_PTRACE"`},
		{"ptrace with hostPID", caps("hostPID: true\n", "SYS_PTRACE"), []finding.Severity{finding.SeverityHigh}, "hostPID"},
		{"net admin alone", caps("", "NET_ADMIN"), []finding.Severity{finding.SeverityMedium}, `"NET_ADMIN"`},
		{"net admin with hostNetwork", caps("hostNetwork: true\n", "NET_ADMIN"), []finding.Severity{finding.SeverityHigh}, "hostNetwork"},
		{"medium ones", caps("", "DAC_OVERRIDE", "PERFMON", "CAP_SYS_BOOT"),
			[]finding.Severity{finding.SeverityMedium, finding.SeverityMedium, finding.SeverityMedium}, `"DAC_OVERRIDE"`},
		{"mixed", caps("", "CHOWN", "SYS_ADMIN"), []finding.Severity{finding.SeverityHigh}, "add[1]"},
	}
	for _, tt := range tests {
		for kind, manifest := range wrap(tt.podSpec) {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				fs := evalRule(t, "host-capabilities", object(t, manifest), nil)
				if len(fs) != len(tt.sevs) {
					t.Fatalf("got %d findings, want %d: %+v", len(fs), len(tt.sevs), fs)
				}
				if len(fs) == 0 {
					return
				}
				// Findings come sorted by severity, then path: compare as multisets.
				got := map[finding.Severity]int{}
				for _, f := range fs {
					got[f.Severity]++
					if f.Container != "app" || !strings.Contains(f.Message, `container "app"`) {
						t.Errorf("finding does not name the container: %+v", f)
					}
					if !strings.Contains(f.Resource.Path, "containers[0].securityContext.capabilities.add[") {
						t.Errorf("path %q", f.Resource.Path)
					}
				}
				for _, s := range tt.sevs {
					got[s]--
				}
				for s, n := range got {
					if n != 0 {
						t.Errorf("severity %v count off by %d: %+v", s, n, fs)
					}
				}
				all := ""
				for _, f := range fs {
					all += f.Message + "\n" + f.Resource.Path + "\n"
				}
				if !strings.Contains(all, tt.msg) {
					t.Errorf("messages/paths lack %q:\n%s", tt.msg, all)
				}
			})
		}
	}
}

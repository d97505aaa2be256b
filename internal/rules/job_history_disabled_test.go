package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

func TestJobHistoryDisabled(t *testing.T) {
	tests := []struct {
		name, spec string
		want       bool
	}{
		{"defaults", "schedule: '0 3 * * *'", false},
		{"both zero", "schedule: '0 3 * * *'\nsuccessfulJobsHistoryLimit: 0\nfailedJobsHistoryLimit: 0", true},
		{"only successful zero", "schedule: '0 3 * * *'\nsuccessfulJobsHistoryLimit: 0", false},
		{"only failed zero", "schedule: '0 3 * * *'\nfailedJobsHistoryLimit: 0", false},
		{"successful zero failed one", "schedule: '0 3 * * *'\nsuccessfulJobsHistoryLimit: 0\nfailedJobsHistoryLimit: 1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := evalRule(t, "job-history-disabled", object(t, cronJobManifest(tt.spec, "")), nil)
			if !tt.want {
				if len(fs) != 0 {
					t.Fatalf("unexpected: %+v", fs)
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("got %d findings: %+v", len(fs), fs)
			}
			f := fs[0]
			if f.Severity != finding.SeverityMedium || f.Resource.Path != "spec.successfulJobsHistoryLimit" ||
				!strings.Contains(f.Message, "successfulJobsHistoryLimit is 0 and failedJobsHistoryLimit is 0") || !contains(f.Attack, "T1070") {
				t.Errorf("finding %+v", f)
			}
		})
	}
}

// TestJobHistoryDisabledCombination checks the engine's combination: history switched off on a
// CronJob that also runs a privileged container is critical.
func TestJobHistoryDisabledCombination(t *testing.T) {
	manifest := strings.Replace(cronJobManifest("schedule: '0 3 * * *'\nsuccessfulJobsHistoryLimit: 0\nfailedJobsHistoryLimit: 0", ""),
		"image: registry.example.com/report:1.0\n", "image: registry.example.com/report:1.0\n            securityContext: {privileged: true}\n", 1)
	fs := evalRule(t, "job-history-disabled", object(t, manifest), nil)
	if len(fs) != 1 {
		t.Fatalf("got %d findings: %+v", len(fs), fs)
	}
	if fs[0].Severity != finding.SeverityCritical || !strings.Contains(fs[0].Escalation, "host-privileged") {
		t.Errorf("want critical raised by host-privileged: %+v", fs[0])
	}
}

package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

func TestJobSuspended(t *testing.T) {
	job := func(suspend string) string {
		return "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, namespace: ns}\nspec:\n  suspend: " + suspend +
			"\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: app\n        image: busybox\n"
	}
	tests := []struct {
		name, manifest string
		paths          []string
		msg            string
	}{
		{"cronjob suspended", cronJobManifest("schedule: '0 3 * * *'\nsuspend: true", ""), []string{"spec.suspend"}, "CronJob is suspended (suspend: true): dormant"},
		{"cronjob not suspended", cronJobManifest("schedule: '0 3 * * *'\nsuspend: false", ""), nil, ""},
		{"cronjob template suspended", cronJobManifest("schedule: '0 3 * * *'", "suspend: true"), []string{"spec.jobTemplate.spec.suspend"}, "every Job the CronJob creates"},
		{"both", cronJobManifest("schedule: '0 3 * * *'\nsuspend: true", "suspend: true"), []string{"spec.jobTemplate.spec.suspend", "spec.suspend"}, "dormant"},
		{"job suspended", job("true"), []string{"spec.suspend"}, "Job is suspended"},
		{"job running", job("false"), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := evalRule(t, "job-suspended", object(t, tt.manifest), nil)
			if len(fs) != len(tt.paths) {
				t.Fatalf("got %d findings, want %d: %+v", len(fs), len(tt.paths), fs)
			}
			all := ""
			for i, f := range fs {
				if f.Severity != finding.SeverityInfo || f.Resource.Path != tt.paths[i] {
					t.Errorf("finding %d: %+v, want info at %s", i, f, tt.paths[i])
				}
				all += f.Message + "\n"
			}
			if !strings.Contains(all, tt.msg) {
				t.Errorf("messages lack %q:\n%s", tt.msg, all)
			}
		})
	}
}

package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

func TestJobTTLImmediate(t *testing.T) {
	job := func(ttl string) string {
		return "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, namespace: ns}\nspec:\n  ttlSecondsAfterFinished: " + ttl +
			"\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: app\n        image: busybox\n"
	}
	tests := []struct {
		name, manifest string
		path           string // "" when no finding
		msg            string
	}{
		{"job ttl 0", job("0"), "spec.ttlSecondsAfterFinished", "ttlSecondsAfterFinished is 0: the finished Job and its pods (and logs) are deleted as soon as it finishes"},
		{"job ttl 59", job("59"), "spec.ttlSecondsAfterFinished", "59s after it finishes"},
		{"job ttl 60", job("60"), "", ""},
		{"job ttl a day", job("86400"), "", ""},
		{"cronjob template ttl 5", cronJobManifest("schedule: '0 3 * * *'", "ttlSecondsAfterFinished: 5"), "spec.jobTemplate.spec.ttlSecondsAfterFinished", "is 5"},
		{"cronjob no ttl", cronJobManifest("schedule: '0 3 * * *'", ""), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := evalRule(t, "job-ttl-immediate", object(t, tt.manifest), nil)
			if tt.path == "" {
				if len(fs) != 0 {
					t.Fatalf("unexpected: %+v", fs)
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("got %d findings: %+v", len(fs), fs)
			}
			f := fs[0]
			if f.Severity != finding.SeverityMedium || f.Resource.Path != tt.path || !strings.Contains(f.Message, tt.msg) {
				t.Errorf("finding %+v, want medium at %s with %q", f, tt.path, tt.msg)
			}
		})
	}
	// Workloads without a Job spec are not judged.
	for kind, manifest := range wrap("containers:\n- name: app\n  image: busybox") {
		if fs := evalRule(t, "job-ttl-immediate", object(t, manifest), nil); len(fs) != 0 {
			t.Errorf("%s: %+v", kind, fs)
		}
	}
}

package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

func TestJobConcurrencyAllow(t *testing.T) {
	tests := []struct {
		name, spec, jobSpec string
		want                bool
		msg                 string
	}{
		{"default policy, every minute", "schedule: '* * * * *'", "", true, "concurrencyPolicy is unset (Allow by default)"},
		{"explicit Allow", "schedule: '*/2 * * * *'\nconcurrencyPolicy: Allow", "", true, "concurrencyPolicy is Allow, schedule \"*/2 * * * *\" runs every 2m"},
		{"Forbid", "schedule: '* * * * *'\nconcurrencyPolicy: Forbid", "", false, ""},
		{"Replace", "schedule: '* * * * *'\nconcurrencyPolicy: Replace", "", false, ""},
		{"deadline set", "schedule: '* * * * *'", "activeDeadlineSeconds: 50", false, ""},
		{"hourly", "schedule: '0 * * * *'", "", false, ""},
		{"invalid schedule", "schedule: 'nonsense'", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := evalRule(t, "job-concurrency-allow", object(t, cronJobManifest(tt.spec, tt.jobSpec)), nil)
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
			if f.Severity != finding.SeverityLow || f.Resource.Path != "spec.concurrencyPolicy" || !strings.Contains(f.Message, tt.msg) {
				t.Errorf("finding %+v, want low at spec.concurrencyPolicy with %q", f, tt.msg)
			}
		})
	}
	for kind, manifest := range wrap("containers:\n- name: app\n  image: busybox") {
		if fs := evalRule(t, "job-concurrency-allow", object(t, manifest), nil); len(fs) != 0 {
			t.Errorf("%s: %+v", kind, fs)
		}
	}
}

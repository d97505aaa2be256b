package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

func TestJobScheduleFrequent(t *testing.T) {
	tests := []struct {
		schedule string
		want     bool
		msg      string
	}{
		{"* * * * *", true, `schedule "* * * * *" runs every 1m (1440 runs a day)`},
		{"*/1 * * * *", true, "every 1m"},
		{"@every 1m", true, "every 1m"},
		{"0-59/2 * * * *", true, "every 2m"},
		{"*/5 * * * *", true, "every 5m"},
		{"0,59 * * * *", true, "as often as 1m apart"},
		{"*/10 * * * *", false, ""},
		{"0 3 * * *", false, ""},
		{"@hourly", false, ""},
		{"@every 10m", false, ""},
		{"61 * * * *", false, ""}, // invalid: job-schedule-invalid's business
		{"0 0 31 2 *", false, ""}, // never fires
	}
	for _, tt := range tests {
		t.Run(tt.schedule, func(t *testing.T) {
			fs := evalRule(t, "job-schedule-frequent", object(t, cronJobManifest("schedule: '"+tt.schedule+"'", "")), nil)
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
			if f.Severity != finding.SeverityMedium || f.Resource.Path != "spec.schedule" || !strings.Contains(f.Message, tt.msg) {
				t.Errorf("finding %+v, want medium at spec.schedule with %q", f, tt.msg)
			}
		})
	}
}

func TestJobScheduleFrequentRaisedByTakeover(t *testing.T) {
	manifest := strings.Replace(cronJobManifest("schedule: '*/2 * * * *'", ""),
		"image: registry.example.com/report:1.0\n", "image: registry.example.com/report:1.0\n            securityContext: {privileged: true}\n", 1)
	fs := evalRule(t, "job-schedule-frequent", object(t, manifest), nil)
	if len(fs) != 1 || fs[0].Severity != finding.SeverityHigh || fs[0].Escalation == "" {
		t.Fatalf("want one finding raised to high: %+v", fs)
	}
}

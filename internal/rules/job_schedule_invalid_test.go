package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// cronJobManifest builds a CronJob with extra lines under spec (indented 2) and under the job
// template's spec (indented 6), running one container "app".
func cronJobManifest(spec, jobSpec string) string {
	ind := func(s string, n int) string {
		if s == "" {
			return ""
		}
		pad := strings.Repeat(" ", n)
		lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
		for i := range lines {
			lines[i] = pad + lines[i]
		}
		return strings.Join(lines, "\n") + "\n"
	}
	return "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: report, namespace: ops}\nspec:\n" + ind(spec, 2) +
		"  jobTemplate:\n    spec:\n" + ind(jobSpec, 6) +
		"      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n          - name: app\n            image: registry.example.com/report:1.0\n"
}

func TestJobScheduleInvalid(t *testing.T) {
	tests := []struct {
		name  string
		spec  string
		paths []string // one per finding, sorted
		msg   string
	}{
		{"daily", "schedule: '0 3 * * *'", nil, ""},
		{"descriptor", "schedule: '@hourly'", nil, ""},
		{"every", "schedule: '@every 1h30m'", nil, ""},
		{"time zone field", "schedule: '0 3 * * *'\ntimeZone: Europe/Berlin", nil, ""},
		{"empty", "schedule: ''", []string{"spec.schedule"}, "empty"},
		{"missing", "suspend: false", []string{"spec.schedule"}, "empty"},
		{"bad minute", "schedule: '61 * * * *'", []string{"spec.schedule"}, `"61 * * * *" does not parse: `},
		{"four fields", "schedule: '* * * *'", []string{"spec.schedule"}, "expected exactly 5 fields"},
		{"six fields", "schedule: '0 * * * * *'", []string{"spec.schedule"}, "expected exactly 5 fields"},
		{"unknown descriptor", "schedule: '@fortnightly'", []string{"spec.schedule"}, "does not parse"},
		{"never fires", "schedule: '0 0 31 2 *'", []string{"spec.schedule"}, "never fires"},
		{"TZ without fields does not panic", "schedule: 'TZ=UTC'", []string{"spec.schedule", "spec.schedule"}, "invalid schedule format"},
		{"CRON_TZ", "schedule: 'CRON_TZ=Europe/Berlin 0 3 * * *'", []string{"spec.schedule"}, "since Kubernetes 1.29"},
		{"TZ and timeZone", "schedule: 'TZ=UTC 0 3 * * *'\ntimeZone: Etc/UTC", []string{"spec.schedule"}, "rejects using both"},
		{"unknown TZ", "schedule: 'TZ=Mars/Olympus 0 3 * * *'", []string{"spec.schedule", "spec.schedule"}, "Mars/Olympus"},
		{"bad timeZone", "schedule: '0 3 * * *'\ntimeZone: Mars/Olympus", []string{"spec.timeZone"}, `timeZone "Mars/Olympus" is invalid`},
		{"Local timeZone", "schedule: '0 3 * * *'\ntimeZone: Local", []string{"spec.timeZone"}, "not Local"},
		{"empty timeZone", "schedule: '0 3 * * *'\ntimeZone: ''", []string{"spec.timeZone"}, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := evalRule(t, "job-schedule-invalid", object(t, cronJobManifest(tt.spec, "")), nil)
			if len(fs) != len(tt.paths) {
				t.Fatalf("got %d findings, want %d: %+v", len(fs), len(tt.paths), fs)
			}
			all := ""
			for i, f := range fs {
				if f.Resource.Path != tt.paths[i] {
					t.Errorf("finding %d: path %q, want %q", i, f.Resource.Path, tt.paths[i])
				}
				if f.Severity.String() != "medium" {
					t.Errorf("severity %v", f.Severity)
				}
				all += f.Message + "\n"
			}
			if !strings.Contains(all, tt.msg) {
				t.Errorf("messages lack %q:\n%s", tt.msg, all)
			}
		})
	}
	// Kinds without a schedule are not judged.
	for kind, manifest := range wrap("containers:\n- name: app\n  image: busybox") {
		if kind == "CronJob" {
			continue
		}
		if fs := evalRule(t, "job-schedule-invalid", object(t, manifest), nil); len(fs) != 0 {
			t.Errorf("%s: %+v", kind, fs)
		}
	}
}

func TestAnalyzeSchedule(t *testing.T) {
	tests := []struct {
		schedule string
		gap      time.Duration
		frequent bool
		describe string
	}{
		{"* * * * *", time.Minute, true, "every 1m (1440 runs a day)"},
		{"*/1 * * * *", time.Minute, true, "every 1m (1440 runs a day)"},
		{"@every 1m", time.Minute, true, "every 1m (1440 runs a day)"},
		{"@every 30s", 30 * time.Second, true, "every 30s (2880 runs a day)"},
		{"@every 90s", 90 * time.Second, true, "every 1m30s (960 runs a day)"},
		{"@every 7m", 7 * time.Minute, false, "every 7m"},
		{"@every 5m", 5 * time.Minute, true, "every 5m (288 runs a day)"},
		{"0-59/2 * * * *", 2 * time.Minute, true, "every 2m (720 runs a day)"},
		{"*/5 * * * *", 5 * time.Minute, true, "every 5m (288 runs a day)"},
		{"*/6 * * * *", 6 * time.Minute, false, ""},
		{"*/7 * * * *", 4 * time.Minute, true, "as often as 4m apart (216 runs a day)"}, // :56 -> :00
		{"0,59 * * * *", time.Minute, true, "as often as 1m apart (48 runs a day)"},
		{"0,30 * * * *", 30 * time.Minute, false, ""},
		{"0 * * * *", time.Hour, false, "every 1h (24 runs a day)"},
		{"@hourly", time.Hour, false, ""},
		{"0 3 * * *", 24 * time.Hour, false, ""},
		{"@daily", 24 * time.Hour, false, ""},
		{"*/2 * * * 6", 2 * time.Minute, true, ""},
		{"*/3 9-17 * * 1-5", 3 * time.Minute, true, "as often as 3m apart (180 runs a day)"},
		{"58,59 23 * * *", time.Minute, true, ""},
		{"0 23,0 * * *", time.Hour, false, ""},
		{"59 23 * * *", 24 * time.Hour, false, ""},
		{"59 23 31 12 *", 24 * time.Hour, false, ""},
		{"CRON_TZ=UTC */2 * * * *", 2 * time.Minute, true, ""},
		{"TZ=America/New_York * * * * *", time.Minute, true, ""},
	}
	for _, tt := range tests {
		si := analyzeSchedule(tt.schedule)
		if si.err != nil || si.never {
			t.Errorf("%q: err %v never %v", tt.schedule, si.err, si.never)
			continue
		}
		if si.minGap != tt.gap || si.frequent() != tt.frequent {
			t.Errorf("%q: gap %v frequent %v, want %v %v", tt.schedule, si.minGap, si.frequent(), tt.gap, tt.frequent)
		}
		if tt.describe != "" && si.describe() != tt.describe {
			t.Errorf("%q: describe %q, want %q", tt.schedule, si.describe(), tt.describe)
		}
	}
}

// TestSpecMinGapMatchesNext checks the field analysis against walking the schedule with Next.
func TestSpecMinGapMatchesNext(t *testing.T) {
	schedules := []string{
		"* * * * *", "*/2 * * * *", "*/7 * * * *", "*/13 */5 * * *", "0,59 * * * *", "1-3 * * * *",
		"5,55 0,23 * * *", "58,59 23 * * *", "0,1 23 * * 1", "0 0 * * *", "30 1,2 * * *", "0 */3 * * *",
		"*/10 9-17 * * 1-5", "15 10 1,15 * *", "0 0 1 * 0", "*/20 0 * * 0,1", "59 23 * * 6,0", "0 0 * 2 *",
		"@hourly", "@daily", "@weekly", "@monthly", "0-5 12 * * *", "10,40 */2 * * *", "0 12 29 2 *",
	}
	for _, s := range schedules {
		parsed, err := cron.ParseStandard(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		spec := *parsed.(*cron.SpecSchedule)
		spec.Location = time.UTC
		gap, _, ok := specMinGap(&spec)
		if !ok {
			t.Fatalf("%q: not analysed", s)
		}
		// Walk 8 years of runs for sparse schedules, or a few weeks for dense ones.
		var brute time.Duration
		prev := spec.Next(scheduleEpoch)
		for i := 0; i < 20000 && !prev.IsZero(); i++ {
			next := spec.Next(prev)
			if next.IsZero() || next.Year() > scheduleEpoch.Year()+8 {
				break
			}
			if g := next.Sub(prev); brute == 0 || g < brute {
				brute = g
			}
			prev = next
		}
		if brute < 24*time.Hour || gap < 24*time.Hour {
			if gap != brute {
				t.Errorf("%q: specMinGap %v, walking Next %v", s, gap, brute)
			}
		}
	}
}

func BenchmarkAnalyzeScheduleUncached(b *testing.B) {
	for i := 0; i < b.N; i++ {
		analyzeScheduleUncached("*/3 9-17 * * 1-5")
	}
}

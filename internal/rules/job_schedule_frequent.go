package rules

import (
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "job-schedule-frequent",
		Category: finding.CategoryJobBehaviour,
		Severity: finding.SeverityMedium,
		Title:    "CronJob runs every few minutes",
		Description: "The CronJob's schedule runs at least every 5 minutes (the shortest gap between two " +
			"consecutive runs, computed from the parsed schedule in wall-clock time). A schedule that " +
			"fires every minute or two re-plants a container as soon as it is killed: persistence for a " +
			"backdoor and a steady supply of miners. Benign look-alikes are health checks, queue " +
			"pollers and metric collectors; alone this is a weak signal, and the engine raises it to high " +
			"when the same workload can take over its node.",
		Remediation: "Run frequent work as a Deployment (a long-running loop) or lengthen the schedule; " +
			"confirm who owns the CronJob.",
		Attack:       []string{"T1053.007"},
		ThreatMatrix: []string{"MS-TA9014"},
		Mitigations:  []string{"M1047", "M1018"},
		Check:        checkScheduleFrequent,
	})
}

func checkScheduleFrequent(_ *Context, w *workload.Workload) []Result {
	if w.CronJob == nil {
		return nil
	}
	si := analyzeSchedule(w.CronJob.Spec.Schedule)
	if !si.frequent() {
		return nil
	}
	return []Result{{
		Message: "schedule " + quote(w.CronJob.Spec.Schedule) + " runs " + si.describe(),
		Path:    "spec.schedule",
	}}
}

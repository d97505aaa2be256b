package rules

import (
	"strconv"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "job-history-disabled",
		Category: finding.CategoryJobBehaviour,
		Severity: finding.SeverityMedium,
		Title:    "CronJob keeps no job history",
		Description: "successfulJobsHistoryLimit and failedJobsHistoryLimit are both 0: every finished Job " +
			"is deleted with its pods, so nobody can see what ran, when, or read its logs (T1070, " +
			"indicator removal). One limit at 0 is common housekeeping; both at 0 also throws away the " +
			"failures. Alone it is a weak signal; the engine raises it to critical when the same workload " +
			"shows what it runs, a disguise or a takeover capability.",
		Remediation: "Keep some history (the defaults are 3 successful and 1 failed Job) and ship logs off " +
			"the cluster.",
		Attack:       []string{"T1070"},
		ThreatMatrix: []string{"MS-TA9014", "MS-TA9021"},
		Mitigations:  []string{"M1047"},
		Check:        checkHistoryDisabled,
	})
}

func checkHistoryDisabled(_ *Context, w *workload.Workload) []Result {
	if w.CronJob == nil {
		return nil
	}
	s, f := w.CronJob.Spec.SuccessfulJobsHistoryLimit, w.CronJob.Spec.FailedJobsHistoryLimit
	if s == nil || f == nil || *s > 0 || *f > 0 {
		return nil
	}
	return []Result{{
		Message: "successfulJobsHistoryLimit is " + strconv.Itoa(int(*s)) + " and failedJobsHistoryLimit is " +
			strconv.Itoa(int(*f)) + ": every finished Job and its pods (and logs) are deleted at once",
		Path: "spec.successfulJobsHistoryLimit",
	}}
}

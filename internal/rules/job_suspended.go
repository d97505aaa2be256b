package rules

import (
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "job-suspended",
		Category: finding.CategoryJobBehaviour,
		Severity: finding.SeverityInfo,
		Title:    "Suspended CronJob or Job",
		Description: "suspend: true on a CronJob (no new runs) or a Job (no pods yet). A suspended job is " +
			"dormant, not gone: anyone who may patch it can switch it on, and an attacker can plant one to " +
			"be resumed later, when nobody is looking. Suspending is also an ordinary operation (paused " +
			"maintenance, Kueue-managed Jobs), so this is information only: check that someone owns it.",
		Remediation:  "Delete suspended jobs nobody needs; review the ones you keep like running ones.",
		Attack:       []string{"T1053.007"},
		ThreatMatrix: []string{"MS-TA9014"},
		Mitigations:  []string{"M1047", "M1018"},
		Check:        checkSuspended,
	})
}

func checkSuspended(_ *Context, w *workload.Workload) []Result {
	var out []Result
	if w.CronJob != nil && w.CronJob.Spec.Suspend != nil && *w.CronJob.Spec.Suspend {
		out = append(out, Result{
			Message: "CronJob is suspended (suspend: true): dormant, it runs again as soon as someone sets suspend to false",
			Path:    "spec.suspend",
		})
	}
	if w.Job != nil && w.Job.Suspend != nil && *w.Job.Suspend {
		msg := "Job is suspended (suspend: true): its pods start as soon as someone sets suspend to false"
		if w.CronJob != nil {
			msg = "job template is suspended (suspend: true): every Job the CronJob creates waits until someone resumes it"
		}
		out = append(out, Result{Message: msg, Path: w.JobPath + ".suspend"})
	}
	return out
}

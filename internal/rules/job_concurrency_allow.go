package rules

import (
	batchv1 "k8s.io/api/batch/v1"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "job-concurrency-allow",
		Category: finding.CategoryJobBehaviour,
		Severity: finding.SeverityLow,
		Title:    "Frequent CronJob runs can pile up",
		Description: "The CronJob allows concurrent runs (concurrencyPolicy Allow, which is the default " +
			"when the field is unset), runs at least every 5 minutes, and its Jobs have no " +
			"activeDeadlineSeconds. Runs that do not finish (a miner never does) accumulate: a new pod " +
			"every few minutes, each one kept, which multiplies whatever the container does. Many benign " +
			"CronJobs have the same settings and finish quickly, so this is low.",
		Remediation: "Set concurrencyPolicy: Forbid (or Replace) and an activeDeadlineSeconds on the job " +
			"template so a stuck run cannot multiply.",
		Attack:       []string{"T1496"},
		ThreatMatrix: []string{"MS-TA9014"},
		Mitigations:  []string{"M1047"},
		Check:        checkConcurrencyAllow,
	})
}

func checkConcurrencyAllow(_ *Context, w *workload.Workload) []Result {
	cj := w.CronJob
	if cj == nil || w.Job.ActiveDeadlineSeconds != nil {
		return nil
	}
	policy := cj.Spec.ConcurrencyPolicy
	if policy != "" && policy != batchv1.AllowConcurrent {
		return nil
	}
	si := analyzeSchedule(cj.Spec.Schedule)
	if !si.frequent() {
		return nil
	}
	how := "concurrencyPolicy is Allow"
	if policy == "" {
		how = "concurrencyPolicy is unset (Allow by default)"
	}
	return []Result{{
		Message: how + ", schedule " + quote(cj.Spec.Schedule) + " runs " + si.describe() +
			" and the job template sets no activeDeadlineSeconds: runs that never finish pile up",
		Path: "spec.concurrencyPolicy",
	}}
}

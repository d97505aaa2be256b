package rules

import (
	"strconv"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "job-ttl-immediate",
		Category: finding.CategoryJobBehaviour,
		Severity: finding.SeverityMedium,
		Title:    "Finished Jobs are deleted at once",
		Description: "ttlSecondsAfterFinished is below 60 on a Job (or a CronJob's job template): the TTL " +
			"controller deletes the Job and its pods, logs included, within a minute of it finishing, " +
			"before anyone sees it (T1070, indicator removal). Benign look-alikes are one-shot hooks and " +
			"CI jobs that clean up after themselves; a TTL of minutes or hours gives the same housekeeping " +
			"and leaves time to look. The engine raises it to critical when the same workload shows what " +
			"it runs, a disguise or a takeover capability.",
		Remediation:  "Set ttlSecondsAfterFinished to an hour or more, and ship logs off the cluster.",
		Attack:       []string{"T1070"},
		ThreatMatrix: []string{"MS-TA9014", "MS-TA9021"},
		Mitigations:  []string{"M1047"},
		Check:        checkTTLImmediate,
	})
}

// ttlImmediate is the TTL below which finished Jobs vanish before anyone looks.
const ttlImmediate = 60

func checkTTLImmediate(_ *Context, w *workload.Workload) []Result {
	if w.Job == nil || w.Job.TTLSecondsAfterFinished == nil || *w.Job.TTLSecondsAfterFinished >= ttlImmediate {
		return nil
	}
	ttl := *w.Job.TTLSecondsAfterFinished
	return []Result{{
		Message: "ttlSecondsAfterFinished is " + strconv.Itoa(int(ttl)) + ": the finished Job and its pods (and logs) are deleted " +
			ttlWhen(ttl),
		Path: w.JobPath + ".ttlSecondsAfterFinished",
	}}
}

func ttlWhen(ttl int32) string {
	if ttl <= 0 {
		return "as soon as it finishes"
	}
	return strconv.Itoa(int(ttl)) + "s after it finishes"
}

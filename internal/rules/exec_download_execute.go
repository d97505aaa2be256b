package rules

import (
	"github.com/jobguard/jobguard/internal/cmdline"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:           "exec-download-execute",
		Category:     finding.CategoryExecution,
		Severity:     finding.SeverityCritical,
		Title:        "Downloads code and runs it",
		Description:  "The container fetches code from the network and runs it: a download piped into a shell or interpreter (curl, wget, busybox wget, python urllib, /dev/tcp reads), or written to a file that is then executed. This is how planted jobs pull their real payload, so the manifest itself looks harmless and the payload can change between runs.",
		Remediation:  "Build what the job runs into a pinned, reviewed image. Never pipe a download into a shell; if a file must be fetched, verify its checksum or signature before use.",
		Attack:       []string{"T1059", "T1105"},
		ThreatMatrix: []string{"MS-TA9014", "MS-TA9012"},
		Mitigations:  []string{"M1038", "M1018"},
		Check: func(ctx *Context, w *workload.Workload) []Result {
			return execResults(ctx, w, cmdline.DownloadExecute)
		},
	})
}

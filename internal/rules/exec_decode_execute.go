package rules

import (
	"github.com/jobguard/jobguard/internal/cmdline"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:           "exec-decode-execute",
		Category:     finding.CategoryExecution,
		Severity:     finding.SeverityCritical,
		Title:        "Decodes a hidden payload and runs it",
		Description:  "The container decodes an encoded blob (base64 and the like) and runs the result. Encoding hides the real command from reviewers and from scanners that read manifests as text.",
		Remediation:  "Remove the encoded payload; run plain, reviewed commands from a pinned image.",
		Attack:       []string{"T1059", "T1140", "T1027"},
		ThreatMatrix: []string{"MS-TA9014", "MS-TA9012"},
		Mitigations:  []string{"M1038", "M1018"},
		Check: func(ctx *Context, w *workload.Workload) []Result {
			return execResults(ctx, w, cmdline.DecodeExecute)
		},
	})
}

package rules

import (
	"github.com/jobguard/jobguard/internal/cmdline"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:           "exec-miner",
		Category:     finding.CategoryExecution,
		Severity:     finding.SeverityCritical,
		Title:        "Runs a cryptominer",
		Description:  "The container runs a cryptocurrency miner (xmrig-like binaries, stratum+tcp:// pool URLs, --donate-level, well-known pool ports): resource hijacking, the most common payload of planted jobs and DaemonSets.",
		Remediation:  "Delete the workload, find how it was created (audit logs), and restrict who may create workloads (RBAC).",
		Attack:       []string{"T1496"},
		ThreatMatrix: []string{"MS-TA9014", "MS-TA9012"},
		Mitigations:  []string{"M1018", "M1026"},
		Check: func(ctx *Context, w *workload.Workload) []Result {
			return execResults(ctx, w, cmdline.Miner)
		},
	})
}

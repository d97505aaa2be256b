package rules

import (
	"github.com/jobguard/jobguard/internal/cmdline"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:           "exec-host-escape",
		Category:     finding.CategoryExecution,
		Severity:     finding.SeverityCritical,
		Title:        "Escapes into the node",
		Description:  "The container enters the node's namespaces (nsenter -t 1), chroots into the node's filesystem mounted from the host, or drives the node's container runtime through its socket: from there it owns the node and every pod on it.",
		Remediation:  "Remove the escape; do not grant hostPID, privileged or host mounts to workloads. Enforce the baseline Pod Security Standard at least.",
		Attack:       []string{"T1611"},
		ThreatMatrix: []string{"MS-TA9014", "MS-TA9018"},
		Mitigations:  []string{"M1026", "M1038"},
		Check: func(ctx *Context, w *workload.Workload) []Result {
			return execResults(ctx, w, cmdline.HostEscape)
		},
	})
}

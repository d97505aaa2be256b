package rules

import (
	"github.com/jobguard/jobguard/internal/cmdline"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:           "exec-host-persistence",
		Category:     finding.CategoryExecution,
		Severity:     finding.SeverityCritical,
		Title:        "Plants persistence on the node",
		Description:  "The container writes to the node's cron tables, SSH authorized_keys, systemd units or rc.local through a host mount: the attacker survives the workload being deleted.",
		Remediation:  "Remove the workload and the written files on every node it ran on; do not mount host paths writable.",
		Attack:       []string{"T1543", "T1053.003", "T1098.004"},
		ThreatMatrix: []string{"MS-TA9014", "MS-TA9013"},
		Mitigations:  []string{"M1026", "M1022"},
		Check: func(ctx *Context, w *workload.Workload) []Result {
			return execResults(ctx, w, cmdline.HostPersistence)
		},
	})
}

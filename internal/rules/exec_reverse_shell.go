package rules

import (
	"github.com/jobguard/jobguard/internal/cmdline"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:           "exec-reverse-shell",
		Category:     finding.CategoryExecution,
		Severity:     finding.SeverityCritical,
		Title:        "Opens a reverse shell",
		Description:  "The container connects out and hands a shell to whoever listens: bash -i redirected to /dev/tcp, nc/ncat -e, socat exec, mkfifo loops, python/perl socket one-liners. A scheduled job that does this gives an attacker interactive access to the cluster again and again.",
		Remediation:  "Delete the workload and investigate who created it (audit logs); rotate credentials its service account could reach.",
		Attack:       []string{"T1059"},
		ThreatMatrix: []string{"MS-TA9014", "MS-TA9012"},
		Mitigations:  []string{"M1038", "M1018", "M1031"},
		Check: func(ctx *Context, w *workload.Workload) []Result {
			return execResults(ctx, w, cmdline.ReverseShell)
		},
	})
}

package rules

import (
	"github.com/jobguard/jobguard/internal/cmdline"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:           "exec-credential-theft",
		Category:     finding.CategoryExecution,
		Severity:     finding.SeverityCritical,
		Title:        "Sends credentials out of the cluster",
		Description:  "The container reads a service-account token, the kubelet's or an admin kubeconfig, and sends it to a destination outside the cluster: whoever receives it acts with that identity.",
		Remediation:  "Delete the workload, revoke the exposed credentials (delete the token's secret or rotate the service account's keys), and review what that identity can do.",
		Attack:       []string{"T1552", "T1528"},
		ThreatMatrix: []string{"MS-TA9014"},
		Mitigations:  []string{"M1018", "M1026"},
		Check: func(ctx *Context, w *workload.Workload) []Result {
			return execResults(ctx, w, cmdline.CredentialTheft)
		},
	})
}

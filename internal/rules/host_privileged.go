package rules

import (
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "host-privileged",
		Category: finding.CategoryHostAccess,
		Severity: finding.SeverityHigh,
		Title:    "Privileged container",
		Description: "A privileged container has every capability and the host's devices: it can mount the " +
			"node's disks and escape to the node. A job or DaemonSet that runs one re-plants that access " +
			"every time it runs.",
		Remediation:  "Remove securityContext.privileged (or set it to false) and grant only the capabilities the container needs.",
		Attack:       []string{"T1611", "T1610"},
		ThreatMatrix: []string{"MS-TA9018"},
		Mitigations:  []string{"M1026", "M1038"},
		Check:        checkPrivileged,
	})
}

func checkPrivileged(_ *Context, w *workload.Workload) []Result {
	var out []Result
	for _, c := range w.Containers() {
		if sc := c.SecurityContext; sc != nil && sc.Privileged != nil && *sc.Privileged {
			out = append(out, Result{
				Message:   string(c.Type) + " " + quote(c.Name) + " runs privileged (securityContext.privileged: true)",
				Path:      c.Path + ".securityContext.privileged",
				Container: c.Name,
				Image:     c.Image,
			})
		}
	}
	return out
}

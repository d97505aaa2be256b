package rules

import (
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "identity-token-mounted",
		Category: finding.CategoryIdentity,
		Severity: finding.SeverityLow,
		Title:    "Service account token mounted",
		Description: "The pod runs as a named service account and gets its API token mounted, so whatever runs " +
			"in the container can act with that account's permissions. Often needed and harmless; it " +
			"matters together with what the account may do (identity-powerful-service-account).",
		Remediation: "Set automountServiceAccountToken: false in the pod spec (or on the ServiceAccount) unless " +
			"the container calls the Kubernetes API.",
		Attack:      []string{"T1552", "T1078"},
		Mitigations: []string{"M1018"},
		Check:       checkTokenMounted,
	})
}

func checkTokenMounted(ctx *Context, w *workload.Workload) []Result {
	sa := w.ServiceAccount()
	if sa == "default" {
		return nil
	}
	mounted, path, why := tokenMount(ctx.Set, w)
	if !mounted {
		return nil
	}
	if path == "" {
		path = w.SpecPath + ".serviceAccountName"
		if w.PodSpec.ServiceAccountName == "" {
			path = w.SpecPath + ".serviceAccount"
		}
	}
	return []Result{{
		Message: "pod runs as service account " + quote(w.Namespace()+"/"+sa) + " with its API token mounted (" + why + ")",
		Path:    path,
	}}
}

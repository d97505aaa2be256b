package rules

import (
	"strconv"
	"strings"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "identity-powerful-service-account",
		Category: finding.CategoryIdentity,
		Severity: finding.SeverityHigh,
		Title:    "Workload runs as a powerful service account",
		Description: "The pod's service account is bound (by a RoleBinding in its namespace or a " +
			"ClusterRoleBinding, directly or through the groups system:serviceaccounts[:<namespace>] or " +
			"system:authenticated) to cluster-admin or to a role that can do everything, create or change " +
			"workloads, read Secrets, exec into pods, mint tokens, or escalate, bind or impersonate. A job " +
			"with that token can take over its namespace or the cluster. Judged from the RBAC objects of " +
			"the same input; reported as medium when the pod does not mount the token.",
		Remediation: "Run the workload as a service account of its own that has only the permissions it needs, " +
			"and set automountServiceAccountToken: false when it does not call the API.",
		Attack:      []string{"T1078", "T1552"},
		Mitigations: []string{"M1018", "M1026"},
		Check:       checkPowerfulServiceAccount,
	})
}

// maxGrantsInMessage caps how many binding chains one message lists.
const maxGrantsInMessage = 3

func checkPowerfulServiceAccount(ctx *Context, w *workload.Workload) []Result {
	if !ctx.Set.HasRBAC() {
		return nil
	}
	ns, sa := w.Namespace(), w.ServiceAccount()
	grants := serviceAccountPower(ctx.Set, ns, sa)
	if len(grants) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("pod runs as service account ")
	b.WriteString(quote(ns + "/" + sa))
	if w.PodSpec.ServiceAccountName == "" && w.PodSpec.DeprecatedServiceAccount == "" {
		b.WriteString(" (none set: the namespace's default)")
	}
	b.WriteString(", which is bound by ")
	for i, g := range grants {
		if i == maxGrantsInMessage {
			b.WriteString("; and " + strconv.Itoa(len(grants)-i) + " more")
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(g.String())
		b.WriteString(" (subject " + g.Subject + ")")
	}
	res := Result{Path: w.SpecPath}
	switch {
	case w.PodSpec.ServiceAccountName != "":
		res.Path = w.SpecPath + ".serviceAccountName"
	case w.PodSpec.DeprecatedServiceAccount != "":
		res.Path = w.SpecPath + ".serviceAccount"
	}
	if mounted, _, why := tokenMount(ctx.Set, w); !mounted {
		b.WriteString("; the token is not mounted (" + why + ")")
		res.Severity = finding.SeverityMedium
	}
	res.Message = b.String()
	return []Result{res}
}

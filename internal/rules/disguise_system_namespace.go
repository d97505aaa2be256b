package rules

import (
	"strings"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "disguise-system-namespace",
		Category: finding.CategoryDisguise,
		Severity: finding.SeverityLow,
		Title:    "Workload in a system namespace",
		Description: "The workload lives in a namespace that belongs to the cluster itself: kube-system, " +
			"kube-public, kube-node-lease, the CNI's namespaces (kube-flannel, calico-system, " +
			"calico-apiserver, tigera-operator), Google's managed-Prometheus namespaces (gmp-system, " +
			"gmp-public), or one whose name starts with openshift- or gke-; or a near-miss spelling of " +
			"kube-system, kube-public or kube-node-lease. Attackers hide there because administrators " +
			"rarely look and Pod Security admission is often exempted there. The benign look-alike is the " +
			"platform's own add-ons; those that run their official images are recognised and not reported.",
		Remediation: "Run your own workloads in your own namespaces; restrict who can create pods and " +
			"controllers in system namespaces (RBAC) and audit creations there.",
		Attack:       []string{"T1036", "T1036.005"},
		ThreatMatrix: []string{"MS-TA9023"},
		Mitigations:  []string{"M1018", "M1047"},
		Check:        checkSystemNamespace,
	})
}

// systemNamespaces are namespaces the platform itself owns.
var systemNamespaces = map[string]bool{
	"kube-system": true, "kube-public": true, "kube-node-lease": true,
	"kube-flannel": true, "calico-system": true, "calico-apiserver": true, "tigera-operator": true,
	"gmp-system": true, "gmp-public": true, "openshift": true,
}

// systemNamespacePrefixes are prefixes of namespaces the platform owns.
var systemNamespacePrefixes = []string{"openshift-", "gke-"}

// systemNamespaceLookalikes are compared by edit distance (normalized like component names):
// "kube-systern" is not kube-system.
var systemNamespaceLookalikes = func() [][2]string {
	var out [][2]string
	for _, n := range []string{"kube-system", "kube-public", "kube-node-lease"} {
		out = append(out, [2]string{n, string(sysNormalize(nil, n))})
	}
	return out
}()

func checkSystemNamespace(_ *Context, w *workload.Workload) []Result {
	ns := w.Meta.Namespace
	if ns == "" {
		return nil
	}
	msg := ""
	if systemNamespaces[ns] {
		msg = "namespace " + quote(ns) + " belongs to the cluster itself"
	} else {
		for _, p := range systemNamespacePrefixes {
			if strings.HasPrefix(ns, p) {
				msg = "namespace " + quote(ns) + " belongs to the platform (" + p + "*)"
				break
			}
		}
		if msg == "" && len(ns) <= sysNameMax {
			var buf [sysNameMax]byte
			norm := sysNormalize(buf[:0], ns)
			for _, l := range systemNamespaceLookalikes {
				if sysDistance(norm, l[1], 2) <= 2 {
					msg = "namespace " + quote(ns) + " is a near-miss spelling of " + l[0]
					break
				}
			}
		}
	}
	if msg == "" || genuineSystemWorkload(w) {
		return nil
	}
	return []Result{{
		Message: w.Kind + " " + quote(w.Meta.Name) + " runs in a system namespace: " + msg + " (images " + sysImageList(w.Containers()) + ")",
		Path:    "metadata.namespace",
	}}
}

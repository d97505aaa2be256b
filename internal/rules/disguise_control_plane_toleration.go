package rules

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "disguise-control-plane-toleration",
		Category: finding.CategoryDisguise,
		Severity: finding.SeverityMedium,
		Title:    "Tolerates control-plane nodes",
		Description: "A toleration of the node-role.kubernetes.io/control-plane (or legacy master) NoSchedule " +
			"taint, or an operator: Exists toleration without a key, which tolerates every taint, lets the " +
			"pods run on control-plane nodes, where the API server's and etcd's keys live. Attackers add " +
			"it so a DaemonSet or job lands on every node, control plane included. Real system DaemonSets " +
			"(CNI, kube-proxy, log and metrics agents) do the same, which is why this is medium; those " +
			"that run their official images are recognised and not reported.",
		Remediation: "Remove the toleration unless the workload must run on control-plane nodes; restrict " +
			"tolerations with an admission policy.",
		Attack:       []string{"T1610", "T1036"},
		ThreatMatrix: []string{"MS-TA9012"},
		Mitigations:  []string{"M1026", "M1018", "M1047"},
		Check:        checkControlPlaneToleration,
	})
}

// controlPlaneRoleLabels are the node-role keys of control-plane nodes (labels and taints).
var controlPlaneRoleLabels = map[string]bool{
	"node-role.kubernetes.io/control-plane": true,
	"node-role.kubernetes.io/master":        true,
}

func checkControlPlaneToleration(_ *Context, w *workload.Workload) []Result {
	ts := w.PodSpec.Tolerations
	if len(ts) == 0 || genuineSystemWorkload(w) {
		return nil
	}
	var out []Result
	for i, t := range ts {
		var why string
		switch {
		case t.Key == "" && t.Operator == corev1.TolerationOpExists:
			if t.Effect == "" {
				why = "tolerates every taint (operator Exists with no key), so its pods also run on control-plane nodes"
			} else if t.Effect == corev1.TaintEffectNoSchedule {
				why = "tolerates every NoSchedule taint (operator Exists with no key), so its pods also run on control-plane nodes"
			}
		case controlPlaneRoleLabels[t.Key] && (t.Effect == "" || t.Effect == corev1.TaintEffectNoSchedule):
			why = "tolerates the " + t.Key + " taint, so its pods run on control-plane nodes"
		}
		if why == "" {
			continue
		}
		out = append(out, Result{
			Message: "toleration " + tolerationString(t) + " " + why,
			Path:    w.SpecPath + ".tolerations[" + strconv.Itoa(i) + "]",
		})
	}
	return out
}

func tolerationString(t corev1.Toleration) string {
	s := "{"
	if t.Key != "" {
		s += "key: " + t.Key + ", "
	}
	op := string(t.Operator)
	if op == "" {
		op = string(corev1.TolerationOpEqual)
	}
	s += "operator: " + op
	if t.Value != "" {
		s += ", value: " + t.Value
	}
	if t.Effect != "" {
		s += ", effect: " + string(t.Effect)
	}
	return s + "}"
}

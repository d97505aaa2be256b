package rules

import (
	"maps"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "disguise-control-plane-node",
		Category: finding.CategoryDisguise,
		Severity: finding.SeverityMedium,
		Title:    "Pinned to a node or to the control plane",
		Description: "The pod template sets nodeName, which binds its pods to one node without the " +
			"scheduler (and without the scheduler's checks), or requires control-plane nodes with a " +
			"nodeSelector or required node affinity on node-role.kubernetes.io/control-plane (or master). " +
			"Attackers pin a workload to the control plane to reach the API server's and etcd's keys and " +
			"to one node to hide among its pods. Control-plane add-ons do this too, which is why this is " +
			"medium; those that run their official images are recognised and not reported. nodeName on a " +
			"Pod object is not reported: the scheduler sets it on every scheduled pod.",
		Remediation: "Remove nodeName from pod templates and let the scheduler place pods; do not target " +
			"control-plane nodes unless the workload is part of the control plane.",
		Attack:       []string{"T1610", "T1036"},
		ThreatMatrix: []string{"MS-TA9012"},
		Mitigations:  []string{"M1026", "M1018", "M1047"},
		Check:        checkControlPlaneNode,
	})
}

// legacyRoleLabel is the pre-1.16 role label; its value names the role.
const legacyRoleLabel = "kubernetes.io/role"

func checkControlPlaneNode(_ *Context, w *workload.Workload) []Result {
	s := w.PodSpec
	if s.NodeName == "" && len(s.NodeSelector) == 0 && (s.Affinity == nil || s.Affinity.NodeAffinity == nil) {
		return nil
	}
	if genuineSystemWorkload(w) {
		return nil
	}
	var out []Result
	if s.NodeName != "" && w.Kind != "Pod" {
		out = append(out, Result{
			Message: "pod template sets nodeName " + quote(s.NodeName) + ": its pods are bound to that node without the scheduler",
			Path:    w.SpecPath + ".nodeName",
		})
	}
	for _, k := range slices.Sorted(maps.Keys(s.NodeSelector)) {
		v := s.NodeSelector[k]
		if controlPlaneRoleLabels[k] || (k == legacyRoleLabel && (v == "master" || v == "control-plane")) {
			out = append(out, Result{
				Message: "nodeSelector " + k + "=" + quote(v) + " requires control-plane nodes",
				Path:    w.SpecPath + ".nodeSelector",
			})
		}
	}
	if s.Affinity != nil && s.Affinity.NodeAffinity != nil && s.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		base := w.SpecPath + ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms["
		for i, term := range s.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			for j, e := range term.MatchExpressions {
				if !requiresControlPlane(e) {
					continue
				}
				out = append(out, Result{
					Message: "required node affinity " + e.Key + " " + string(e.Operator) + " requires control-plane nodes",
					Path:    base + strconv.Itoa(i) + "].matchExpressions[" + strconv.Itoa(j) + "]",
				})
			}
		}
	}
	return out
}

func requiresControlPlane(e corev1.NodeSelectorRequirement) bool {
	switch {
	case controlPlaneRoleLabels[e.Key]:
		return e.Operator == corev1.NodeSelectorOpExists || e.Operator == corev1.NodeSelectorOpIn
	case e.Key == legacyRoleLabel && e.Operator == corev1.NodeSelectorOpIn:
		for _, v := range e.Values {
			if v == "master" || v == "control-plane" {
				return true
			}
		}
	}
	return false
}

package rules

import (
	"strings"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "host-namespaces",
		Category: finding.CategoryHostAccess,
		Severity: finding.SeverityMedium,
		Title:    "Shares the node's namespaces",
		Description: "hostPID, hostIPC or hostNetwork puts the pod in the node's PID, IPC or network " +
			"namespace. With hostPID the containers see every process of the node and, as root or with " +
			"SYS_PTRACE, can read their memory and environment or nsenter into them: a path to the node " +
			"(high). hostIPC exposes the node's shared memory (medium). hostNetwork gives the node's " +
			"interfaces and addresses, services bound to localhost (the kubelet's read-only port, " +
			"etcd on control-plane nodes) and bypasses network policies (medium; normal for CNI " +
			"DaemonSets and kube-proxy, but still a capability).",
		Remediation: "Remove hostPID, hostIPC and hostNetwork unless the workload is a node agent that " +
			"needs them; the restricted and baseline Pod Security Standards forbid them.",
		Attack:       []string{"T1611"},
		ThreatMatrix: []string{"MS-TA9018"},
		Mitigations:  []string{"M1026", "M1038", "M1048"},
		Check:        checkHostNamespaces,
	})
}

func checkHostNamespaces(_ *Context, w *workload.Workload) []Result {
	s := w.PodSpec
	if !s.HostPID && !s.HostIPC && !s.HostNetwork {
		return nil
	}
	who := hostNSContainers(w)
	var out []Result
	if s.HostPID {
		out = append(out, Result{
			Message:  "hostPID: true: " + who + " see every process of the node and can signal, trace or nsenter into them",
			Path:     w.SpecPath + ".hostPID",
			Severity: finding.SeverityHigh,
		})
	}
	if s.HostIPC {
		out = append(out, Result{
			Message:  "hostIPC: true: " + who + " share the node's IPC namespace (its shared memory and message queues)",
			Path:     w.SpecPath + ".hostIPC",
			Severity: finding.SeverityMedium,
		})
	}
	if s.HostNetwork {
		out = append(out, Result{
			Message:  "hostNetwork: true: " + who + " use the node's network namespace (its interfaces, localhost services, no network policy)",
			Path:     w.SpecPath + ".hostNetwork",
			Severity: finding.SeverityMedium,
		})
	}
	return out
}

// hostNSContainers names the containers that share a namespace, e.g. `containers "a", "b"`.
func hostNSContainers(w *workload.Workload) string {
	cs := w.Containers()
	if len(cs) == 0 {
		return "its containers"
	}
	names := make([]string, 0, len(cs))
	for _, c := range cs {
		names = append(names, quote(c.Name))
	}
	if len(names) == 1 {
		return "container " + names[0]
	}
	if len(names) > 6 {
		names = append(names[:6], "…")
	}
	return "containers " + strings.Join(names, ", ")
}

package rules

import (
	"strconv"
	"strings"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "host-capabilities",
		Category: finding.CategoryHostAccess,
		Severity: finding.SeverityMedium,
		Title:    "Adds a dangerous capability",
		Description: "securityContext.capabilities.add grants a Linux capability that reaches past the " +
			"container. High: ALL (every capability), SYS_ADMIN (mount, namespaces, cgroups: the classic " +
			"escapes), SYS_MODULE (load kernel modules), SYS_RAWIO (raw device and port I/O), " +
			"DAC_READ_SEARCH (open files by handle, read any file: the shocker escape), BPF (load kernel " +
			"programs), SYS_PTRACE when the pod has hostPID (trace any node process), NET_ADMIN when the " +
			"pod has hostNetwork (rewrite the node's routes and firewall). Medium: SYS_PTRACE and " +
			"NET_ADMIN otherwise, DAC_OVERRIDE (write any file it can reach; in the runtimes' default set, " +
			"but adding it back after drop: ALL is a choice), PERFMON (kernel tracing), SYS_BOOT, " +
			"MAC_ADMIN and MAC_OVERRIDE (change or bypass AppArmor/SELinux). Names are matched in any " +
			"case and with or without the CAP_ prefix, as container runtimes accept them.",
		Remediation: "Drop ALL capabilities and add back only what the container needs (restricted Pod " +
			"Security allows only NET_BIND_SERVICE).",
		Attack:       []string{"T1611"},
		ThreatMatrix: []string{"MS-TA9018"},
		Mitigations:  []string{"M1026", "M1038", "M1048"},
		Check:        checkHostCapabilities,
	})
}

// dangerousCaps maps a capability (upper case, no CAP_ prefix) to its severity and what it gives.
var dangerousCaps = map[string]struct {
	sev  finding.Severity
	what string
}{
	"ALL":             {finding.SeverityHigh, "every capability"},
	"SYS_ADMIN":       {finding.SeverityHigh, "mounts, namespaces and cgroups: the common container escapes"},
	"SYS_MODULE":      {finding.SeverityHigh, "loading kernel modules into the node"},
	"SYS_RAWIO":       {finding.SeverityHigh, "raw I/O on devices and ports"},
	"DAC_READ_SEARCH": {finding.SeverityHigh, "reading any file and opening files by handle (a known escape)"},
	"BPF":             {finding.SeverityHigh, "loading BPF programs into the kernel"},
	"SYS_PTRACE":      {finding.SeverityMedium, "tracing and reading the memory of processes it can see"},
	"NET_ADMIN":       {finding.SeverityMedium, "reconfiguring interfaces, routes and firewall rules"},
	"DAC_OVERRIDE":    {finding.SeverityMedium, "bypassing file permission checks"},
	"PERFMON":         {finding.SeverityMedium, "kernel performance monitoring and tracing"},
	"SYS_BOOT":        {finding.SeverityMedium, "rebooting the node"},
	"MAC_ADMIN":       {finding.SeverityMedium, "changing AppArmor/SELinux policy"},
	"MAC_OVERRIDE":    {finding.SeverityMedium, "bypassing AppArmor/SELinux"},
}

func checkHostCapabilities(_ *Context, w *workload.Workload) []Result {
	var out []Result
	for _, c := range w.Containers() {
		sc := c.SecurityContext
		if sc == nil || sc.Capabilities == nil {
			continue
		}
		for i, capName := range sc.Capabilities.Add {
			name := strings.ToUpper(strings.TrimSpace(string(capName)))
			name = strings.TrimPrefix(name, "CAP_")
			d, ok := dangerousCaps[name]
			if !ok {
				continue
			}
			sev, what := d.sev, d.what
			switch {
			case name == "SYS_PTRACE" && w.PodSpec.HostPID:
				sev, what = finding.SeverityHigh, "tracing any process of the node (the pod has hostPID)"
			case name == "NET_ADMIN" && w.PodSpec.HostNetwork:
				sev, what = finding.SeverityHigh, "reconfiguring the node's own network (the pod has hostNetwork)"
			}
			out = append(out, Result{
				Message:   string(c.Type) + " " + quote(c.Name) + " adds capability " + quote(string(capName)) + ": " + what,
				Path:      c.Path + ".securityContext.capabilities.add[" + strconv.Itoa(i) + "]",
				Container: c.Name,
				Image:     c.Image,
				Severity:  sev,
			})
		}
	}
	return out
}

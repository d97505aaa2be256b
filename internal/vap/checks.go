package vap

import (
	"strings"

	"github.com/jobguard/jobguard/internal/config"
	"github.com/jobguard/jobguard/internal/finding"
)

// Check is one validation of the exported policy: the part of one jobguard rule that CEL can
// express at one severity. A rule whose findings have several severities (host-path,
// host-namespaces, host-capabilities) has one check per severity, so --min-severity selects them
// as it selects findings.
type Check struct {
	// ID names the check: the rule ID, or "rule/part" when the rule has several checks.
	ID string
	// Rule is the jobguard rule the check exports.
	Rule string
	// Severity is the severity of the findings the check stands for (after the config's overrides).
	Severity finding.Severity
	// Summary says what the check refuses, for the export's header and the docs.
	Summary string
	// Caveat says where the check differs from the rule as scan and the webhook run it ("" if it
	// does not).
	Caveat string

	expression string
	message    string
}

// variable is one of the policy's CEL variables. Later variables may use earlier ones.
type variable struct{ name, expression string }

// Paths and capabilities below mirror the host rules of internal/rules; parity_test.go checks
// them against the rules' own verdicts.

// hostPathAnyAccess are host paths whose contents give the node or the cluster away: a mount at,
// under or above one is high even read-only. /var/run spellings are listed beside /run ones, as
// the rule folds /var/run into /run.
var hostPathAnyAccess = []string{
	"/etc/kubernetes", "/var/lib/kubelet", "/var/lib/etcd", "/var/lib/docker", "/var/lib/containerd",
	"/var/lib/containers", "/root", "/home", "/proc", "/etc/shadow", "/etc/ssh",
	"/run/docker.sock", "/run/docker", "/run/containerd", "/run/crio", "/run/k3s/containerd",
	"/run/cri-dockerd.sock", "/run/dockershim.sock", "/run/podman", "/run/dbus", "/run/systemd",
	"/var/run/docker.sock", "/var/run/docker", "/var/run/containerd", "/var/run/crio", "/var/run/k3s/containerd",
	"/var/run/cri-dockerd.sock", "/var/run/dockershim.sock", "/var/run/podman", "/var/run/dbus", "/var/run/systemd",
}

// hostPathExactHigh are directories that are high when mounted whole.
var hostPathExactHigh = []string{"/sys", "/dev", "/boot"}

// hostPathWritePrefixes are system prefixes where a read-write mount at, under or above them is high.
var hostPathWritePrefixes = []string{
	"/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt/cni", "/boot",
	"/sys", "/dev", "/run", "/var/run", "/var/log", "/var/spool",
}

// hostPathWriteBenign are writable mounts under a system prefix that node agents need.
var hostPathWriteBenign = []string{"/run/xtables.lock", "/var/run/xtables.lock"}

// Capabilities as the host-capabilities rule grades them (upper case, without CAP_).
var (
	highCapabilities   = []string{"ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_RAWIO", "DAC_READ_SEARCH", "BPF"}
	mediumCapabilities = []string{"SYS_PTRACE", "NET_ADMIN", "DAC_OVERRIDE", "PERFMON", "SYS_BOOT", "MAC_ADMIN", "MAC_OVERRIDE"}
)

// controlPlaneKeys are the node-role keys of control-plane nodes (labels and taints).
var controlPlaneKeys = []string{"node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master"}

// execPattern is one literal form of an exec rule, matched against each container's text (see
// the execTexts variable): one line for command and args joined by spaces, one for each exec hook
// and probe, one NAME=value line for each literal environment variable. No pattern crosses a line.
type execPattern struct {
	// anyOf lists substrings of which the text must contain one: cheap tests that keep the costly
	// regular expression (CEL charges text length times pattern length) off most texts.
	anyOf []string
	// re is the RE2 expression that must then match; "" when a substring is enough.
	re string
}

// shellPipe is a pipe into a shell or an interpreter.
const shellPipe = `\|[ \t]*(sudo[ \t]+)?([^ \t|;&\n]*/)?((ba|da|z|k)?sh|python[0-9.]*|perl)\b`

// execPatterns are the literal forms of the exported exec rules.
var execPatterns = map[string][]execPattern{
	// base64 -d piped into a shell, or eval of a decoded string.
	"exec-decode-execute": {
		{anyOf: []string{"base64"}, re: `\bbase64[ \t]+(-d|-D|--decode)\b[^|;&\n]*` + shellPipe},
		{anyOf: []string{"eval"}, re: `\beval\b[^\n]*\bbase64[ \t]+(-d|-D|--decode)\b`},
	},
	// curl or wget piped straight into a shell or interpreter.
	"exec-download-execute": {{anyOf: []string{"curl", "wget"}, re: `\b(curl|wget)\b[^|;&\n]*` + shellPipe}},
	// nsenter into PID 1's namespaces.
	"exec-host-escape": {{anyOf: []string{"nsenter"}, re: `\bnsenter\b[^\n]*([ \t]-t[ \t]*1\b|--target[ \t=]+1\b|/proc/1/ns/)`}},
	// A stratum pool URL, or xmrig's --donate-level.
	"exec-miner": {
		{anyOf: []string{"stratum"}, re: `stratum[0-9]?\+(tcp|ssl|tls)://`},
		{anyOf: []string{"--donate-level"}},
	},
	// bash -i with /dev/tcp, /dev/tcp with a descriptor copied onto it (0>&1, >&3), nc -e sh,
	// socket-connect-dup2 one-liners.
	"exec-reverse-shell": {
		{anyOf: []string{"/dev/tcp/", "/dev/udp/"}, re: `\b(ba|da|z|k)?sh[ \t]+-i\b[^\n]*/dev/(tcp|udp)/|/dev/(tcp|udp)/[^\n]*[0-9]?[<>]&[ \t]*[0-9]`},
		{anyOf: []string{"nc ", "ncat", "netcat"}, re: `\b(nc|ncat|netcat)\b[^\n]*[ \t]-(e|c|-exec|-sh-exec)[ \t=]+['"]?[^ \t\n'"]*\b(ba|da|z|k)?sh\b`},
		{anyOf: []string{".connect("}, re: `socket[^\n]*\.connect\([^\n]*(dup2|pty\.spawn)`},
	},
}

// celMatch is CEL: text (a CEL string expression) has the pattern.
func (p execPattern) celMatch(text string) string {
	var tests []string
	for _, s := range p.anyOf {
		tests = append(tests, text+".contains("+celString(s)+")")
	}
	cond := "(" + strings.Join(tests, " || ") + ")"
	if p.re != "" {
		cond += " && " + text + ".matches(" + celString(p.re) + ")"
	}
	return "(" + cond + ")"
}

// celEvidence is CEL: what of text the pattern matched (the text has it).
func (p execPattern) celEvidence(text string) string {
	if p.re == "" {
		return celString(p.anyOf[0])
	}
	return text + ".find(" + celString(p.re) + ")"
}

const execCaveat = "literal strings only, no shell parsing (see below)"

// variables returns the policy's variables; containers leaves out the containers of exempt images.
func variables(exemptImages []string) []variable {
	containers := "variables.allContainers"
	if len(exemptImages) > 0 {
		containers += ".filter(c, !has(c.image) || !c.image.matches(" + celString(globRegexp(exemptImages)) + "))"
	}
	return []variable{
		{"podSpec", "request.kind.kind == 'CronJob' ? dyn(object).spec.jobTemplate.spec.template.spec : " +
			"(request.kind.kind == 'Pod' ? dyn(object).spec : " +
			"(request.kind.kind == 'PodTemplate' ? dyn(object).template.spec : dyn(object).spec.template.spec))"},
		{"allContainers", "(has(variables.podSpec.containers) ? variables.podSpec.containers : []) + " +
			"(has(variables.podSpec.initContainers) ? variables.podSpec.initContainers : []) + " +
			"(has(variables.podSpec.ephemeralContainers) ? variables.podSpec.ephemeralContainers : [])"},
		{"containers", containers},
		{"jobSpec", "request.kind.kind == 'CronJob' ? dyn(object).spec.jobTemplate.spec : dyn(object).spec"},
		{"hostPathVolumesAbs", "has(variables.podSpec.volumes) ? variables.podSpec.volumes.filter(v, has(v.hostPath))" +
			".map(v, {'name': string(v.name), 'path': string(v.hostPath.path.startsWith('/') ? v.hostPath.path : '/' + v.hostPath.path)}) : []"},
		{"hostPathVolumes", "variables.hostPathVolumesAbs.map(v, {'name': string(v.name), " +
			"'path': string(v.path != '/' && v.path.endsWith('/') ? v.path.substring(0, size(v.path) - 1) : v.path)})"},
		{"hostPathMounts", "variables.containers.map(c, !has(c.volumeMounts) ? [] : " +
			"c.volumeMounts.filter(m, variables.hostPathVolumes.exists(v, v.name == m.name)).map(m, {" +
			"'container': string(c.name), " +
			"'mode': (has(m.readOnly) && m.readOnly) ? 'ro' : 'rw', " +
			"'path': string(variables.hostPathVolumes.filter(v, v.name == m.name).map(v, " +
			"has(m.subPath) && m.subPath != '' ? (v.path == '/' ? '' : v.path) + '/' + " +
			"(m.subPath.endsWith('/') ? m.subPath.substring(0, size(m.subPath) - 1) : m.subPath) : v.path)[0])}))"},
		{"execTexts", "variables.containers.map(c, {'name': string(c.name), 'text': string((" +
			"[((has(c.command) ? c.command : []) + (has(c.args) ? c.args : [])).join(' ')]" +
			execHook("lifecycle.postStart") + execHook("lifecycle.preStop") +
			execHook("livenessProbe") + execHook("readinessProbe") + execHook("startupProbe") +
			" + (has(c.env) ? c.env.filter(e, has(e.value)).map(e, string(e.name) + '=' + string(e.value)) : [])" +
			").join('\\n'))})"},
	}
}

// execHook returns the CEL that appends the exec command of c.<field> (a hook or probe), joined
// by spaces, when it has one.
func execHook(field string) string {
	// has(c.lifecycle) && has(c.lifecycle.postStart) ...: each step must be guarded.
	parts := strings.Split(field, ".")
	guards := make([]string, 0, len(parts)+2)
	for i := range parts {
		guards = append(guards, "has(c."+strings.Join(parts[:i+1], ".")+")")
	}
	guards = append(guards, "has(c."+field+".exec)", "has(c."+field+".exec.command)")
	return " + (" + strings.Join(guards, " && ") + " ? [c." + field + ".exec.command.join(' ')] : [])"
}

// containerCheck refuses containers for which pred (CEL over c) holds; what (a CEL string over c)
// completes "container NAME ...".
func containerCheck(rule, id string, sev finding.Severity, summary, caveat, pred, what string) Check {
	return Check{
		ID: id, Rule: rule, Severity: sev, Summary: summary, Caveat: caveat,
		expression: "!variables.containers.exists(c, " + pred + ")",
		message: "'" + rule + ": ' + variables.containers.filter(c, " + pred + ").map(c, 'container ' + " +
			"strings.quote(c.name) + " + what + ").join('; ')",
	}
}

// execCheck refuses containers whose text has one of the rule's execPatterns.
func execCheck(rule, summary string) Check {
	var conds, evidence []string
	for _, p := range execPatterns[rule] {
		conds = append(conds, p.celMatch("t.text"))
		evidence = append(evidence, p.celMatch("t.text")+" ? "+p.celEvidence("t.text")+" : ''")
	}
	pred := strings.Join(conds, " || ")
	return Check{
		ID: rule, Rule: rule, Severity: finding.SeverityCritical, Summary: summary, Caveat: execCaveat,
		expression: "!variables.execTexts.exists(t, " + pred + ")",
		message: "'" + rule + ": ' + variables.execTexts.filter(t, " + pred + ").map(t, 'container ' + " +
			"strings.quote(t.name) + ' runs ' + strings.quote([" + strings.Join(evidence, ", ") + "].filter(s, s != '')" +
			".map(s, size(s) > 120 ? s.substring(0, 120) + '...' : s)[0])).join('; ')",
	}
}

// atUnderOrAbove is CEL: p is one of list, inside one, or a directory that contains one.
func atUnderOrAbove(p string, list []string) string {
	return celList(list) + ".exists(s, " + p + " == s || " + p + ".startsWith(s + '/') || s.startsWith(" + p + " + '/'))"
}

// hostPathHigh is CEL over a hostPathMounts entry m: the mount is high.
func hostPathHigh() string {
	return "m.path.contains('//') || m.path.contains('/./') || m.path.endsWith('/.') || m.path == '/' || " +
		atUnderOrAbove("m.path", hostPathAnyAccess) + " || m.path in " + celList(hostPathExactHigh) +
		" || m.path.endsWith('.sock') || m.path.endsWith('.socket') || (m.mode == 'rw' && !(m.path in " +
		celList(hostPathWriteBenign) + ") && " + atUnderOrAbove("m.path", hostPathWritePrefixes) + ")"
}

// capsOf is CEL: the capabilities container c adds, upper case, without CAP_.
const capsOf = "(has(c.securityContext) && has(c.securityContext.capabilities) && has(c.securityContext.capabilities.add) ? " +
	"c.securityContext.capabilities.add : []).map(x, x.upperAscii().trim()).map(x, x.startsWith('CAP_') ? x.substring(4) : x)"

const (
	hostPID     = "(has(variables.podSpec.hostPID) && variables.podSpec.hostPID)"
	hostIPC     = "(has(variables.podSpec.hostIPC) && variables.podSpec.hostIPC)"
	hostNetwork = "(has(variables.podSpec.hostNetwork) && variables.podSpec.hostNetwork)"
	// containerNames lists every container of the pod, for pod-level messages.
	containerNames = "variables.allContainers.map(c, strings.quote(c.name)).join(', ')"
)

// podCheck refuses the pod when bad (CEL) holds; message is the CEL of the message after the rule ID.
func podCheck(rule, id string, sev finding.Severity, summary, caveat, bad, message string) Check {
	return Check{
		ID: id, Rule: rule, Severity: sev, Summary: summary, Caveat: caveat,
		expression: "!(" + bad + ")",
		message:    "'" + rule + ": ' + " + message,
	}
}

const systemCaveat = "does not recognise the platform's own add-ons (kube-proxy, CNI and other node agents that run " +
	"their official images) as the rule does: exclude their namespaces with --exclude-namespace"

// catalogue returns every check CEL can express, in rule order, for the config (which supplies
// allowedRegistries and exempt images). Severities are the rules' defaults.
func catalogue(cfg *config.Config) []Check {
	capHigh := "n in " + celList(highCapabilities) + " || (n == 'SYS_PTRACE' && " + hostPID + ") || (n == 'NET_ADMIN' && " + hostNetwork + ")"
	capMedium := "n in " + celList(mediumCapabilities)
	tolerates := "(!has(t.key) || t.key == '') && has(t.operator) && t.operator == 'Exists' && (!has(t.effect) || t.effect in ['', 'NoSchedule']) || " +
		"has(t.key) && t.key in " + celList(controlPlaneKeys) + " && (!has(t.effect) || t.effect in ['', 'NoSchedule'])"
	lastPart := "c.image.substring(c.image.lastIndexOf('/') + 1)"
	checks := []Check{
		execCheck("exec-decode-execute", "a base64 -d piped into a shell, or eval of base64-decoded text"),
		execCheck("exec-download-execute", "curl or wget piped into a shell, python or perl"),
		execCheck("exec-host-escape", "nsenter into the namespaces of the node's PID 1"),
		execCheck("exec-miner", "a stratum+tcp:// (ssl, tls) pool URL or --donate-level in what a container runs or its env"),
		execCheck("exec-reverse-shell", "bash -i or descriptors copied onto /dev/tcp, nc -e sh, socket-connect-dup2 one-liners"),

		podCheck("host-namespaces", "host-namespaces/hostPID", finding.SeverityHigh, "hostPID: true", "", hostPID,
			"'hostPID: true: containers ' + "+containerNames+" + ' see every process of the node and can signal, trace or nsenter into them'"),
		podCheck("host-namespaces", "host-namespaces/hostIPC", finding.SeverityMedium, "hostIPC: true", "", hostIPC,
			"'hostIPC: true: containers ' + "+containerNames+" + ' share the node\\'s IPC namespace'"),
		podCheck("host-namespaces", "host-namespaces/hostNetwork", finding.SeverityMedium, "hostNetwork: true", "", hostNetwork,
			"'hostNetwork: true: containers ' + "+containerNames+" + ' use the node\\'s network namespace'"),
		{
			ID: "host-path/sensitive", Rule: "host-path", Severity: finding.SeverityHigh,
			Summary: "host paths that hold or control the node or the cluster (/, /etc/kubernetes, /var/lib/kubelet, /proc, " +
				"runtime sockets and any *.sock, /sys, /dev, /boot ...), read-write mounts of system directories",
			Caveat: "judges the path as written (a trailing '/' dropped, relative paths taken from '/'); it cannot " +
				"normalise '//' or '/./', so it refuses such paths outright",
			expression: "!variables.hostPathMounts.exists(l, l.exists(m, " + hostPathHigh() + "))",
			message: "'host-path: ' + variables.hostPathMounts.map(l, l.filter(m, " + hostPathHigh() + ")).filter(l, size(l) > 0)" +
				".map(l, 'container ' + strings.quote(l[0].container) + ' mounts host path ' + l.map(m, strings.quote(m.path) + " +
				"(m.mode == 'rw' ? ' read-write' : ' read-only')).join(', ')).join('; ') + ': node or cluster secrets, " +
				"sockets or system directories (or a path not in normal form)'",
		},
		{
			ID: "host-path/mounted", Rule: "host-path", Severity: finding.SeverityMedium,
			Summary:    "any host path a container mounts",
			expression: "!variables.hostPathMounts.exists(l, size(l) > 0)",
			message: "'host-path: ' + variables.hostPathMounts.filter(l, size(l) > 0).map(l, 'container ' + strings.quote(l[0].container) + " +
				"' mounts host path ' + l.map(m, strings.quote(m.path) + (m.mode == 'rw' ? ' read-write' : ' read-only')).join(', ')).join('; ')",
		},
		{
			ID: "host-path/unmounted", Rule: "host-path", Severity: finding.SeverityLow,
			Summary: "a hostPath volume that no container mounts",
			expression: "variables.hostPathVolumes.all(v, variables.allContainers.exists(c, has(c.volumeMounts) && " +
				"c.volumeMounts.exists(m, m.name == v.name)))",
			message: "'host-path: ' + variables.hostPathVolumes.filter(v, !variables.allContainers.exists(c, has(c.volumeMounts) && " +
				"c.volumeMounts.exists(m, m.name == v.name))).map(v, 'volume ' + strings.quote(v.name) + ' declares host path ' + " +
				"strings.quote(v.path) + ' but no container mounts it').join('; ')",
		},
		containerCheck("host-privileged", "host-privileged", finding.SeverityHigh, "privileged containers", "",
			"has(c.securityContext) && has(c.securityContext.privileged) && c.securityContext.privileged == true",
			"' runs privileged (securityContext.privileged: true)'"),
		containerCheck("host-capabilities", "host-capabilities/high", finding.SeverityHigh,
			"adding ALL, SYS_ADMIN, SYS_MODULE, SYS_RAWIO, DAC_READ_SEARCH, BPF; SYS_PTRACE with hostPID; NET_ADMIN with hostNetwork", "",
			capsOf+".exists(n, "+capHigh+")", "' adds capabilities ' + "+capsOf+".filter(n, "+capHigh+").join(', ')"),
		containerCheck("host-capabilities", "host-capabilities/medium", finding.SeverityMedium,
			"adding SYS_PTRACE, NET_ADMIN, DAC_OVERRIDE, PERFMON, SYS_BOOT, MAC_ADMIN, MAC_OVERRIDE", "",
			capsOf+".exists(n, "+capMedium+")", "' adds capabilities ' + "+capsOf+".filter(n, "+capMedium+").join(', ')"),

		podCheck("job-history-disabled", "job-history-disabled", finding.SeverityMedium,
			"CronJobs with successfulJobsHistoryLimit and failedJobsHistoryLimit both 0",
			"judged alone: the rule's combination that raises it to critical is not exported",
			"request.kind.kind == 'CronJob' && has(dyn(object).spec.successfulJobsHistoryLimit) && has(dyn(object).spec.failedJobsHistoryLimit) && "+
				"dyn(object).spec.successfulJobsHistoryLimit <= 0 && dyn(object).spec.failedJobsHistoryLimit <= 0",
			"'successfulJobsHistoryLimit and failedJobsHistoryLimit are both 0: every finished Job and its pods (and logs) are deleted at once'"),
		podCheck("job-suspended", "job-suspended", finding.SeverityInfo, "suspended CronJobs and Jobs (suspend: true)",
			"Jobs that a queue controller (Kueue) creates suspended are refused too",
			"request.kind.kind == 'CronJob' && has(dyn(object).spec.suspend) && dyn(object).spec.suspend == true || "+
				"request.kind.kind in ['Job', 'CronJob'] && has(variables.jobSpec.suspend) && variables.jobSpec.suspend == true",
			"(request.kind.kind == 'CronJob' && has(dyn(object).spec.suspend) && dyn(object).spec.suspend == true ? "+
				"'CronJob is suspended (suspend: true)' : request.kind.kind + (request.kind.kind == 'CronJob' ? ' job template' : '') + "+
				"' is suspended (suspend: true)') + ': dormant, it runs as soon as someone resumes it'"),
		podCheck("job-ttl-immediate", "job-ttl-immediate", finding.SeverityMedium,
			"Jobs (and CronJob job templates) with ttlSecondsAfterFinished below 60",
			"judged alone: the rule's combination that raises it to critical is not exported",
			"request.kind.kind in ['Job', 'CronJob'] && has(variables.jobSpec.ttlSecondsAfterFinished) && variables.jobSpec.ttlSecondsAfterFinished < 60",
			"'ttlSecondsAfterFinished is ' + string(variables.jobSpec.ttlSecondsAfterFinished) + ': the finished Job and its pods (and logs) are deleted within a minute'"),

		podCheck("disguise-control-plane-node", "disguise-control-plane-node", finding.SeverityMedium,
			"nodeName in pod templates; nodeSelector or required node affinity on control-plane nodes", systemCaveat,
			"(request.kind.kind != 'Pod' && has(variables.podSpec.nodeName) && variables.podSpec.nodeName != '') || "+controlPlaneSelector+" || "+controlPlaneAffinity,
			"[(request.kind.kind != 'Pod' && has(variables.podSpec.nodeName) && variables.podSpec.nodeName != '') ? "+
				"'pod template sets nodeName ' + strings.quote(variables.podSpec.nodeName) + ': its pods bypass the scheduler' : '', "+
				controlPlaneSelector+" ? 'nodeSelector requires control-plane nodes' : '', "+
				controlPlaneAffinity+" ? 'required node affinity requires control-plane nodes' : ''].filter(s, s != '').join('; ')"),
		podCheck("disguise-control-plane-toleration", "disguise-control-plane-toleration", finding.SeverityMedium,
			"tolerations of the control-plane taint, or of every taint (operator Exists without a key)", systemCaveat,
			"has(variables.podSpec.tolerations) && variables.podSpec.tolerations.exists(t, "+tolerates+")",
			"'tolerations ' + variables.podSpec.tolerations.filter(t, "+tolerates+").map(t, (has(t.key) && t.key != '' ? t.key : 'operator Exists with no key') + "+
				"(has(t.effect) && t.effect != '' ? ':' + t.effect : '')).join(', ') + ' let its pods run on control-plane nodes'"),

		containerCheck("image-latest-tag", "image-latest-tag", finding.SeverityMedium, "images with the tag :latest, or with no tag and no digest", "",
			"has(c.image) && c.image != '' && !c.image.contains('@') && (!"+lastPart+".contains(':') || "+lastPart+".endsWith(':latest'))",
			"' image ' + strings.quote(c.image) + ' runs :latest (the tag, or no tag and no digest)'"),
		containerCheck("image-not-pinned", "image-not-pinned", finding.SeverityLow, "images not pinned by a sha256 or sha512 digest", "",
			"has(c.image) && c.image != '' && !c.image.matches("+celString(`@sha(256:[0-9a-fA-F]{64}|512:[0-9a-fA-F]{128})$`)+")",
			"' image ' + strings.quote(c.image) + ' is not pinned by digest'"),
	}
	if len(cfg.AllowedRegistries) > 0 {
		checks = append(checks, containerCheck("image-registry-not-allowed", "image-registry-not-allowed", finding.SeverityMedium,
			"images from registries not in the config's allowedRegistries ("+strings.Join(cfg.AllowedRegistries, ", ")+")", "",
			"has(c.image) && c.image != '' && !("+registryAllowedCEL("c.image", cfg.AllowedRegistries)+")",
			"' image ' + strings.quote(c.image) + "+
				celString(" comes from a registry that is not in allowedRegistries ("+strings.Join(cfg.AllowedRegistries, ", ")+")")))
	}
	return checks
}

var (
	// controlPlaneSelector is CEL: the pod's nodeSelector requires control-plane nodes.
	controlPlaneSelector = "(has(variables.podSpec.nodeSelector) && variables.podSpec.nodeSelector.exists(k, k in " + celList(controlPlaneKeys) +
		" || (k == 'kubernetes.io/role' && variables.podSpec.nodeSelector[k] in ['master', 'control-plane'])))"
	// controlPlaneAffinity is CEL: a required node affinity term requires control-plane nodes.
	controlPlaneAffinity = "(has(variables.podSpec.affinity) && has(variables.podSpec.affinity.nodeAffinity) && " +
		"has(variables.podSpec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution) && " +
		"has(variables.podSpec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms) && " +
		"variables.podSpec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.exists(term, " +
		"has(term.matchExpressions) && term.matchExpressions.exists(e, (e.key in " + celList(controlPlaneKeys) +
		" && e.operator in ['Exists', 'In']) || (e.key == 'kubernetes.io/role' && e.operator == 'In' && has(e.values) && " +
		"e.values.exists(v, v in ['master', 'control-plane'])))))"
)

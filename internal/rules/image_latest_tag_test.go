package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

func TestImageLatestTag(t *testing.T) {
	tests := []struct {
		name     string
		podSpec  string
		want     int
		wantPath string
		wantMsg  string
	}{
		{"version tag", "containers:\n- name: app\n  image: nginx:1.27", 0, "", ""},
		{"digest", "containers:\n- name: app\n  image: nginx@" + testDigest, 0, "", ""},
		{"latest with digest", "containers:\n- name: app\n  image: nginx:latest@" + testDigest, 0, "", ""},
		{"tag named latest-ish", "containers:\n- name: app\n  image: nginx:latest-alpine", 0, "", ""},
		{"registry port is no tag", "containers:\n- name: app\n  image: localhost:5000/app", 1, "containers[0].image", `"localhost:5000/app" has no tag`},
		{"latest", "containers:\n- name: app\n  image: nginx:latest", 1, "containers[0].image", `container "app" image "nginx:latest" uses the mutable tag :latest`},
		{"no tag", "containers:\n- name: app\n  image: ghcr.io/acme/backup", 1, "containers[0].image", `"ghcr.io/acme/backup" has no tag and no digest`},
		{"init container", "initContainers:\n- name: init\n  image: alpine\ncontainers:\n- name: app\n  image: nginx:1.27", 1, "initContainers[0].image", `initContainer "init"`},
		{"ephemeral", "containers:\n- name: app\n  image: nginx:1.27\nephemeralContainers:\n- name: dbg\n  image: busybox:latest", 1, "ephemeralContainers[0].image", `ephemeralContainer "dbg"`},
	}
	for _, tt := range tests {
		for kind, manifest := range wrap(tt.podSpec) {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				fs := evalRule(t, "image-latest-tag", object(t, manifest), nil)
				if len(fs) != tt.want {
					t.Fatalf("got %d findings, want %d: %+v", len(fs), tt.want, fs)
				}
				if tt.want == 0 {
					return
				}
				f := fs[0]
				if f.Severity != finding.SeverityMedium {
					t.Errorf("severity %v, want medium", f.Severity)
				}
				if !strings.HasSuffix(f.Resource.Path, tt.wantPath) {
					t.Errorf("path %q, want suffix %q", f.Resource.Path, tt.wantPath)
				}
				if !strings.Contains(f.Message, tt.wantMsg) {
					t.Errorf("message %q, want it to contain %q", f.Message, tt.wantMsg)
				}
			})
		}
	}
}

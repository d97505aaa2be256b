package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestImageNotPinned(t *testing.T) {
	tests := []struct {
		name     string
		podSpec  string
		want     int
		wantPath string // path suffix of the first finding
		wantMsg  string // substring of the first finding's message
	}{
		{"digest", "containers:\n- name: app\n  image: nginx@" + testDigest, 0, "", ""},
		{"tag and digest", "containers:\n- name: app\n  image: nginx:1.27@" + testDigest, 0, "", ""},
		{"empty image", "containers:\n- name: app\n  image: ''", 0, "", ""},
		{"unparsable image", "containers:\n- name: app\n  image: 'Bad Image'", 0, "", ""},
		{"tag", "containers:\n- name: app\n  image: nginx:1.27", 1, "containers[0].image", `container "app" image "nginx:1.27" is not pinned`},
		{"no tag", "containers:\n- name: app\n  image: busybox", 1, "containers[0].image", `"busybox"`},
		{"short digest", "containers:\n- name: app\n  image: app@sha256:" + strings.Repeat("a", 40), 1, "containers[0].image", "neither sha256 nor sha512"},
		{"init container", "initContainers:\n- name: init\n  image: alpine:3.20\ncontainers:\n- name: app\n  image: nginx@" + testDigest, 1, "initContainers[0].image", `initContainer "init"`},
		{"ephemeral container", "containers:\n- name: app\n  image: nginx@" + testDigest + "\nephemeralContainers:\n- name: dbg\n  image: busybox:1.36", 1, "ephemeralContainers[0].image", `ephemeralContainer "dbg"`},
		{"two", "containers:\n- name: a\n  image: x:1\n- name: b\n  image: y:2", 2, "containers[0].image", `"a"`},
	}
	for _, tt := range tests {
		for kind, manifest := range wrap(tt.podSpec) {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				fs := evalRule(t, "image-not-pinned", object(t, manifest), nil)
				if len(fs) != tt.want {
					t.Fatalf("got %d findings, want %d: %+v", len(fs), tt.want, fs)
				}
				if tt.want == 0 {
					return
				}
				f := fs[0]
				if f.Severity != finding.SeverityLow {
					t.Errorf("severity %v, want low", f.Severity)
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

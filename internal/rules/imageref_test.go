package rules

import (
	"strings"
	"testing"
)

func TestParseImageRef(t *testing.T) {
	const d256 = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		in                          string
		registry, path, tag, digest string
		pinned                      bool
		wantErr                     string // substring of the error; "" means valid
	}{
		{in: "nginx", registry: "docker.io", path: "library/nginx"},
		{in: "nginx:1.27", registry: "docker.io", path: "library/nginx", tag: "1.27"},
		{in: "nginx:latest", registry: "docker.io", path: "library/nginx", tag: "latest"},
		{in: "bitnami/etcd:3.5", registry: "docker.io", path: "bitnami/etcd", tag: "3.5"},
		{in: "docker.io/nginx", registry: "docker.io", path: "library/nginx"},
		{in: "index.docker.io/library/nginx", registry: "docker.io", path: "library/nginx"},
		{in: "registry.k8s.io/pause:3.10", registry: "registry.k8s.io", path: "pause", tag: "3.10"},
		{in: "registry.k8s.io/coredns/coredns:v1.11.1", registry: "registry.k8s.io", path: "coredns/coredns", tag: "v1.11.1"},
		{in: "localhost/app", registry: "localhost", path: "app"},
		{in: "localhost:5000/team/app:dev", registry: "localhost:5000", path: "team/app", tag: "dev"},
		{in: "myhost:5000/app", registry: "myhost:5000", path: "app"},
		{in: "10.0.0.1:5000/app", registry: "10.0.0.1:5000", path: "app"},
		{in: "[::1]:5000/app:v1", registry: "[::1]:5000", path: "app", tag: "v1"},
		{in: "MyRegistry/app", registry: "myregistry", path: "app"},
		{in: "ghcr.io/acme/tools/backup@" + d256, registry: "ghcr.io", path: "acme/tools/backup", digest: d256, pinned: true},
		{in: "nginx:1.27@" + d256, registry: "docker.io", path: "library/nginx", tag: "1.27", digest: d256, pinned: true},
		{in: "quay.io/a/b@sha512:" + strings.Repeat("ab", 64), registry: "quay.io", path: "a/b", digest: "sha512:" + strings.Repeat("ab", 64), pinned: true},
		{in: "app@sha256:" + strings.Repeat("a", 40), registry: "docker.io", path: "library/app", digest: "sha256:" + strings.Repeat("a", 40)}, // valid grammar, wrong length: not pinned
		{in: "a.b-c__d/e-f--g.h:Tag_1.0-x", registry: "a.b-c__d", path: "e-f--g.h", tag: "Tag_1.0-x", wantErr: "bad character"},
		{in: "e-f--g__h/i.j:Tag_1.0-x", registry: "docker.io", path: "e-f--g__h/i.j", tag: "Tag_1.0-x"},
		{in: "", wantErr: "empty"},
		{in: "Nginx", wantErr: "lower case"},
		{in: "nginx:", wantErr: "empty tag"},
		{in: "nginx:-x", wantErr: "bad character"},
		{in: "nginx:" + strings.Repeat("a", 129), wantErr: "longer"},
		{in: "nginx@sha256:abc", wantErr: "too short"},
		{in: "nginx@sha256", wantErr: "algorithm:hex"},
		{in: "nginx@sha256:" + strings.Repeat("z", 64), wantErr: "not hexadecimal"},
		{in: "registry.k8s.io//pause", wantErr: "empty path component"},
		{in: "registry.k8s.io/", wantErr: "empty repository"},
		{in: "registry.k8s.io:/pause", wantErr: "empty port"},
		{in: "registry.k8s.io:abc/pause", wantErr: "not a number"},
		{in: "-bad.io/pause", wantErr: "starts or ends"},
		{in: "bad..io/pause", wantErr: "empty host label"},
		{in: "a/b_-c", wantErr: "bad separator"},
		{in: "a/b..c", wantErr: "bad separator"},
		{in: "a/b___c", wantErr: "bad separator"},
		{in: "a/-b", wantErr: "must start and end"},
		{in: "with space/x", wantErr: "bad character"},
		{in: "[zz]:1/x", wantErr: "IPv6"},
		{in: "[zz]/x", wantErr: "bad character"},
		{in: "nginx:1.0:2", wantErr: "bad character"},
		{in: "a.io:1:2/x", wantErr: "not a number"},
		{in: "a/b\u00e9", wantErr: "bad character"},
		{in: "x.io/" + strings.Repeat("a", 260), wantErr: "longer than 255"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := parseImageRef(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseImageRef(%q) = %+v, %v; want error containing %q", tt.in, r, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseImageRef(%q): %v", tt.in, err)
			}
			if r.Registry != tt.registry || r.Path != tt.path || r.Tag != tt.tag || r.Digest != tt.digest {
				t.Errorf("parseImageRef(%q) = %+v, want registry %q path %q tag %q digest %q", tt.in, r, tt.registry, tt.path, tt.tag, tt.digest)
			}
			if r.Pinned() != tt.pinned {
				t.Errorf("Pinned() = %v, want %v", r.Pinned(), tt.pinned)
			}
		})
	}
}

func TestRegistryMatches(t *testing.T) {
	tests := []struct {
		prefix, image string
		want          bool
	}{
		{"registry.example.com", "registry.example.com/ops/backup:1", true},
		{"registry.example.com", "registry.example.com.evil.io/ops/backup:1", false},
		{"REGISTRY.example.com", "registry.example.com/x", true},
		{"ghcr.io/acme", "ghcr.io/acme/app:1", true},
		{"ghcr.io/acme/", "ghcr.io/acme/app:1", true},
		{"ghcr.io/acme/*", "ghcr.io/acme/app:1", true},
		{"ghcr.io/acme", "ghcr.io/acme", true},
		{"ghcr.io/acme", "ghcr.io/acmecorp/app:1", false},
		{"ghcr.io/acme", "ghcr.io/other/acme:1", false},
		{"docker.io", "nginx", true},
		{"docker.io/library", "nginx:1.27", true},
		{"docker.io/library", "bitnami/etcd", false},
		{"index.docker.io", "busybox", true},
		{"docker.io/bitnami", "bitnami/etcd:3", true},
		{"localhost:5000", "localhost:5000/app", true},
		{"localhost:5000", "localhost/app", false},
		{"quay.io", "docker.io/quay.io", false},
	}
	for _, tt := range tests {
		ref, err := parseImageRef(tt.image)
		if err != nil {
			t.Fatalf("%s: %v", tt.image, err)
		}
		if got := registryMatches(tt.prefix, ref); got != tt.want {
			t.Errorf("registryMatches(%q, %q) = %v, want %v", tt.prefix, tt.image, got, tt.want)
		}
	}
}

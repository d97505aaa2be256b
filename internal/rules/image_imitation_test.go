package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/config"
	"github.com/jobguard/jobguard/internal/finding"
)

func TestImageImitation(t *testing.T) {
	crit, high := finding.SeverityCritical, finding.SeverityHigh
	tests := []struct {
		image   string
		want    finding.Severity // 0: no finding
		wantMsg string
	}{
		// Typo-squatted registry hosts.
		{"registry-k8s.io/pause:3.10", crit, `imitates the registry "registry.k8s.io"`},
		{"regitry.k8s.io/pause:3.10", crit, `"registry.k8s.io"`},
		{"registry.k8s.lo/kube-proxy:v1.31.0", crit, `"registry.k8s.io"`},
		{"registry.k8s.io.evil.com/pause:3.10", crit, `"registry.k8s.io"`},
		{"k8s-gcr.io/pause:3.1", crit, `"k8s.gcr.io"`},
		{"gcr.lo/google_containers/pause:3.1", crit, `"gcr.io"`},
		{"grc.io/project/app:1", crit, `"gcr.io"`},
		{"gcr-io.com/project/app:1", crit, `"gcr.io"`},
		{"qauy.io/calico/node:v3.28.0", crit, `"quay.io"`},
		{"gchr.io/acme/app:1", crit, `"ghcr.io"`},
		{"dockerhub.io/library/nginx:1", crit, `"docker.io"`},
		{"docker-hub.com/nginx:1", crit, `"docker.io"`},
		{"dockr.io/library/nginx:1", crit, `"docker.io"`},
		{"mcr.microsoft.co/oss/kubernetes/pause:3.6", crit, `"mcr.microsoft.com"`},
		{"public.ecr.aws.io/eks/pause:3.9", crit, `"public.ecr.aws"`},
		{"qauy.io:443/cilium/cilium:v1.16.0", crit, `"quay.io"`},
		// Docker Hub (and other public registries') accounts that pose as someone.
		{"kuberntesio/pause:3.10", crit, "the Kubernetes project"},
		{"kubernetesio/kube-proxy:v1.31.0", crit, "the Kubernetes project"},
		{"k8sio/pause:3.10", crit, "the Kubernetes project"},
		{"docker.io/k8s-gcr-io/coredns:1.11", crit, "the Kubernetes project"},
		{"googlecontainer/pause:3.1", crit, "the Kubernetes project"},
		{"googlecontainers/echoserver:1.10", crit, "the Kubernetes project"},
		{"bitnarni/kubectl:1.31", crit, `imitates "bitnami"`},
		{"bitnamii/postgresql:16", crit, `imitates "bitnami"`},
		{"calic0/node:v3.28.0", crit, `imitates "calico"`},
		{"calcio/cni:v3.28.0", crit, `imitates "calico"`},
		{"quay.io/calicoo/node:v3.28.0", crit, `imitates "calico"`},
		{"ghcr.io/kubernetes-sig/kind:1", crit, `"kubernetes-sig" on ghcr.io, which imitates`},
		{"rancherr/mirrored-pause:3.6", crit, `imitates "rancher"`},
		// Well-known component names from someone else.
		{"docker.io/someuser/pause:3.10", crit, `named like the cluster component "pause" but is published by someone else on docker.io`},
		{"someuser/kube-proxy:v1.31.0", crit, `"kube-proxy"`},
		{"ghcr.io/someone/etcd:3.5.15", crit, `"etcd"`},
		{"quay.io/someone/coredns:1.11.1", crit, `"coredns"`},
		{"gcr.io/my-project/kube-apiserver:v1.31.0", crit, `"kube-apiserver"`},
		{"someuser/pause-amd64:3.1", crit, `"pause"`},
		{"someuser/kube-prxy:v1.31.0", crit, `a typo away from the cluster component "kube-proxy"`},
		{"someuser/metric-server:v0.7.0", crit, `"metrics-server"`},
		{"evil.io/kube-proxy:v1.31.0", high, `comes from "evil.io", which does not publish it`},
		{"harbor.corp.local/k8s/pause:3.10", high, `"pause"`},
		// Genuine images.
		{"registry.k8s.io/pause:3.10", 0, ""},
		{"registry.k8s.io/kube-proxy:v1.31.0", 0, ""},
		{"registry.k8s.io/etcd:3.5.15-0", 0, ""},
		{"registry.k8s.io/coredns/coredns:v1.11.3", 0, ""},
		{"registry.k8s.io/metrics-server/metrics-server:v0.7.2", 0, ""},
		{"registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0", 0, ""},
		{"registry.k8s.io/autoscaling/cluster-autoscaler:v1.31.0", 0, ""},
		{"registry.k8s.io/dns/k8s-dns-node-cache:1.23.1", 0, ""},
		{"registry.k8s.io/ingress-nginx/controller:v1.11.2", 0, ""},
		{"k8s.gcr.io/pause:3.2", 0, ""},
		{"gcr.io/google_containers/pause-amd64:3.1", 0, ""},
		{"gcr.io/google-containers/pause:3.2", 0, ""},
		{"eu.gcr.io/google_containers/pause:3.1", 0, ""},
		{"gke.gcr.io/kube-proxy-amd64:v1.30.0-gke.1", 0, ""},
		{"gcr.io/etcd-development/etcd:v3.5.15", 0, ""},
		{"gcr.io/kubebuilder/kube-rbac-proxy:v0.16.0", 0, ""},
		{"us-docker.pkg.dev/k8s-artifacts-prod/images/pause:3.10", 0, ""},
		{"quay.io/coreos/etcd:v3.5.15", 0, ""},
		{"quay.io/brancz/kube-rbac-proxy:v0.18.0", 0, ""},
		{"quay.io/cilium/cilium:v1.16.1", 0, ""},
		{"quay.io/calico/node:v3.28.1", 0, ""},
		{"quay.io/prometheus/prometheus:v2.54.0", 0, ""},
		{"quay.io/jetstack/cert-manager-controller:v1.15.3", 0, ""},
		{"quay.io/argoproj/argocd:v2.12.3", 0, ""},
		{"quay.io/k0sproject/pause:3.9", 0, ""},
		{"docker.io/calico/node:v3.28.1", 0, ""},
		{"calico/cni:v3.28.1", 0, ""},
		{"docker.io/coredns/coredns:1.11.3", 0, ""},
		{"bitnami/etcd:3.5.15", 0, ""},
		{"bitnami/kubectl:1.31", 0, ""},
		{"bitnami/metrics-server:0.7.2", 0, ""},
		{"rancher/pause:3.6", 0, ""},
		{"rancher/mirrored-pause:3.6", 0, ""},
		{"kubesphere/kube-apiserver:v1.28.0", 0, ""},
		{"kubernetesui/dashboard:v2.7.0", 0, ""},
		{"jenkinsci/jnlp-slave:latest", 0, ""},
		{"grafana/grafana:11.2.0", 0, ""},
		{"prom/prometheus:v2.54.0", 0, ""},
		{"nginxinc/nginx-unprivileged:1.27", 0, ""},
		{"ghcr.io/fluxcd/source-controller:v1.3.0", 0, ""},
		{"ghcr.io/kubernetes-sigs/kind:v0.24.0", 0, ""},
		{"ghcr.io/acme/backup:1.0", 0, ""},
		{"ghcr.io/aquasecurity/trivy:0.55.0", 0, ""},
		{"public.ecr.aws/eks/aws-load-balancer-controller:v2.8.2", 0, ""},
		{"public.ecr.aws/eks-distro/kubernetes/pause:3.9", 0, ""},
		{"602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/kube-proxy:v1.30.0-eksbuild.3", 0, ""},
		{"602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/pause:3.5", 0, ""},
		{"mcr.microsoft.com/oss/kubernetes/pause:3.6", 0, ""},
		{"mcr.microsoft.com/oss/v2/kubernetes/kube-proxy:v1.30.0", 0, ""},
		{"mcr.microsoft.com/dotnet/runtime:8.0", 0, ""},
		{"registry.cn-hangzhou.aliyuncs.com/google_containers/pause:3.9", 0, ""},
		{"registry.redhat.io/ubi9/ubi:9.4", 0, ""},
		{"registry.gitlab.com/acme/tools/backup:1.0", 0, ""},
		{"nvcr.io/nvidia/k8s-device-plugin:v0.16.2", 0, ""},
		{"icr.io/ibm/app:1", 0, ""},
		{"lscr.io/linuxserver/nginx:latest", 0, ""},
		{"docker.elastic.co/elasticsearch/elasticsearch:8.15.0", 0, ""},
		{"cgr.dev/chainguard/static:latest", 0, ""},
		{"myacr.azurecr.io/app:1", 0, ""},
		{"europe-docker.pkg.dev/my-project/repo/app:1", 0, ""},
		{"registry.example.com/ops/backup:1.2", 0, ""},
		{"registry.gitlab.corp/team/app:1", 0, ""}, // a self-hosted GitLab, two edits from registry.gitlab.com
		{"registry.k8s.local/pause:3.10", high, `"pause"`},
		{"harbor.corp.local/library/nginx:1.27", 0, ""},
		{"localhost:5000/app:dev", 0, ""},
		{"10.0.0.5:5000/app:dev", 0, ""},
		{"nginx:1.27", 0, ""},
		{"busybox", 0, ""},
		{"postgres:16", 0, ""},
		{"alpine/k8s:1.31.0", 0, ""},
		{"docker.io/library/etcd:3", 0, ""}, // only Docker publishes in library/
		{"someuser/backup-tool:1.0", 0, ""},
		{"someuser/kubectl:1.31", 0, ""},
		{"", 0, ""},
	}
	for _, tt := range tests {
		spec := "containers:\n- name: app\n  image: '" + tt.image + "'"
		for kind, manifest := range wrap(spec) {
			t.Run(tt.image+"/"+kind, func(t *testing.T) {
				fs := evalRule(t, "image-imitation", object(t, manifest), nil)
				if tt.want == 0 {
					if len(fs) != 0 {
						t.Fatalf("genuine image flagged: %+v", fs)
					}
					return
				}
				if len(fs) != 1 {
					t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
				}
				f := fs[0]
				if f.Severity != tt.want {
					t.Errorf("severity %v, want %v", f.Severity, tt.want)
				}
				if !strings.HasSuffix(f.Resource.Path, "containers[0].image") {
					t.Errorf("path %q", f.Resource.Path)
				}
				if !strings.Contains(f.Message, `container "app" image "`+tt.image+`"`) || !strings.Contains(f.Message, tt.wantMsg) {
					t.Errorf("message %q, want container, image and %q", f.Message, tt.wantMsg)
				}
			})
		}
	}
}

// TestImageImitationAllowedRegistry checks that a mirror listed in allowedRegistries is trusted.
func TestImageImitationAllowedRegistry(t *testing.T) {
	spec := "initContainers:\n- name: init\n  image: harbor.corp.local/k8s/pause:3.10\ncontainers:\n- name: app\n  image: evil.io/kube-proxy:v1\n"
	opts := Options{Config: &config.Config{AllowedRegistries: []string{"harbor.corp.local"}}}
	for kind, manifest := range wrap(spec) {
		fs := evalRuleOpts(t, opts, "image-imitation", object(t, manifest), nil)
		if len(fs) != 1 || !strings.Contains(fs[0].Message, "evil.io") || !strings.HasSuffix(fs[0].Resource.Path, "containers[0].image") {
			t.Errorf("%s: want only the evil.io container flagged, got %+v", kind, fs)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"quay.io", "quay.io", 2, 0},
		{"qauy.io", "quay.io", 2, 1}, // transposition
		{"gchr.io", "ghcr.io", 2, 1},
		{"bitnarni", "bitnami", 2, 2},
		{"regitry.k8s.io", "registry.k8s.io", 2, 1},
		{"kitten", "sitting", 5, 3},
		{"kitten", "sitting", 2, 3}, // capped at limit+1
		{"abc", "abcdef", 1, 2},
		{"", "ab", 2, 2},
		{strings.Repeat("a", 100), strings.Repeat("a", 99) + "b", 2, 1},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
}

func TestDistanceLowerBound(t *testing.T) {
	// osa is the optimal-string-alignment distance, computed in full.
	osa := func(a, b string) int {
		d := make([][]int, len(a)+1)
		for i := range d {
			d[i] = make([]int, len(b)+1)
			d[i][0] = i
		}
		for j := range d[0] {
			d[0][j] = j
		}
		for i := 1; i <= len(a); i++ {
			for j := 1; j <= len(b); j++ {
				cost := 1
				if a[i-1] == b[j-1] {
					cost = 0
				}
				d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
				if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
					d[i][j] = min(d[i][j], d[i-2][j-2]+1)
				}
			}
		}
		return d[len(a)][len(b)]
	}
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"kube-proxy", "kube-proxy", 0},
		{"ab", "ba", 0},
		{"x", "y", 1},
		{"", "abc", 3},
		{"kube-pr0xy", "kube-proxy", 1},
		{"nightly-backup", "kubeproxy", 9},
		{"a@", "a\x00", 0}, // '@' and NUL fold onto the same bit: the bound drops, never rises
	}
	for _, tt := range tests {
		if got := distanceLowerBound(tt.a, tt.b); got != tt.want {
			t.Errorf("distanceLowerBound(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := distanceLowerBound([]byte(tt.a), tt.b); got != tt.want {
			t.Errorf("distanceLowerBound([]byte(%q), %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	// The bound never exceeds the distance, and the banded distances still agree with it in full.
	words := []string{"", "a", "kube-proxy", "kubeproxy", "kube-pr0xy", "coredns", "core-dns", "etcd", "etdc",
		"calico-node", "calic0-node", "pause", "paus", "nightly-backup", "registry.k8s.io", "registry-k8s.io", "abcabc", "cbacba"}
	for _, a := range words {
		for _, b := range words {
			d := osa(a, b)
			if lb := distanceLowerBound(a, b); lb > d {
				t.Errorf("distanceLowerBound(%q, %q) = %d > distance %d", a, b, lb, d)
			}
			for limit := 0; limit <= 3; limit++ {
				if got, want := editDistance(a, b, limit), min(d, limit+1); got != want {
					t.Errorf("editDistance(%q, %q, %d) = %d, want %d", a, b, limit, got, want)
				}
			}
		}
	}
}

package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

// namedManifest builds a kind (DaemonSet, Deployment, Pod or CronJob) with a name and namespace
// around a pod spec indented at column 0.
func namedManifest(kind, name, namespace, podSpec string) string {
	m := wrap(podSpec)[kind]
	return strings.Replace(m, "metadata: {name: x, namespace: ns}", "metadata: {name: "+name+", namespace: "+namespace+"}", 1)
}

const realKubeProxy = `hostNetwork: true
priorityClassName: system-node-critical
tolerations:
- operator: Exists
containers:
- name: kube-proxy
  image: registry.k8s.io/kube-proxy:v1.37.2
  command: [/usr/local/bin/kube-proxy, --config=/var/lib/kube-proxy/config.conf]
  securityContext: {privileged: true}
  volumeMounts:
  - {name: kube-proxy, mountPath: /var/lib/kube-proxy}
  - {name: xtables-lock, mountPath: /run/xtables.lock}
  - {name: lib-modules, mountPath: /lib/modules, readOnly: true}
volumes:
- name: kube-proxy
  configMap: {name: kube-proxy}
- name: xtables-lock
  hostPath: {path: /run/xtables.lock, type: FileOrCreate}
- name: lib-modules
  hostPath: {path: /lib/modules}`

func TestDisguiseSystemName(t *testing.T) {
	pod := func(container, image string) string {
		return "containers:\n- name: " + container + "\n  image: " + image
	}
	tests := []struct {
		name, kind, objName, podSpec string
		paths                        []string // sorted
		msg                          []string // in every finding's message, joined
	}{
		{"real kube-proxy", "DaemonSet", "kube-proxy", realKubeProxy, nil, nil},
		{"real kube-proxy pod", "Pod", "kube-proxy-xk2p9", realKubeProxy, nil, nil},
		{"real coredns on EKS", "Deployment", "coredns", pod("coredns", "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/coredns:v1.11.1-eksbuild.4"), nil, nil},
		{"real coredns by digest", "Deployment", "coredns", pod("coredns", "registry.k8s.io/coredns/coredns@sha256:a0ead06651cf580044aeb0a0feba63591858fb2e43ade8c9dea45a6a89ae7e5e"), nil, nil},
		{"real aws-node", "DaemonSet", "aws-node", pod("aws-node", "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.18.0"), nil, nil},
		{"real cilium", "DaemonSet", "cilium", pod("cilium-agent", "quay.io/cilium/cilium:v1.16.0"), nil, nil},
		{"real cilium operator", "Deployment", "cilium-operator", pod("cilium-operator", "quay.io/cilium/operator-generic:v1.16.0"), nil, nil},
		{"real calico", "DaemonSet", "calico-node", "initContainers:\n- name: install-cni\n  image: docker.io/calico/cni:v3.28.0\ncontainers:\n- name: calico-node\n  image: docker.io/calico/node:v3.28.0", nil, nil},
		{"real flannel", "DaemonSet", "kube-flannel-ds", pod("kube-flannel", "docker.io/flannel/flannel:v0.25.1"), nil, nil},
		{"real pause", "Deployment", "overprovisioning", pod("pause", "registry.k8s.io/pause:3.10"), nil, nil},
		{"real metrics-server on AKS", "Deployment", "metrics-server", pod("metrics-server", "mcr.microsoft.com/oss/kubernetes/metrics-server:v0.7.1"), nil, nil},
		{"openshift payload", "DaemonSet", "node-exporter", pod("node-exporter", "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:0123"), nil, nil},
		{"ordinary names", "CronJob", "etcd-backup", "containers:\n- name: backup\n  image: registry.example.com/etcd-backup:1.2\n- name: istio-proxy\n  image: docker.io/istio/proxyv2:1.22", nil, nil},
		{"etcd backup with etcd container", "CronJob", "etcd-backup", pod("etcd", "docker.io/bitnami/etcd:3.5"), nil, nil},

		{"fake kube-proxy", "DaemonSet", "kube-proxy", pod("kube-proxy", "docker.io/evil/miner:1"),
			[]string{"metadata.name", ".containers[0].name"},
			[]string{`DaemonSet name "kube-proxy" imitates system component kube-proxy`, `it runs "docker.io/evil/miner:1"`,
				`container "kube-proxy" imitates system component kube-proxy but runs image "docker.io/evil/miner:1"`}},
		{"generated suffix", "Pod", "kube-proxy-xk2p", pod("main", "alpine:3.20"),
			[]string{"metadata.name"}, []string{"kube-proxy (with a generated-looking suffix)", `"alpine:3.20"`}},
		{"deployment pod suffix", "Pod", "coredns-7d4b9c8f6d-x2x7q", pod("coredns", "xmrig/xmrig"),
			[]string{"metadata.name", ".containers[0].name"}, []string{"system component coredns"}},
		{"leet spelling", "DaemonSet", "kube-pr0xy", pod("app", "docker.io/evil/miner:1"),
			[]string{"metadata.name"}, []string{"kube-proxy (near-miss spelling)"}},
		{"dash in coredns", "Deployment", "core-dns", pod("app", "busybox"),
			[]string{"metadata.name"}, []string{"imitates system component coredns"}},
		{"no dash", "DaemonSet", "kubeproxy", pod("app", "busybox"),
			[]string{"metadata.name"}, []string{"kube-proxy"}},
		{"typo", "Deployment", "metric-server", pod("metric-server", "busybox"),
			[]string{"metadata.name", ".containers[0].name"}, []string{"metrics-server"}},
		{"right name wrong registry", "DaemonSet", "calico-node", pod("calico-node", "docker.io/calicoo/node:v3.28.0"),
			[]string{"metadata.name", ".containers[0].name"}, []string{"calico-node", "docker.io/calico/node"}},
		{"container only", "CronJob", "report", "containers:\n- name: app\n  image: busybox\n- name: pause\n  image: docker.io/xmrig/xmrig",
			[]string{".containers[1].name"}, []string{`container "pause" imitates system component pause`, `"docker.io/xmrig/xmrig"`}},
		{"init container", "Job", "setup", "initContainers:\n- name: etcd\n  image: alpine\ncontainers:\n- name: app\n  image: busybox",
			[]string{".initContainers[0].name"}, []string{`initContainer "etcd"`}},
		{"alias", "DaemonSet", "monitoring-agent", pod("cilium-agent", "busybox"),
			[]string{".containers[0].name"}, []string{"system component cilium (cilium-agent)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := evalRule(t, "disguise-system-name", object(t, namedManifest(tt.kind, tt.objName, "kube-system", tt.podSpec)), nil)
			if len(fs) != len(tt.paths) {
				t.Fatalf("got %d findings, want %d: %+v", len(fs), len(tt.paths), fs)
			}
			all := ""
			for i, f := range fs {
				if f.Severity != finding.SeverityCritical || !strings.HasSuffix(f.Resource.Path, tt.paths[i]) {
					t.Errorf("finding %d: %v at %q, want critical at %q", i, f.Severity, f.Resource.Path, tt.paths[i])
				}
				if !contains(f.Attack, "T1036") {
					t.Errorf("attack %v lacks T1036", f.Attack)
				}
				all += f.Message + "\n"
			}
			for _, s := range tt.msg {
				if !strings.Contains(all, s) {
					t.Errorf("messages lack %q:\n%s", s, all)
				}
			}
		})
	}
}

func TestMatchSystemName(t *testing.T) {
	imitations := map[string]string{
		"kube-proxy": "kube-proxy", "kube-proxy-xk2p": "kube-proxy", "kube-pr0xy": "kube-proxy", "kubeproxy": "kube-proxy",
		"kube_proxy": "kube-proxy", "kube-proxxy": "kube-proxy", "Kube-Proxy": "kube-proxy",
		"core-dns": "coredns", "coredns": "coredns", "c0redns": "coredns", "coredns-5d78c9869d-4xk2p": "coredns",
		"kube-dns": "kube-dns", "kubedns": "kube-dns", "etcd": "etcd", "etcd-0": "etcd", "etcd-ip-10-0-1-23": "etcd",
		"kube-apiserver": "kube-apiserver", "kube-api-server": "kube-apiserver", "kube-apiserver-node1": "kube-apiserver",
		"kube-controller-manager": "kube-controller-manager", "kube-controller": "kube-controller-manager",
		"kube-scheduler": "kube-scheduler", "kube-sheduler": "kube-scheduler", "calico-node": "calico-node",
		"calico-kube-controllers": "calico-kube-controllers", "cilium": "cilium", "cilium-operator": "cilium-operator",
		"kube-flannel-ds": "kube-flannel-ds", "flannel": "kube-flannel-ds", "weave-net": "weave-net", "aws-node": "aws-node",
		"konnectivity-agent": "konnectivity-agent", "metrics-server": "metrics-server", "pause": "pause", "pau5e": "pause",
		"node-exporter": "node-exporter", "kubelet": "kubelet", "kube-let": "kubelet", "azure-cns": "azure-cni",
	}
	for name, comp := range imitations {
		m := matchSystemName(name)
		if m == nil || m.comp.Name != comp {
			t.Errorf("matchSystemName(%q) = %+v, want %s", name, m, comp)
		}
	}
	for _, name := range []string{
		"", "app", "main", "web", "nginx", "redis", "postgres", "backup", "etcd-backup", "etcd-defrag", "etcd-operator",
		"worker", "cron", "job", "sidecar", "istio-proxy", "kube-rbac-proxy", "oauth2-proxy", "cloud-sql-proxy",
		"linkerd-proxy", "envoy", "proxy", "dns", "kubectl", "kube-state-metrics", "node-problem-detector",
		"prometheus", "grafana", "alertmanager", "fluent-bit", "fluentd", "promtail", "cert-manager", "cluster-autoscaler",
		"coredns-autoscaler", "dns-autoscaler", "ebs-csi-node", "metrics-server-nanny", "cilium-envoy-config", "house",
		"parse", "cause", "calico", "kube-proxy-windows", "node", "exporter", "report", "cleanup", "kube-prometheus",
		"autoscaler", "dnsmasq", "install-cni", "controller", "scheduler", "apiserver-proxy",
	} {
		if m := matchSystemName(name); m != nil {
			t.Errorf("matchSystemName(%q) = %s (%s), want no match", name, m.comp.Name, m.how)
		}
	}
}

func TestSysImageRepo(t *testing.T) {
	for in, want := range map[string]string{
		"busybox":                            "docker.io/library/busybox",
		"busybox:1.36":                       "docker.io/library/busybox",
		"calico/node:v3.28.0":                "docker.io/calico/node",
		"docker.io/calico/node@sha256:abc":   "docker.io/calico/node",
		"index.docker.io/calico/node":        "docker.io/calico/node",
		"registry.k8s.io/kube-proxy:v1.37":   "registry.k8s.io/kube-proxy",
		"localhost:5000/kube-proxy:v1":       "localhost:5000/kube-proxy",
		"localhost/kube-proxy":               "localhost/kube-proxy",
		"Registry.K8s.io/Kube-Proxy:v1.37.2": "registry.k8s.io/kube-proxy",
	} {
		if got := sysImageRepo(in); got != want {
			t.Errorf("sysImageRepo(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkMatchSystemName(b *testing.B) {
	names := []string{"app", "kube-proxy-xk2p9", "backup-worker", "istio-proxy", "coredns-7d4b9c8f6d-x2x7q", "my-long-application-name"}
	for i := 0; i < b.N; i++ {
		for _, n := range names {
			matchSystemName(n)
		}
	}
}

// TestRealKubeProxyIsNoDisguise: the kubeadm kube-proxy DaemonSet (kube-system, tolerates every
// taint, official image) gets no disguise finding at all.
func TestRealKubeProxyIsNoDisguise(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range e.Evaluate(nil, object(t, namedManifest("DaemonSet", "kube-proxy", "kube-system", realKubeProxy))) {
		if f.Category == finding.CategoryDisguise {
			t.Errorf("%s: %s", f.Rule, f.Message)
		}
	}
}

// BenchmarkAreaRules runs the host-access, job-behaviour and disguise checks of this area on a
// CronJob and a DaemonSet, the budget being a share of 50µs per object.
func BenchmarkAreaRules(b *testing.B) {
	ids := []string{"host-namespaces", "host-path", "host-capabilities", "job-schedule-invalid", "job-schedule-frequent",
		"job-history-disabled", "job-ttl-immediate", "job-suspended", "job-concurrency-allow", "disguise-system-namespace",
		"disguise-system-name", "disguise-control-plane-toleration", "disguise-control-plane-node"}
	objs := []*workload.Workload{
		workload.From(object(b, cronJobManifest("schedule: '*/5 * * * *'\nsuccessfulJobsHistoryLimit: 0\nfailedJobsHistoryLimit: 0", "ttlSecondsAfterFinished: 10")).Obj),
		workload.From(object(b, namedManifest("DaemonSet", "kube-proxy", "kube-system", realKubeProxy)).Obj),
		workload.From(object(b, namedManifest("Deployment", "billing-api-7d4b9c8f6d", "shop", "containers:\n- name: api\n  image: registry.example.com/api:1\n- name: istio-proxy\n  image: docker.io/istio/proxyv2:1.22")).Obj),
	}
	rules := make([]*Rule, len(ids))
	for i, id := range ids {
		rules[i] = Lookup(id)
	}
	ctx := &Context{}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, w := range objs {
			for _, r := range rules {
				r.Check(ctx, w)
			}
		}
	}
}

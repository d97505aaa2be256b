package rules

import (
	"path"
	"strings"

	"github.com/jobguard/jobguard/internal/workload"
)

// This file holds what the disguise rules know about the cluster's own components: their names,
// the images they ship in, and how to tell a look-alike name from a real one.

// sysComponent is a cluster component whose name attackers borrow to hide a workload.
type sysComponent struct {
	// Name is the component's usual object name, e.g. "kube-proxy".
	Name string
	// Aliases are other names the real component's objects and containers carry.
	Aliases []string
	// Images are path.Match patterns of the image repositories (registry host and path, no tag)
	// the component ships from.
	Images []string
}

// sysComponents is the table of imitated components. Keep it to components that run as pods in
// clusters (or that attackers name pods after, like kubelet) and to official registries: a mirror
// of one of these images in a private registry is handled by exempting the mirror's images in the
// config (exemptions.images), never by widening this table.
var sysComponents = []*sysComponent{
	{Name: "kube-proxy", Images: k8sCoreImages("kube-proxy",
		"docker.io/rancher/hardened-kubernetes", "docker.io/rancher/hyperkube")},
	{Name: "kube-apiserver", Images: k8sCoreImages("kube-apiserver",
		"docker.io/rancher/hardened-kubernetes", "docker.io/rancher/hyperkube")},
	{Name: "kube-controller-manager", Aliases: []string{"kube-controller"}, Images: k8sCoreImages("kube-controller-manager",
		"docker.io/rancher/hardened-kubernetes", "docker.io/rancher/hyperkube")},
	{Name: "kube-scheduler", Images: k8sCoreImages("kube-scheduler",
		"docker.io/rancher/hardened-kubernetes", "docker.io/rancher/hyperkube")},
	{Name: "kubelet", Images: []string{"ghcr.io/siderolabs/kubelet", "docker.io/rancher/hyperkube"}},
	{Name: "etcd", Images: k8sCoreImages("etcd",
		"gcr.io/etcd-development/etcd", "quay.io/coreos/etcd", "public.ecr.aws/eks-distro/etcd-io/etcd",
		"mcr.microsoft.com/oss/etcd-io/etcd", "docker.io/rancher/hardened-etcd", "docker.io/bitnami/etcd",
		"ghcr.io/siderolabs/etcd")},
	{Name: "coredns", Images: coreDNSImages},
	{Name: "kube-dns", Aliases: []string{"kubedns"}, Images: kubeDNSImages()},
	{Name: "node-local-dns", Aliases: []string{"nodelocaldns"}, Images: k8sCoreImages("k8s-dns-node-cache",
		"registry.k8s.io/dns/k8s-dns-node-cache", "k8s.gcr.io/dns/k8s-dns-node-cache")},
	{Name: "calico-node", Images: calicoImages("node", "cni", "pod2daemon-flexvol", "csi", "node-driver-registrar")},
	{Name: "calico-kube-controllers", Images: calicoImages("kube-controllers")},
	{Name: "calico-typha", Images: calicoImages("typha")},
	{Name: "tigera-operator", Images: []string{"quay.io/tigera/operator", "docker.io/tigera/operator"}},
	{Name: "cilium", Aliases: []string{"cilium-agent"}, Images: ciliumImages("cilium", "cilium-envoy")},
	{Name: "cilium-operator", Images: ciliumImages("operator", "operator-*")},
	{Name: "kube-flannel-ds", Aliases: []string{"kube-flannel", "flannel"}, Images: []string{
		"docker.io/flannel/flannel", "docker.io/flannel/flannel-cni-plugin", "quay.io/coreos/flannel",
		"ghcr.io/flannel-io/flannel", "ghcr.io/flannel-io/flannel-cni-plugin",
		"docker.io/rancher/mirrored-flannelcni-flannel", "docker.io/rancher/mirrored-flannel-flannel",
		"docker.io/rancher/mirrored-flannelcni-flannel-cni-plugin", "docker.io/rancher/mirrored-flannel-flannel-cni-plugin"}},
	{Name: "weave-net", Aliases: []string{"weave", "weave-npc"}, Images: []string{
		"docker.io/weaveworks/weave-kube", "docker.io/weaveworks/weave-npc", "docker.io/weaveworks/weaveexec",
		"ghcr.io/weaveworks/launcher/weave-kube", "ghcr.io/weaveworks/launcher/weave-npc"}},
	{Name: "aws-node", Images: []string{
		"*.dkr.ecr.*.amazonaws.com/amazon-k8s-cni", "*.dkr.ecr.*.amazonaws.com/amazon-k8s-cni-init",
		"*.dkr.ecr.*.amazonaws.com/amazon/aws-network-policy-agent",
		"*.dkr.ecr.*.amazonaws.com.cn/amazon-k8s-cni", "*.dkr.ecr.*.amazonaws.com.cn/amazon-k8s-cni-init",
		"public.ecr.aws/eks/amazon-k8s-cni", "public.ecr.aws/eks/amazon-k8s-cni-init",
		"public.ecr.aws/eks/aws-network-policy-agent"}},
	{Name: "azure-cni", Aliases: []string{"azure-cns"}, Images: []string{
		"mcr.microsoft.com/containernetworking/*", "mcr.microsoft.com/containernetworking/*/*"}},
	{Name: "konnectivity-agent", Images: k8sCoreImages("proxy-agent",
		"registry.k8s.io/kas-network-proxy/proxy-agent", "k8s.gcr.io/kas-network-proxy/proxy-agent",
		"mcr.microsoft.com/oss/kubernetes/apiserver-network-proxy/agent",
		"mcr.microsoft.com/oss/v2/kubernetes/apiserver-network-proxy/agent")},
	{Name: "metrics-server", Images: k8sCoreImages("metrics-server",
		"registry.k8s.io/metrics-server/metrics-server", "k8s.gcr.io/metrics-server/metrics-server",
		"public.ecr.aws/eks-distro/kubernetes-sigs/metrics-server", "docker.io/rancher/mirrored-metrics-server",
		"docker.io/bitnami/metrics-server")},
	{Name: "pause", Images: k8sCoreImages("pause", "docker.io/rancher/mirrored-pause", "docker.io/rancher/pause")},
	{Name: "node-exporter", Aliases: []string{"prometheus-node-exporter"}, Images: []string{
		"quay.io/prometheus/node-exporter", "docker.io/prom/node-exporter", "docker.io/bitnami/node-exporter",
		"gke.gcr.io/prometheus-engine/node-exporter"}},
}

// sysPlatformImages are release repositories of whole distributions that ship every component
// under one repository name: an image from them counts as any component's image.
var sysPlatformImages = []string{
	"quay.io/openshift-release-dev/ocp-v4.0-art-dev",
	"quay.io/openshift-release-dev/ocp-release",
	"registry.redhat.io/openshift4/*",
}

// k8sCoreImages returns the patterns of an image published by the Kubernetes project and mirrored
// by the managed services (GKE, EKS, AKS), with and without an architecture suffix, plus extra.
func k8sCoreImages(image string, extra ...string) []string {
	prefixes := []string{
		"registry.k8s.io/", "k8s.gcr.io/", "gcr.io/google-containers/", "gcr.io/google_containers/",
		"gke.gcr.io/", "gcr.io/gke-release/", "mcr.microsoft.com/oss/kubernetes/", "mcr.microsoft.com/oss/v2/kubernetes/",
		"public.ecr.aws/eks/", "public.ecr.aws/eks-distro/kubernetes/",
		"*.dkr.ecr.*.amazonaws.com/eks/", "*.dkr.ecr.*.amazonaws.com.cn/eks/",
	}
	out := make([]string, 0, 2*len(prefixes)+len(extra)+4)
	for _, p := range prefixes {
		out = append(out, p+image, p+image+"-*")
	}
	// hyperkube bundled every control-plane binary until Kubernetes 1.19.
	switch image {
	case "kube-proxy", "kube-apiserver", "kube-controller-manager", "kube-scheduler":
		out = append(out, "k8s.gcr.io/hyperkube", "k8s.gcr.io/hyperkube-*", "gcr.io/google-containers/hyperkube*", "gcr.io/google_containers/hyperkube*")
	}
	return append(out, extra...)
}

var coreDNSImages = k8sCoreImages("coredns",
	"registry.k8s.io/coredns/coredns", "k8s.gcr.io/coredns/coredns", "docker.io/coredns/coredns",
	"public.ecr.aws/eks-distro/coredns/coredns", "docker.io/rancher/mirrored-coredns-coredns",
	"docker.io/rancher/hardened-coredns")

// kubeDNSImages returns the images of the kube-dns pod (kube-dns, dnsmasq and sidecar) and of
// CoreDNS, which serves the kube-dns Service in most clusters.
func kubeDNSImages() []string {
	out := append([]string{}, coreDNSImages...)
	for _, n := range []string{"k8s-dns-kube-dns", "k8s-dns-dnsmasq-nanny", "k8s-dns-sidecar"} {
		out = append(out, k8sCoreImages(n, "registry.k8s.io/dns/"+n+"*", "k8s.gcr.io/dns/"+n+"*")...)
	}
	return out
}

// calicoImages returns the patterns of Calico images published by Tigera and mirrored by the
// managed services.
func calicoImages(names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, "docker.io/calico/"+n, "quay.io/calico/"+n, "gke.gcr.io/calico/"+n,
			"mcr.microsoft.com/oss/calico/"+n, "mcr.microsoft.com/oss/v2/calico/"+n,
			"docker.io/rancher/mirrored-calico-"+n, "quay.io/tigera/cnx-"+n)
	}
	return out
}

func ciliumImages(names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, "quay.io/cilium/"+n, "docker.io/cilium/"+n, "mcr.microsoft.com/oss/cilium/"+n,
			"mcr.microsoft.com/oss/v2/cilium/"+n, "docker.io/rancher/mirrored-cilium-"+n)
	}
	return out
}

// sysName is one name of a component prepared for comparison.
type sysName struct {
	comp *sysComponent
	name string // as written, e.g. "kube-proxy"
	norm string // normalized, e.g. "kubeproxy"
	// maxDist is the edit distance up to which a normalized name counts as a near-miss.
	maxDist int
}

// sysNames holds every component name and alias, prepared once.
var sysNames = func() []sysName {
	var out []sysName
	var buf [sysNameMax]byte
	for _, c := range sysComponents {
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			norm := string(sysNormalize(buf[:0], n))
			out = append(out, sysName{comp: c, name: n, norm: norm, maxDist: sysMaxDist(len(norm))})
		}
	}
	return out
}()

// sysNameMax bounds the names compared by edit distance; longer names are compared exactly only.
const sysNameMax = 64

// sysMaxDist is the near-miss tolerance for a normalized name of length n: short names only match
// exactly ("etcd", "pause" are too close to ordinary words), longer ones tolerate one or two edits.
func sysMaxDist(n int) int {
	switch {
	case n <= 5:
		return 0
	case n <= 8:
		return 1
	}
	return 2
}

// sysMatch says how a name imitates a component.
type sysMatch struct {
	comp *sysComponent
	// as is the component name it matched ("kube-proxy", or an alias like "cilium-agent").
	as string
	// how describes the match for messages: "", "with a generated-looking suffix", "near-miss spelling".
	how string
}

// matchSystemName returns the component a name imitates: equal to a component name, equal to one
// followed by generated-looking suffixes ("kube-proxy-xk2p9", "coredns-7d4b9c8f6d-x2x7q"), or a
// near-miss spelling of one ("kube-pr0xy", "core-dns", "kubeproxy"). It returns nil for other names.
func matchSystemName(name string) *sysMatch {
	if name == "" {
		return nil
	}
	lower := name
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= 'A' && c <= 'Z' {
			lower = strings.ToLower(name)
			break
		}
	}
	base := sysStripGenerated(lower)
	for i := range sysNames {
		if sysNames[i].name == lower {
			return &sysMatch{comp: sysNames[i].comp, as: sysNames[i].name}
		}
	}
	if base != lower {
		for i := range sysNames {
			if sysNames[i].name == base {
				return &sysMatch{comp: sysNames[i].comp, as: sysNames[i].name, how: "with a generated-looking suffix"}
			}
		}
	}
	if len(lower) > 2*sysNameMax {
		return nil
	}
	var fullBuf, baseBuf [2 * sysNameMax]byte
	full := sysNormalize(fullBuf[:0], lower)
	nb := full
	if base != lower {
		nb = sysNormalize(baseBuf[:0], base)
	}
	best, bestDist := -1, 3
	for i := range sysNames {
		sn := &sysNames[i]
		d := sysDistance(full, sn.norm, sn.maxDist)
		if base != lower {
			d = min(d, sysDistance(nb, sn.norm, sn.maxDist))
		}
		if d <= sn.maxDist && d < bestDist {
			best, bestDist = i, d
		}
	}
	if best < 0 {
		return nil
	}
	return &sysMatch{comp: sysNames[best].comp, as: sysNames[best].name, how: "near-miss spelling"}
}

// sysNormalize appends name to dst without separators and with look-alike digits turned into the
// letters they imitate, so "kube_pr0xy" and "kube-proxy" compare equal.
func sysNormalize(dst []byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch c {
		case '-', '_', '.':
			continue
		case '0':
			c = 'o'
		case '1':
			c = 'l'
		case '3':
			c = 'e'
		case '4':
			c = 'a'
		case '5':
			c = 's'
		case '7':
			c = 't'
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// sysStripGenerated removes trailing "-token" parts that look generated: the hashes and random
// suffixes controllers add ("7d4b9c8f6d", "xk2p9"), a StatefulSet ordinal, or a node name with
// digits (static pods are named after their node). Words like "backup" stay, so "etcd-backup" is not taken for etcd.
func sysStripGenerated(name string) string {
	stripped := false
	for {
		i := strings.LastIndexByte(name, '-')
		if i <= 0 {
			return name
		}
		// "ip" starts the node names of AWS ("kube-apiserver-ip-10-0-1-23").
		if t := name[i+1:]; !sysGeneratedToken(t) && (!stripped || t != "ip") {
			return name
		}
		name, stripped = name[:i], true
	}
}

func sysGeneratedToken(t string) bool {
	if t == "" || len(t) > 16 {
		return false
	}
	digit, consonantsOnly := false, true
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case strings.IndexByte("aeiouy", c) >= 0:
			consonantsOnly = false
		case c >= 'a' && c <= 'z':
		default:
			consonantsOnly = false
		}
	}
	// Kubernetes generates suffixes from an alphabet without vowels ("bcdfghjklmnpqrstvwxz2456789").
	return digit || (consonantsOnly && len(t) >= 4)
}

// sysDistance is the optimal-string-alignment edit distance between a and b (insertions,
// deletions, substitutions and swaps of neighbours), or max+1 once it is known to exceed max. Only
// the band |i-j| <= max of the table is computed: cells outside it exceed max anyway.
func sysDistance(a []byte, b string, max int) int {
	la, lb := len(a), len(b)
	if d := la - lb; d > max || -d > max {
		return max + 1
	}
	if max == 0 || lb > sysDistCap {
		if string(a) == b {
			return 0
		}
		return max + 1
	}
	if distanceLowerBound(a, b) > max {
		return max + 1
	}
	const inf = 1 << 20
	var rows [3][sysDistCap + 2]int
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= lb; j++ {
		if j <= max {
			prev[j] = j
		} else {
			prev[j] = inf
		}
	}
	for i := 1; i <= la; i++ {
		lo, hi := i-max, i+max
		if lo < 1 {
			lo = 1
		}
		if hi > lb {
			hi = lb
		}
		cur[0] = i
		if lo > 1 {
			cur[lo-1] = inf
		}
		rowMin := inf
		if lo == 1 {
			rowMin = i
		}
		for j := lo; j <= hi; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if hi+1 <= lb {
			cur[hi+1] = inf
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[lb], max+1)
}

// sysDistCap bounds the length of the names compared by edit distance (component names are
// shorter); longer ones are compared for equality only.
const sysDistCap = 40

// sysImageRepo returns an image reference's repository with its registry made explicit and its
// tag and digest removed: "busybox:1" is "docker.io/library/busybox".
func sysImageRepo(image string) string {
	image = strings.TrimSpace(image)
	if i := strings.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndexByte(image, ':'); i >= 0 && !strings.Contains(image[i:], "/") {
		image = image[:i]
	}
	for i := 0; i < len(image); i++ {
		if c := image[i]; c >= 'A' && c <= 'Z' {
			image = strings.ToLower(image)
			break
		}
	}
	slash := strings.IndexByte(image, '/')
	if slash < 0 {
		return "docker.io/library/" + image
	}
	host := image[:slash]
	if !strings.ContainsAny(host, ".:") && host != "localhost" {
		return "docker.io/" + image
	}
	if host == "index.docker.io" || host == "registry-1.docker.io" {
		return "docker.io" + image[slash:]
	}
	return image
}

// sysImageOf reports whether image is one of the component's images (or a platform release image).
func sysImageOf(c *sysComponent, image string) bool {
	repo := sysImageRepo(image)
	for _, pats := range [][]string{c.Images, sysPlatformImages} {
		for _, p := range pats {
			if ok, _ := path.Match(p, repo); ok {
				return true
			}
		}
	}
	return false
}

// genuineSystemWorkload reports whether w is a real system component: its object name names a
// component and every container runs that component's images. The disguise rules say nothing
// about those: a real kube-proxy tolerates every taint and lives in kube-system by design.
func genuineSystemWorkload(w *workload.Workload) bool {
	m := matchSystemName(w.Meta.Name)
	if m == nil {
		return false
	}
	cs := w.Containers()
	if len(cs) == 0 {
		return false
	}
	for _, c := range cs {
		if !sysImageOf(m.comp, c.Image) {
			return false
		}
	}
	return true
}

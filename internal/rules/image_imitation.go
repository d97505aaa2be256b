package rules

import (
	"math/bits"
	"strings"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "image-imitation",
		Category: finding.CategoryImage,
		Severity: finding.SeverityCritical,
		Title:    "Image imitates a well-known registry, publisher or image",
		Description: "Malicious jobs disguise their image as a trusted one: a registry host one typo away from " +
			"registry.k8s.io or quay.io, a Docker Hub account that poses as the Kubernetes project or as a " +
			"known publisher (bitnarni/), or a Kubernetes component's name (pause, kube-proxy, etcd) pulled " +
			"from someone who does not publish it. Genuine images of these publishers are never flagged. " +
			"A component name from an unknown private registry may be a mirror and is reported as high; " +
			"registries listed in allowedRegistries are trusted and not checked.",
		Remediation: "Find out who created the workload and from where the image really comes; pull Kubernetes " +
			"components from registry.k8s.io (or a reviewed mirror listed in allowedRegistries) and pin them by digest.",
		Attack:      []string{"T1036", "T1610"},
		Mitigations: []string{"M1045"},
		Check:       checkImageImitation,
	})
}

// wellKnownRegistries are genuine registry hosts worth imitating. A host within a small edit
// distance of one of them, or spelling one of them with other separators, imitates it. Hosts close
// to each other that are all genuine are listed so none counts as a typo of another.
var wellKnownRegistries = []string{
	"registry.k8s.io", "k8s.gcr.io", "ghcr.io", "gcr.io", "gke.gcr.io", "us.gcr.io", "eu.gcr.io", "asia.gcr.io",
	"mirror.gcr.io", "quay.io", "docker.io", "index.docker.io", "registry-1.docker.io", "public.ecr.aws",
	"mcr.microsoft.com", "registry.gitlab.com", "nvcr.io", "registry.redhat.io", "registry.access.redhat.com",
	"docker.elastic.co", "cgr.dev", "registry.suse.com", "icr.io", "us.icr.io", "de.icr.io", "lscr.io",
}

// lookalikeRegistries are imitations that are too far from the real host for the edit distance.
var lookalikeRegistries = map[string]string{
	"dockerhub.io": "docker.io", "dockerhub.com": "docker.io", "docker-hub.io": "docker.io",
	"docker-hub.com": "docker.io", "hub-docker.io": "docker.io", "hub-docker.com": "docker.io",
	"dockerregistry.io": "docker.io", "k8s-registry.io": "registry.k8s.io", "k8sregistry.io": "registry.k8s.io",
	"registry.kubernetes.io": "registry.k8s.io", "kubernetes-registry.io": "registry.k8s.io",
	"gcr.com": "gcr.io", "ghcr.com": "ghcr.io", "quay.com": "quay.io",
}

// publicRegistries let anyone publish under a name of their choosing, so the owner part of the
// path tells nothing by itself.
var publicRegistries = []string{"docker.io", "quay.io", "ghcr.io", "public.ecr.aws", "registry.gitlab.com", "gcr.io", "pkg.dev"}

// wellKnownOwners are accounts on the public registries that attackers imitate; each is genuine.
var wellKnownOwners = []string{
	"library", "bitnami", "bitnamicharts", "bitnamilegacy", "calico", "tigera", "projectcalico", "rancher",
	"grafana", "prom", "prometheus", "prometheus-community", "nginxinc", "nginx", "coredns", "cilium",
	"isovalent", "istio", "jetstack", "cert-manager", "hashicorp", "kubernetes", "kubernetes-sigs",
	"kubernetes-csi", "kubernetesui", "google", "fluent", "fluentd", "elastic",
	"datadog", "traefik", "minio", "curlimages", "argoproj", "jaegertracing", "openpolicyagent", "kyverno",
	"falcosecurity", "aquasec", "aquasecurity", "amazon", "amazonlinux", "eks", "eks-distro", "microsoft",
	"redhat", "weaveworks", "linkerd", "buoyantio", "portainer", "gitlab", "jenkins", "confluentinc",
	"velero", "vmware", "kubeflow", "envoyproxy", "coreos", "brancz", "openebs", "longhornio", "goharbor",
	"fluxcd", "external-secrets", "open-telemetry", "otel", "kedacore", "kubeshark", "chainguard",
	"alpine", "ubuntu", "busybox", "docker", "google_containers", "google-containers", "jenkinsci", "linkerd2",
	"kubesphere", "k0sproject", "kindest", "openshift", "etcd-development", "kubebuilder", "gke-release",
}

// kubernetesPosers are what an account posing as the Kubernetes project (or as Google's old
// google_containers) is called once '-', '_' and '.' are removed. The real project publishes on
// registry.k8s.io, not under these names.
var kubernetesPosers = []string{
	"kubernetesio", "k8s", "k8sio", "k8sgcr", "k8sgcrio", "registryk8s", "registryk8sio", "googlecontainers",
	"googlecontainer", "gcrio", "kubesystem", "kubernetesofficial", "officialkubernetes",
}

// componentOwner is a registry host (".domain" for every host of a domain) and a path prefix
// ("" for the whole registry) that genuinely publishes a component.
type componentOwner struct{ host, path string }

// kubernetesPublishers publish (or mirror, for a distribution) every Kubernetes component image.
var kubernetesPublishers = []componentOwner{
	{"registry.k8s.io", ""}, {"k8s.gcr.io", ""}, {"gke.gcr.io", ""}, {"staging-k8s.gcr.io", ""},
	{".gcr.io", "google_containers/"}, {".gcr.io", "google-containers/"}, {".gcr.io", "gke-release/"},
	{".gcr.io", "k8s-artifacts-prod/"}, {".gcr.io", "k8s-staging-"}, {".pkg.dev", "k8s-artifacts-prod/"},
	{"public.ecr.aws", "eks-distro/"}, {"public.ecr.aws", "eks/"}, {".amazonaws.com", "eks/"},
	{".amazonaws.com", "eks-distro/"}, {"mcr.microsoft.com", ""}, {"docker.io", "rancher/"},
	{"docker.io", "kubernetes/"}, {"docker.io", "kubesphere/"}, {"registry.redhat.io", ""},
	{"quay.io", "openshift/"}, {"quay.io", "k0sproject/"}, {"registry.suse.com", ""},
	{".aliyuncs.com", "google_containers/"}, {"rocks.canonical.com", ""}, {"projects.registry.vmware.com", ""},
}

// wellKnownComponents are the images of cluster components, which a disguised job likes to
// borrow, with the publishers besides kubernetesPublishers that genuinely ship them. Sorted by name
// so the typo match is deterministic.
var wellKnownComponents = []struct {
	name   string
	owners []componentOwner
}{
	{"coredns", []componentOwner{{"docker.io", "coredns/"}}},
	{"cluster-autoscaler", []componentOwner{{"docker.io", "bitnami/"}}},
	{"etcd", []componentOwner{{"gcr.io", "etcd-development/"}, {"quay.io", "coreos/"}, {"docker.io", "bitnami/"},
		{"docker.io", "bitnamilegacy/"}}},
	{"hyperkube", []componentOwner{{"quay.io", "coreos/"}}},
	{"k8s-dns-dnsmasq-nanny", nil},
	{"k8s-dns-kube-dns", nil},
	{"k8s-dns-node-cache", nil},
	{"k8s-dns-sidecar", nil},
	{"kube-addon-manager", nil},
	{"kube-apiserver", nil},
	{"kube-controller-manager", nil},
	{"kube-proxy", nil},
	{"kube-rbac-proxy", []componentOwner{{"quay.io", "brancz/"}, {"gcr.io", "kubebuilder/"}, {"docker.io", "bitnami/"}}},
	{"kube-scheduler", nil},
	{"kube-state-metrics", []componentOwner{{"quay.io", "coreos/"}, {"docker.io", "bitnami/"}, {"docker.io", "bitnamilegacy/"}}},
	{"metrics-server", []componentOwner{{"docker.io", "bitnami/"}, {"docker.io", "bitnamilegacy/"}}},
	{"node-problem-detector", nil},
	{"pause", nil},
}

// archSuffixes are stripped from an image's base name ("pause-amd64").
var archSuffixes = []string{"-amd64", "-arm64", "-arm", "-ppc64le", "-s390x", "-windows"}

func checkImageImitation(ctx *Context, w *workload.Workload) []Result {
	var allowed []string
	if ctx.Config != nil {
		allowed = ctx.Config.AllowedRegistries
	}
	var out []Result
	for _, c := range w.Containers() {
		if c.Image == "" {
			continue
		}
		ref, err := parseImageRef(c.Image)
		if err != nil || (len(allowed) > 0 && registryAllowed(allowed, ref)) {
			continue
		}
		why, sev := imitation(ref)
		if why == "" {
			continue
		}
		out = append(out, Result{
			Message:   string(c.Type) + " " + quote(c.Name) + " image " + quote(c.Image) + " " + why,
			Path:      c.Path + ".image",
			Container: c.Name,
			Image:     c.Image,
			Severity:  sev,
		})
	}
	return out
}

// imitation says how ref imitates something well known ("" when it does not) and how bad that is.
// Only the strongest reason is given: registry, then owner, then image name.
func imitation(ref imageRef) (string, finding.Severity) {
	host := ref.Registry
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	if real := imitatedRegistry(host); real != "" {
		return "comes from " + quote(host) + ", which imitates the registry " + quote(real), finding.SeverityCritical
	}
	public := isPublicRegistry(host)
	if owner := ref.Owner(); public && owner != "" {
		if real := imitatedOwner(owner); real != "" {
			return "is published by " + quote(owner) + " on " + host + ", which imitates " + real, finding.SeverityCritical
		}
	}
	if host == dockerHub && strings.HasPrefix(ref.Path, dockerHubLibrary) {
		// Docker Hub's library/ holds only Docker's official images: no one else can publish there.
		return "", 0
	}
	base := ref.Base()
	for _, s := range archSuffixes {
		base = strings.TrimSuffix(base, s)
	}
	name, owners, ok := imitatedComponent(base)
	if !ok || ownedBy(host, ref.Path, kubernetesPublishers) || ownedBy(host, ref.Path, owners) {
		return "", 0
	}
	what := "is named like the cluster component " + quote(name)
	if name != base {
		what = "has a name (" + quote(base) + ") a typo away from the cluster component " + quote(name)
	}
	if public {
		return what + " but is published by someone else on " + host + ", where anyone can publish", finding.SeverityCritical
	}
	return what + " but comes from " + quote(host) + ", which does not publish it (if this is a reviewed mirror, " +
		"list it in allowedRegistries)", finding.SeverityHigh
}

// imitatedRegistry returns the well-known registry host imitates, or "". A typo of a genuine host
// counts even inside the genuine operator's domain (regitry.k8s.io): no genuine image uses it, and
// a node's DNS or mirror configuration can make it resolve.
func imitatedRegistry(host string) string {
	if host == "localhost" || strings.IndexByte(host, '.') < 0 || isIPHost(host) {
		return ""
	}
	for _, r := range wellKnownRegistries {
		if host == r {
			return ""
		}
	}
	if real, ok := lookalikeRegistries[host]; ok {
		return real
	}
	// One edit only: host names are long and a second edit reaches genuine private hosts
	// ("registry.gitlab.corp" is two edits from "registry.gitlab.com").
	for _, real := range wellKnownRegistries {
		if editDistance(host, real, 1) <= 1 {
			return real
		}
	}
	// "k8s-gcr.io", "registry.k8s.io.evil.com", "gcr-io.com": the real host's labels, with any
	// separators, at the start of another host.
	for _, real := range wellKnownRegistries {
		if hasLabelPrefix(host, real) {
			return real
		}
	}
	return ""
}

func isPublicRegistry(host string) bool {
	for _, p := range publicRegistries {
		if host == p || (strings.HasSuffix(host, p) && host[len(host)-len(p)-1] == '.') {
			return true
		}
	}
	return false
}

// imitatedOwner says whom owner imitates ("" when no one).
func imitatedOwner(owner string) string {
	for _, o := range wellKnownOwners {
		if owner == o {
			return ""
		}
	}
	const k8s = "the Kubernetes project (which publishes on registry.k8s.io)"
	skel := skeleton(owner)
	for _, p := range kubernetesPosers {
		if skel == p {
			return k8s
		}
	}
	for _, p := range kubernetesPosers {
		if isTypo(skel, p) {
			return k8s
		}
	}
	for _, o := range wellKnownOwners {
		if isTypo(owner, o) {
			return quote(o)
		}
	}
	return ""
}

// imitatedComponent returns the well-known component base is, or is a typo of, and its
// publishers besides kubernetesPublishers.
func imitatedComponent(base string) (string, []componentOwner, bool) {
	for _, c := range wellKnownComponents {
		if base == c.name {
			return c.name, c.owners, true
		}
	}
	for _, c := range wellKnownComponents {
		if isTypo(base, c.name) {
			return c.name, c.owners, true
		}
	}
	return "", nil, false
}

// ownedBy reports whether host/path is published by one of owners.
func ownedBy(host, path string, owners []componentOwner) bool {
	for _, o := range owners {
		hostOK := host == o.host
		if strings.HasPrefix(o.host, ".") {
			hostOK = host == o.host[1:] || strings.HasSuffix(host, o.host)
		}
		if hostOK && strings.HasPrefix(path, o.path) {
			return true
		}
	}
	return false
}

// hasLabelPrefix reports whether host begins with the labels of real, separated by '.' or '-'
// in any mix, and goes on with more labels: "registry-k8s.io" or "gcr.io.evil.com" for "gcr.io".
func hasLabelPrefix(host, real string) bool {
	i, j := 0, 0
	for j < len(real) {
		if i >= len(host) {
			return false
		}
		hc, rc := host[i], real[j]
		switch {
		case rc == '.' || rc == '-':
			if hc != '.' && hc != '-' {
				return false
			}
		case hc != rc:
			return false
		}
		i++
		j++
	}
	if i == len(host) {
		// Same labels, other separators: "registry-k8s.io". Only a real difference counts.
		return host != real
	}
	return host[i] == '.' || host[i] == '-'
}

// skeleton lower-cases nothing (names are lower case already) but drops '-', '_' and '.'.
func skeleton(s string) string {
	if strings.IndexAny(s, "-_.") < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '-' && c != '_' && c != '.' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isIPHost(host string) bool {
	if strings.HasPrefix(host, "[") {
		return true
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

// isTypo reports whether a is a typo of a different name b: within typoLimit edits, but not b
// with two or more characters appended or prepended ("jenkinsci" is an account of its own, while
// "bitnamii" and "bitnarni" imitate "bitnami").
func isTypo(a, b string) bool {
	lim := typoLimit(a, b)
	if lim == 0 || a == b {
		return false
	}
	if d := len(a) - len(b); (d >= 2 && (strings.HasPrefix(a, b) || strings.HasSuffix(a, b))) ||
		(d <= -2 && (strings.HasPrefix(b, a) || strings.HasSuffix(b, a))) {
		return false
	}
	return editDistance(a, b, lim) <= lim
}

// typoLimit is the edit distance up to which two names count as a typo of each other: none for
// names of up to 5 characters (too many genuine near neighbours), 1 up to 7, else 2.
func typoLimit(a, b string) int {
	switch n := max(len(a), len(b)); {
	case n <= 5:
		return 0
	case n <= 7:
		return 1
	default:
		return 2
	}
}

// editDistance returns the Damerau-Levenshtein distance (optimal string alignment: insertions,
// deletions, substitutions and transpositions of adjacent bytes) between a and b, or limit+1 as
// soon as it must exceed limit.
func editDistance(a, b string, limit int) int {
	la, lb := len(a), len(b)
	if la-lb > limit || lb-la > limit || distanceLowerBound(a, b) > limit {
		return limit + 1
	}
	var buf [3 * 64]int
	var rows []int
	if n := 3 * (lb + 1); n <= len(buf) {
		rows = buf[:n]
	} else {
		rows = make([]int, n)
	}
	prev2, prev, cur := rows[:lb+1], rows[lb+1:2*(lb+1)], rows[2*(lb+1):]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= lb; j++ {
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
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[lb], limit+1)
}

// distanceLowerBound returns a lower bound of the edit distance between a and b (with or without
// transpositions), computed from the bytes they contain: an edit removes at most one byte value a
// lacks and adds at most one that b has, so a and b are at least as many edits apart as the values
// either has and the other lacks. Values are folded into 64 bits, which only lowers the bound.
// Most names are several such edits from every name they are compared with, and this is far
// cheaper than the table the exact distance needs.
func distanceLowerBound[S []byte | string](a S, b string) int {
	var ma, mb uint64
	for i := 0; i < len(a); i++ {
		ma |= 1 << (a[i] & 63)
	}
	for i := 0; i < len(b); i++ {
		mb |= 1 << (b[i] & 63)
	}
	return max(bits.OnesCount64(ma&^mb), bits.OnesCount64(mb&^ma))
}

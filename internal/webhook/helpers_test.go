package webhook

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/internal/rules"
)

const digest = "@sha256:2d4b9b5b2c6b3f4a1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f"

// privilegedSpec runs one privileged container: host-privileged (high), and PSS findings.
const privilegedSpec = `containers:
- name: m
  image: registry.example.com/tools/miner` + digest + `
  command: ["/bin/miner"]
  securityContext:
    privileged: true
`

// cleanSpec follows the restricted Pod Security Standard and pins its image.
const cleanSpec = `automountServiceAccountToken: false
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  seccompProfile: {type: RuntimeDefault}
containers:
- name: app
  image: registry.example.com/shop/report` + digest + `
  command: ["/app/report"]
  resources:
    limits: {cpu: 100m, memory: 64Mi}
    requests: {cpu: 50m, memory: 32Mi}
  securityContext:
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    runAsNonRoot: true
    capabilities: {drop: [ALL]}
`

// kindInfo is how a kind is requested.
type kindInfo struct {
	gvk metav1.GroupVersionKind
	gvr metav1.GroupVersionResource
}

var kinds = map[string]kindInfo{
	"Pod":                   {metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, metav1.GroupVersionResource{Version: "v1", Resource: "pods"}},
	"PodTemplate":           {metav1.GroupVersionKind{Version: "v1", Kind: "PodTemplate"}, metav1.GroupVersionResource{Version: "v1", Resource: "podtemplates"}},
	"ReplicationController": {metav1.GroupVersionKind{Version: "v1", Kind: "ReplicationController"}, metav1.GroupVersionResource{Version: "v1", Resource: "replicationcontrollers"}},
	"CronJob":               {metav1.GroupVersionKind{Group: "batch", Version: "v1", Kind: "CronJob"}, metav1.GroupVersionResource{Group: "batch", Version: "v1", Resource: "cronjobs"}},
	"CronJob/v1beta1":       {metav1.GroupVersionKind{Group: "batch", Version: "v1beta1", Kind: "CronJob"}, metav1.GroupVersionResource{Group: "batch", Version: "v1beta1", Resource: "cronjobs"}},
	"Job":                   {metav1.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}, metav1.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}},
	"Deployment":            {metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, metav1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}},
	"DaemonSet":             {metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "DaemonSet"}, metav1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}},
	"StatefulSet":           {metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "StatefulSet"}, metav1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}},
	"ReplicaSet":            {metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "ReplicaSet"}, metav1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}},
	"ConfigMap":             {metav1.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, metav1.GroupVersionResource{Version: "v1", Resource: "configmaps"}},
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pad + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// manifest wraps a pod spec into an object of kind ("CronJob/v1beta1" for the old CronJob version).
// meta is extra YAML under metadata (indented by 2), spec extra YAML under spec (indented by 2).
func manifest(kind, name, ns, podSpec, meta, spec string) string {
	k := kinds[kind]
	apiVersion := k.gvk.Version
	if k.gvk.Group != "" {
		apiVersion = k.gvk.Group + "/" + k.gvk.Version
	}
	head := "apiVersion: " + apiVersion + "\nkind: " + k.gvk.Kind + "\nmetadata:\n  name: " + name + "\n"
	if ns != "" {
		head += "  namespace: " + ns + "\n"
	}
	head += meta
	const sel = "  selector: {matchLabels: {app: x}}\n"
	const tmeta = "    metadata: {labels: {app: x}}\n"
	switch k.gvk.Kind {
	case "Pod":
		return head + "spec:\n" + indent(podSpec, 2)
	case "PodTemplate":
		return head + "template:\n  metadata: {labels: {app: x}}\n  spec:\n" + indent(podSpec, 4)
	case "CronJob":
		return head + "spec:\n  schedule: '0 3 * * *'\n" + spec + "  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n" + indent(podSpec, 10)
	case "Job":
		return head + "spec:\n" + spec + "  template:\n    spec:\n      restartPolicy: Never\n" + indent(podSpec, 6)
	case "ReplicationController":
		return head + "spec:\n" + spec + "  selector: {app: x}\n  template:\n" + tmeta + "    spec:\n" + indent(podSpec, 6)
	case "StatefulSet":
		return head + "spec:\n" + spec + sel + "  serviceName: x\n  template:\n" + tmeta + "    spec:\n" + indent(podSpec, 6)
	case "ConfigMap":
		return head + "data: {a: b}\n"
	default:
		return head + "spec:\n" + spec + sel + "  template:\n" + tmeta + "    spec:\n" + indent(podSpec, 6)
	}
}

// rev describes one AdmissionReview request.
type rev struct {
	uid       string
	op        admissionv1.Operation
	kind      string // key of kinds
	sub       string
	ns, name  string
	user      string
	groups    []string
	obj, old  string // YAML manifests
	dryRun    bool
	rawObject []byte // overrides obj
}

func toJSON(t testing.TB, y string) []byte {
	t.Helper()
	if y == "" {
		return nil
	}
	js, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatalf("bad test manifest: %v\n%s", err, y)
	}
	return js
}

func (r rev) body(t testing.TB) []byte {
	t.Helper()
	k, ok := kinds[r.kind]
	if !ok {
		t.Fatalf("unknown test kind %q", r.kind)
	}
	if r.uid == "" {
		r.uid = "uid-1"
	}
	if r.op == "" {
		r.op = admissionv1.Create
	}
	if r.user == "" {
		r.user = "alice"
	}
	req := &admissionv1.AdmissionRequest{
		UID:         types.UID(r.uid),
		Kind:        k.gvk,
		Resource:    k.gvr,
		SubResource: r.sub,
		Namespace:   r.ns,
		Name:        r.name,
		Operation:   r.op,
		UserInfo:    authenticationv1.UserInfo{Username: r.user, Groups: r.groups},
		Object:      runtime.RawExtension{Raw: toJSON(t, r.obj)},
		OldObject:   runtime.RawExtension{Raw: toJSON(t, r.old)},
	}
	if r.rawObject != nil {
		req.Object.Raw = r.rawObject
	}
	if r.dryRun {
		req.DryRun = &r.dryRun
	}
	b, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request:  req,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post sends body to h and returns the HTTP response recorder.
func post(h http.Handler, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// answer posts a review and decodes the AdmissionReview answer, failing unless it is well formed.
func answer(t testing.TB, h http.Handler, r rev) *admissionv1.AdmissionResponse {
	t.Helper()
	w := post(h, r.body(t))
	if w.Code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", w.Code, w.Body.String())
	}
	resp := decodeAnswer(t, w.Body.Bytes())
	want := r.uid
	if want == "" {
		want = "uid-1"
	}
	if string(resp.UID) != want {
		t.Fatalf("response uid %q, want %q", resp.UID, want)
	}
	return resp
}

func decodeAnswer(t testing.TB, b []byte) *admissionv1.AdmissionResponse {
	t.Helper()
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, b)
	}
	if out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" || out.Response == nil || out.Request != nil {
		t.Fatalf("malformed AdmissionReview answer: %s", b)
	}
	return out.Response
}

// fixture is a handler with an engine wired to the same namespace lister, as the command wires it.
type fixture struct {
	h    *Handler
	logs *syncBuffer
}

func newFixture(t testing.TB, p Policy, ns NamespaceLister, opts HandlerOptions) fixture {
	t.Helper()
	eo := rules.Options{}
	if ns != nil {
		eo.NamespaceLabels = ns.Labels
	}
	e, err := rules.New(eo)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return fixture{h: NewHandler(e, p, ns, opts), logs: logs}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// warned reports whether a warning ("jobguard: rule (sev): ...") names rule.
func warned(resp *admissionv1.AdmissionResponse, rule string) bool {
	for _, w := range resp.Warnings {
		if strings.HasPrefix(w, "jobguard: "+rule+" (") {
			return true
		}
	}
	return false
}

func audited(t testing.TB, resp *admissionv1.AdmissionResponse, rule string) bool {
	t.Helper()
	v, ok := resp.AuditAnnotations[AuditFindings]
	if !ok {
		return false
	}
	var es []struct {
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		Count    int    `json:"count"`
	}
	if err := json.Unmarshal([]byte(v), &es); err != nil {
		t.Fatalf("audit annotation %s is not JSON: %v: %s", AuditFindings, err, v)
	}
	for _, e := range es {
		if e.Rule == rule {
			if e.Severity == "" || e.Count < 1 {
				t.Fatalf("audit entry %+v incomplete", e)
			}
			return true
		}
	}
	return false
}

func httptestRequest(method, body string) *http.Request {
	return httptest.NewRequest(method, "/validate", strings.NewReader(body))
}

func recorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func counterValue(t testing.TB, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

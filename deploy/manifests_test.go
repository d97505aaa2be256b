// The manifests of deploy/ must pass jobguard's own scan at the restricted level, meet the restricted
// Pod Security Standard in a real API server, and configure the webhook as docs/webhook.md says.
package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/pod-security-admission/api"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/rules"
	"github.com/jobguard/jobguard/internal/scan"
	"github.com/jobguard/jobguard/internal/testcluster"
	"github.com/jobguard/jobguard/internal/webhook"
)

func TestMain(m *testing.M) { testcluster.Main(m, testcluster.Options{}) }

const namespace = "jobguard-system"

// manifests returns every object of the YAML files in deploy/ (not kustomization.yaml), in file order.
func manifests(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []*unstructured.Unstructured
	for _, f := range files {
		if f == "kustomization.yaml" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if doc == nil {
				continue
			}
			out = append(out, &unstructured.Unstructured{Object: doc})
		}
	}
	if len(out) == 0 {
		t.Fatal("no manifests in deploy/")
	}
	return out
}

// typed returns the only object of kind with name, converted to out.
func typed(t *testing.T, objs []*unstructured.Unstructured, kind, name string, out any) {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, out, true); err != nil {
				t.Fatalf("%s %s: %v", kind, name, err)
			}
			return
		}
	}
	t.Fatalf("no %s %s in deploy/", kind, name)
}

// TestOwnScan runs `jobguard scan --pss-level restricted deploy/`: no finding at medium or above.
func TestOwnScan(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := scan.Run(context.Background(), scan.Options{
		Source: scan.FileSource([]string{"."}, nil, nil, nil),
		Engine: rules.Options{PSS: api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}, PSSLevelFixed: true, PSSVersionFixed: true},
		Format: "json",
		FailOn: finding.SeverityMedium,
		Stdout: &stdout,
		Stderr: &stderr,
	})
	var report struct {
		Findings []struct {
			Rule     string `json:"rule"`
			Severity string `json:"severity"`
			Message  string `json:"message"`
			Resource struct {
				Kind, Name, File string
				Line             int
			} `json:"resource"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("scan output: %v\n%s", err, stdout.String())
	}
	for _, f := range report.Findings {
		sev, err := finding.ParseSeverity(f.Severity)
		if err != nil {
			t.Fatal(err)
		}
		if sev >= finding.SeverityMedium {
			t.Errorf("%s:%d: %s %s: %s (%s): %s", f.Resource.File, f.Resource.Line, f.Resource.Kind, f.Resource.Name, f.Rule, f.Severity, f.Message)
		}
	}
	if code != scan.ExitOK {
		t.Errorf("scan exit code %d, want 0\n%s", code, stderr.String())
	}
	// The scan saw the workload (a scan of nothing also finds nothing).
	if !strings.Contains(stdout.String(), `"inputs"`) || !bytes.Contains(stdout.Bytes(), []byte("identity-token-mounted")) {
		t.Errorf("the scan did not judge the Deployment (its token is mounted, a low finding):\n%s", stdout.String())
	}
}

func TestImagesPinnedByDigest(t *testing.T) {
	var d appsv1.Deployment
	typed(t, manifests(t), "Deployment", "jobguard-webhook", &d)
	for _, c := range d.Spec.Template.Spec.Containers {
		if _, digest, ok := strings.Cut(c.Image, "@sha256:"); !ok || len(digest) != 64 {
			t.Errorf("container %s: image %q is not pinned by a sha256 digest", c.Name, c.Image)
		}
	}
}

func TestDeployment(t *testing.T) {
	objs := manifests(t)
	var d appsv1.Deployment
	typed(t, objs, "Deployment", "jobguard-webhook", &d)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas %v, want 2", d.Spec.Replicas)
	}
	spec := d.Spec.Template.Spec
	if spec.ServiceAccountName != "jobguard-webhook" {
		t.Errorf("serviceAccountName %q", spec.ServiceAccountName)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers", len(spec.Containers))
	}
	c := spec.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("readOnlyRootFilesystem is not true")
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v", c.Resources)
	}
	probes := map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe}
	wantPath := map[string]string{"startup": "/healthz", "liveness": "/healthz", "readiness": "/readyz"}
	for name, p := range probes {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != wantPath[name] || p.HTTPGet.Scheme != corev1.URISchemeHTTPS || p.HTTPGet.Port.String() != "https" {
			t.Errorf("%s probe %+v, want HTTPS GET %s on port https", name, p, wantPath[name])
		}
	}
	// The flags name files of the mounted Secret and ConfigMap.
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		if m.SubPath != "" {
			t.Errorf("mount %s uses subPath: the kubelet would not update it when the Secret changes", m.Name)
		}
		mounts[m.Name] = m.MountPath
	}
	args := strings.Join(c.Args, " ")
	for _, want := range []string{
		"--tls-cert-file=" + mounts["tls"] + "/tls.crt",
		"--tls-private-key-file=" + mounts["tls"] + "/tls.key",
		"--config=" + mounts["config"] + "/jobguard.yaml",
	} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	var cert struct {
		Spec struct {
			SecretName string   `json:"secretName"`
			DNSNames   []string `json:"dnsNames"`
		} `json:"spec"`
	}
	for _, o := range objs {
		if o.GetKind() == "Certificate" && o.GetName() == "jobguard-webhook" {
			b, _ := json.Marshal(o.Object)
			if err := json.Unmarshal(b, &cert); err != nil {
				t.Fatal(err)
			}
		}
	}
	var secretName string
	for _, v := range spec.Volumes {
		if v.Name == "tls" && v.Secret != nil {
			secretName = v.Secret.SecretName
		}
	}
	if secretName == "" || secretName != cert.Spec.SecretName {
		t.Errorf("the tls volume mounts Secret %q; the Certificate writes %q", secretName, cert.Spec.SecretName)
	}
	var svc corev1.Service
	typed(t, objs, "Service", "jobguard-webhook", &svc)
	if !slices.Contains(cert.Spec.DNSNames, svc.Name+"."+svc.Namespace+".svc") {
		t.Errorf("certificate dnsNames %v lack the Service's name %s.%s.svc, which the API server checks", cert.Spec.DNSNames, svc.Name, svc.Namespace)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 443 || svc.Spec.Ports[0].TargetPort.String() != "https" {
		t.Errorf("service ports %+v", svc.Spec.Ports)
	}
}

func TestClusterRoleReadsNamespacesOnly(t *testing.T) {
	var cr rbacv1.ClusterRole
	typed(t, manifests(t), "ClusterRole", "jobguard-webhook", &cr)
	for _, r := range cr.Rules {
		if !slices.Equal(r.APIGroups, []string{""}) || !slices.Equal(r.Resources, []string{"namespaces"}) {
			t.Errorf("rule %+v grants more than namespaces", r)
		}
		for _, v := range r.Verbs {
			if v != "get" && v != "list" && v != "watch" {
				t.Errorf("verb %q: the webhook only reads namespaces", v)
			}
		}
	}
}

func TestWebhookConfiguration(t *testing.T) {
	var vwc admissionregistrationv1.ValidatingWebhookConfiguration
	typed(t, manifests(t), "ValidatingWebhookConfiguration", webhook.DefaultWebhookName, &vwc)
	if len(vwc.Webhooks) != 1 {
		t.Fatalf("%d webhooks", len(vwc.Webhooks))
	}
	w := vwc.Webhooks[0]
	if w.FailurePolicy == nil || *w.FailurePolicy != admissionregistrationv1.Fail {
		t.Error("failurePolicy is not Fail")
	}
	if w.TimeoutSeconds == nil || *w.TimeoutSeconds != 10 {
		t.Error("timeoutSeconds is not 10")
	}
	if w.SideEffects == nil || *w.SideEffects != admissionregistrationv1.SideEffectClassNone {
		t.Error("sideEffects is not None")
	}
	if w.MatchPolicy == nil || *w.MatchPolicy != admissionregistrationv1.Equivalent {
		t.Error("matchPolicy is not Equivalent")
	}
	if s := w.ClientConfig.Service; s == nil || s.Namespace != namespace || s.Name != "jobguard-webhook" || s.Path == nil || *s.Path != "/validate" {
		t.Errorf("clientConfig.service %+v", w.ClientConfig.Service)
	}
	sel, err := metav1.LabelSelectorAsSelector(w.NamespaceSelector)
	if err != nil {
		t.Fatal(err)
	}
	for ns, want := range map[string]bool{namespace: false, "default": true, "kube-system": true, "shop": true} {
		if got := sel.Matches(labelsOf{"kubernetes.io/metadata.name": ns}); got != want {
			t.Errorf("namespace %s sent to the webhook: %v, want %v", ns, got, want)
		}
	}
	// Every resource the webhook judges is sent, for CREATE and UPDATE.
	sent := map[string]bool{}
	for _, r := range w.Rules {
		if !slices.Contains(r.Operations, admissionregistrationv1.Create) || !slices.Contains(r.Operations, admissionregistrationv1.Update) {
			t.Errorf("rule %v: want CREATE and UPDATE", r.Resources)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				sent[g+"/"+res] = true
			}
		}
	}
	for _, gr := range []string{"/pods", "/pods/ephemeralcontainers", "/podtemplates", "/replicationcontrollers", "batch/cronjobs", "batch/jobs",
		"apps/deployments", "apps/daemonsets", "apps/statefulsets", "apps/replicasets"} {
		group, res, _ := strings.Cut(gr, "/")
		resource, sub, _ := strings.Cut(res, "/")
		op := admissionv1.Create
		if sub != "" {
			op = admissionv1.Update
		}
		if !webhook.Judged(group, resource, sub, op) {
			t.Errorf("%s: the webhook does not judge it", gr)
		}
		if !sent[gr] {
			t.Errorf("%s: not sent to the webhook", gr)
		}
	}
}

type labelsOf map[string]string

func (l labelsOf) Has(k string) bool              { _, ok := l[k]; return ok }
func (l labelsOf) Get(k string) string            { return l[k] }
func (l labelsOf) Lookup(k string) (string, bool) { v, ok := l[k]; return v, ok }

// TestRealAPIServer creates the manifests in a real API server (cert-manager's kinds excepted; the
// webhook configuration as a dry run, since nothing serves it) and a Pod of the Deployment's template
// in the namespace, where Pod Security Admission enforces the restricted level on it.
func TestRealAPIServer(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := context.Background()
	cfg := c.AdminConfig()
	var warnings []string
	cfg.WarningHandler = warningRecorder{&warnings}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	resources := map[string]string{
		"Namespace": "namespaces", "ServiceAccount": "serviceaccounts", "ClusterRole": "clusterroles",
		"ClusterRoleBinding": "clusterrolebindings", "ConfigMap": "configmaps", "Deployment": "deployments",
		"Service": "services", "PodDisruptionBudget": "poddisruptionbudgets",
		"ValidatingWebhookConfiguration": "validatingwebhookconfigurations",
	}
	objs := manifests(t)
	// The namespace first, as kubectl apply -k orders it.
	slices.SortStableFunc(objs, func(a, b *unstructured.Unstructured) int {
		return boolInt(b.GetKind() == "Namespace") - boolInt(a.GetKind() == "Namespace")
	})
	for _, o := range objs {
		if strings.HasPrefix(o.GetAPIVersion(), "cert-manager.io/") {
			continue
		}
		res, ok := resources[o.GetKind()]
		if !ok {
			t.Errorf("%s %s: kind not expected in deploy/", o.GetKind(), o.GetName())
			continue
		}
		gv, err := schema.ParseGroupVersion(o.GetAPIVersion())
		if err != nil {
			t.Fatal(err)
		}
		opts := metav1.CreateOptions{FieldValidation: "Strict"}
		if o.GetKind() == "ValidatingWebhookConfiguration" {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		var ri dynamic.ResourceInterface = dyn.Resource(gv.WithResource(res))
		if ns := o.GetNamespace(); ns != "" {
			ri = dyn.Resource(gv.WithResource(res)).Namespace(ns)
		}
		if _, err := ri.Create(ctx, o, opts); err != nil {
			t.Errorf("creating %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
	if len(warnings) > 0 {
		t.Errorf("the API server warned: %q", warnings)
	}

	var d appsv1.Deployment
	typed(t, objs, "Deployment", "jobguard-webhook", &d)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "jobguard-webhook-template", Namespace: namespace, Labels: d.Spec.Template.Labels},
		Spec:       d.Spec.Template.Spec,
	}
	warnings = nil
	if _, err := cs.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Errorf("a Pod of the Deployment's template is refused in %s (Pod Security restricted): %v", namespace, err)
	}
	if len(warnings) > 0 {
		t.Errorf("the API server warned about the Pod: %q", warnings)
	}
	ns, err := cs.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ns.Labels[api.EnforceLevelLabel] != string(api.LevelRestricted) {
		t.Errorf("namespace %s enforces %q, want restricted", namespace, ns.Labels[api.EnforceLevelLabel])
	}
}

type warningRecorder struct{ w *[]string }

func (r warningRecorder) HandleWarningHeader(_ int, _ string, text string) { *r.w = append(*r.w, text) }

var _ rest.WarningHandler = warningRecorder{}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

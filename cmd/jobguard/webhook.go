package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/pod-security-admission/api"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/internal/config"
	"github.com/jobguard/jobguard/internal/rules"
	"github.com/jobguard/jobguard/internal/version"
	"github.com/jobguard/jobguard/internal/webhook"
)

// Defaults of `jobguard webhook`. The shutdown delay and drain together stay below the 30 s a pod gets
// between SIGTERM and SIGKILL by default.
const (
	defaultShutdownDelay   = 5 * time.Second
	defaultShutdownTimeout = 20 * time.Second
)

type webhookFlags struct {
	addr, certFile, keyFile, selfSigned string
	selfSignedHosts                     []string
	configFile, pssLevel, pssVersion    string
	maxBodyBytes                        int64
	requestTimeout                      time.Duration
	shutdownDelay, shutdownTimeout      time.Duration
	logFormat, logLevel                 string
	kube                                *genericclioptions.ConfigFlags
}

func newWebhookCommand() *cobra.Command {
	f := &webhookFlags{}
	c := &cobra.Command{
		Use:   "webhook",
		Short: "Run the validating admission webhook: judge workloads when they are created or changed",
		Long: `Run jobguard as a validating admission webhook. The API server sends it every CREATE and UPDATE of
CronJobs, Jobs, Pods (and their ephemeral containers), Deployments, DaemonSets, StatefulSets,
ReplicaSets, ReplicationControllers and PodTemplates; jobguard judges them with the same rules as
'jobguard scan' and, per namespace, enforces (denies, naming the rules), warns (kubectl shows the
warnings) or audits (annotations in the API server's audit log), like Pod Security Admission.

Per namespace, the labels jobguard.io/enforce, jobguard.io/warn and jobguard.io/audit (a severity:
critical, high, medium, low, info, or none) override the cluster defaults of the config file
(enforce critical, warn medium, audit low), and pod-security.kubernetes.io/enforce[-version] choose
the Pod Security Standards level and version the pss-* rules check; namespaces without those
labels are checked at --pss-level and --pss-version. Namespace labels come from a watch on the
API server (cluster access as for 'jobguard scan --cluster': --kubeconfig, --context, or the
in-cluster service account when no kubeconfig is given and KUBERNETES_SERVICE_HOST is set); it
needs only list and watch on namespaces.

--config is a jobguard.yaml: the keys 'jobguard scan --config' reads (allowedRegistries,
exemptions, rules), so admission and scans find the same, plus an optional webhook: section with
the modes' cluster defaults, exemptions of users, namespaces, runtime classes, images and service
accounts, and the job-creators allow-lists (see docs/webhook.md).

It serves HTTPS (TLS 1.2 or later) on --addr: /validate (admission.k8s.io/v1 AdmissionReview),
/healthz, /readyz (ready once the namespaces are read) and /metrics (Prometheus). The certificate
files are read again when they change. On SIGTERM or SIGINT it reports not ready, keeps serving for
--shutdown-delay so that the Service stops sending it requests, then drains the requests in flight
for at most --shutdown-timeout.

'jobguard webhook config' prints the ValidatingWebhookConfiguration that sends the API server's
requests to it.`,
		Example: `  # In the cluster (see deploy/): certificates from cert-manager, mounted from a Secret
  jobguard webhook --tls-cert-file /certs/tls.crt --tls-private-key-file /certs/tls.key \
      --config /etc/jobguard/jobguard.yaml

  # For a test cluster: a self-signed certificate, and the configuration that trusts it
  jobguard webhook --self-signed /tmp/jobguard-certs --addr 127.0.0.1:8443 --kubeconfig ~/.kube/config &
  jobguard webhook config --url https://127.0.0.1:8443/validate \
      --ca-bundle-file /tmp/jobguard-certs/ca.crt | kubectl apply -f -`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			return runWebhook(ctx, c, f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.addr, "addr", webhook.DefaultAddr, "address to serve HTTPS on")
	fl.StringVar(&f.certFile, "tls-cert-file", "", "PEM serving certificate (with its chain); read again when it changes")
	fl.StringVar(&f.keyFile, "tls-private-key-file", "", "PEM private key of --tls-cert-file")
	fl.StringVar(&f.selfSigned, "self-signed", "", "for testing: write a new CA and a serving certificate into this directory (tls.crt, tls.key, and ca.crt for the caBundle) and serve it")
	fl.StringSliceVar(&f.selfSignedHosts, "self-signed-host", []string{"localhost", "127.0.0.1"}, "with --self-signed: DNS names and IP addresses the certificate is valid for (e.g. jobguard-webhook.jobguard-system.svc)")
	fl.StringVar(&f.configFile, "config", "", "jobguard.yaml: allowed registries, exemptions, rule settings, and the webhook: section (modes, exemptions, job creators)")
	fl.StringVar(&f.pssLevel, "pss-level", "restricted", "Pod Security Standards level for namespaces without a pod-security.kubernetes.io/enforce label: baseline, restricted, privileged")
	fl.StringVar(&f.pssVersion, "pss-version", "latest", "Pod Security Standards version for namespaces without a pod-security.kubernetes.io/enforce-version label: latest or v1.N")
	fl.Int64Var(&f.maxBodyBytes, "max-body-bytes", webhook.DefaultMaxBodyBytes, "largest AdmissionReview accepted; larger requests are refused (HTTP 413)")
	fl.DurationVar(&f.requestTimeout, "request-timeout", webhook.DefaultTimeout, "deadline to judge one request, below the configuration's timeoutSeconds; a request not judged in time gets HTTP 503 and the failurePolicy decides")
	fl.DurationVar(&f.shutdownDelay, "shutdown-delay", defaultShutdownDelay, "on SIGTERM, how long to keep serving while reporting not ready, so endpoints stop sending requests")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", defaultShutdownTimeout, "on SIGTERM, after --shutdown-delay, how long to wait for requests in flight")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug (every request), info (denials, warnings, exemptions), warn, error")
	f.kube = genericclioptions.NewConfigFlags(true)
	f.kube.ClusterName = nil // as in scan
	f.kube.Namespace = nil   // the webhook watches every namespace
	f.kube.Timeout = nil     // --request-timeout is the webhook's own deadline; the namespace watch must not time out
	f.kube.CacheDir = nil    // no discovery
	f.kube.AddFlags(fl)
	c.AddCommand(newWebhookConfigCommand())
	return c
}

// noArgs is cobra.NoArgs as a usage error (exit 2).
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%q takes no arguments, got %q (see '%s --help')", c.CommandPath(), args[0], c.CommandPath())
	}
	return nil
}

// webhookSetup is what runWebhook builds from the flags before it serves.
type webhookSetup struct {
	log               *slog.Logger
	engine            rules.Options
	policy            webhook.Policy
	certFile, keyFile string
}

// prepareWebhook checks the flags and reads the config; every error is a usage error (exit 2).
func prepareWebhook(c *cobra.Command, f *webhookFlags) (*webhookSetup, error) {
	log, err := newLogger(c.ErrOrStderr(), f.logFormat, f.logLevel)
	if err != nil {
		return nil, err
	}
	s := &webhookSetup{log: log, certFile: f.certFile, keyFile: f.keyFile}
	switch {
	case f.selfSigned != "" && (f.certFile != "" || f.keyFile != ""):
		return nil, usagef("--self-signed writes its own certificate: give it or --tls-cert-file and --tls-private-key-file, not both")
	case f.selfSigned == "" && (f.certFile == "" || f.keyFile == ""):
		return nil, usagef("a serving certificate is required: --tls-cert-file and --tls-private-key-file (or --self-signed DIR for testing)")
	case f.selfSigned == "" && c.Flags().Changed("self-signed-host"):
		return nil, usagef("--self-signed-host applies only with --self-signed")
	}
	if f.maxBodyBytes < 64<<10 {
		return nil, usagef("--max-body-bytes must be at least 65536: the API server sends reviews of up to several MiB")
	}
	if f.requestTimeout <= 0 || f.requestTimeout > 29*time.Second {
		return nil, usagef("--request-timeout must be between 0 and 29s (below the API server's 30 s limit on timeoutSeconds), got %v", f.requestTimeout)
	}
	if f.shutdownDelay < 0 || f.shutdownTimeout <= 0 {
		return nil, usagef("--shutdown-delay must not be negative and --shutdown-timeout must be positive")
	}
	if _, _, err := net.SplitHostPort(f.addr); err != nil {
		return nil, usagef("--addr %q: %v", f.addr, err)
	}
	level, err := api.ParseLevel(f.pssLevel)
	if err != nil {
		return nil, usagef("--pss-level: unknown level %q (want baseline, restricted or privileged)", f.pssLevel)
	}
	pssVersion, err := api.ParseVersion(f.pssVersion)
	if err != nil {
		return nil, usagef("--pss-version: %q is not latest or v1.N", f.pssVersion)
	}
	cfg, policy, err := loadWebhookConfig(f.configFile)
	if err != nil {
		return nil, usageError{err}
	}
	s.policy = policy
	// The flags are defaults only: in the webhook, a namespace's own Pod Security labels always choose.
	s.engine = rules.Options{Config: cfg, PSS: api.LevelVersion{Level: level, Version: pssVersion}}
	// Unknown rule IDs in the config are errors now, not after the certificate is written.
	if _, err := rules.New(s.engine); err != nil {
		return nil, usageError{err}
	}
	if f.selfSigned != "" {
		_, err := webhook.SelfSigned(f.selfSigned, f.selfSignedHosts...)
		if err != nil {
			return nil, usageError{fmt.Errorf("--self-signed: %w", err)}
		}
		s.certFile = filepath.Join(f.selfSigned, webhook.CertFileName)
		s.keyFile = filepath.Join(f.selfSigned, webhook.KeyFileName)
		log.Info("jobguard webhook: wrote a self-signed CA and serving certificate (for testing only)",
			"hosts", strings.Join(f.selfSignedHosts, ","), "cert", s.certFile,
			"ca_bundle", filepath.Join(f.selfSigned, webhook.CAFileName))
	}
	// A certificate that cannot be loaded is an error now, before the cluster is contacted.
	if _, err := webhook.NewCertReloader(s.certFile, s.keyFile, webhook.DefaultCertCheckInterval, nil); err != nil {
		return nil, usageError{err}
	}
	return s, nil
}

// runWebhook serves until ctx is done or SIGTERM/SIGINT, then shuts down gracefully.
func runWebhook(ctx context.Context, c *cobra.Command, f *webhookFlags) error {
	s, err := prepareWebhook(c, f)
	if err != nil {
		return err
	}
	log := s.log
	restCfg, source, err := webhookRESTConfig(f.kube)
	if err != nil {
		return usageError{err}
	}
	restCfg.UserAgent = "jobguard-webhook/" + version.Get()
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return usageError{fmt.Errorf("kubeconfig: %w", err)}
	}

	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	// The namespace watch outlives ctx: requests are still judged while draining.
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	informer := webhook.NewNamespaceInformer(client, log)
	informer.Start(watchCtx)
	s.engine.NamespaceLabels = informer.Labels
	engine, err := rules.New(s.engine)
	if err != nil {
		return usageError{err}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics, err := webhook.NewMetrics(reg)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	handler := webhook.NewHandler(engine, s.policy, informer, webhook.HandlerOptions{
		MaxBodyBytes: f.maxBodyBytes,
		Timeout:      f.requestTimeout,
		Logger:       log,
		Metrics:      metrics,
	})
	var stopping atomic.Bool
	srv, err := webhook.NewServer(handler, webhook.ServerOptions{
		Addr:     f.addr,
		CertFile: s.certFile,
		KeyFile:  s.keyFile,
		Gatherer: reg,
		Ready:    func() bool { return !stopping.Load() },
		Logger:   log,
	})
	if err != nil {
		return usageError{err}
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		log.Error("jobguard webhook: cannot listen", "addr", f.addr, "error", err.Error())
		return exitError{1}
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("jobguard webhook: serving", "addr", ln.Addr().String(), "version", version.Get(),
		"cluster", restCfg.Host, "cluster_config", source,
		"enforce", s.policy.Enforce.String(), "warn", s.policy.Warn.String(), "audit", s.policy.Audit.String())
	go func() {
		// The watch's context, not ctx: a sync that happened just before a shutdown signal is
		// still logged.
		if informer.WaitForSync(watchCtx) {
			log.Info("jobguard webhook: namespaces read; ready")
		}
	}()

	select {
	case err := <-served:
		log.Error("jobguard webhook: server stopped", "error", fmt.Sprint(err))
		return exitError{1}
	case <-ctx.Done():
	}
	stopSignals() // a second signal ends the process at once
	stopping.Store(true)
	log.Info("jobguard webhook: shutting down; not ready", "delay", f.shutdownDelay.String(), "drain", f.shutdownTimeout.String())
	if f.shutdownDelay > 0 {
		t := time.NewTimer(f.shutdownDelay)
		select {
		case <-t.C:
		case err := <-served:
			t.Stop()
			log.Error("jobguard webhook: server stopped", "error", fmt.Sprint(err))
			return exitError{1}
		}
	}
	drainCtx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(drainCtx); err != nil {
		log.Error("jobguard webhook: requests still in flight after the drain deadline were cut off", "error", err.Error())
		return exitError{1}
	}
	if err := <-served; err != nil {
		log.Error("jobguard webhook: server stopped", "error", err.Error())
		return exitError{1}
	}
	log.Info("jobguard webhook: stopped")
	return nil
}

// newLogger returns a logger that writes text or JSON records to w.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level: unknown level %q (want debug, info, warn or error)", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usagef("--log-format: unknown format %q (want text or json)", format)
}

// webhookRESTConfig chooses the cluster access: the in-cluster service account when no kubeconfig is
// given (by flag or KUBECONFIG) and the process runs in a pod; otherwise the kubeconfig, resolved the
// kubectl way. It says which it used.
func webhookRESTConfig(kube *genericclioptions.ConfigFlags) (*rest.Config, string, error) {
	explicit := (kube.KubeConfig != nil && *kube.KubeConfig != "") || os.Getenv("KUBECONFIG") != "" ||
		(kube.Context != nil && *kube.Context != "") || (kube.APIServer != nil && *kube.APIServer != "")
	if !explicit && os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, "", fmt.Errorf("in-cluster config: %w", err)
		}
		return cfg, "in-cluster", nil
	}
	cfg, err := kube.ToRESTConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	return cfg, "kubeconfig", nil
}

// loadWebhookConfig reads a jobguard.yaml that may hold, besides the keys of internal/config, a
// webhook: section (webhook.ParsePolicy). Each part is parsed by its own parser with the other part's
// lines blanked, so error messages keep the file's line numbers. An empty path gives the defaults.
func loadWebhookConfig(file string) (*config.Config, webhook.Policy, error) {
	if file == "" {
		return &config.Config{}, webhook.DefaultPolicy(), nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, webhook.Policy{}, fmt.Errorf("config: %w", err)
	}
	cfg, policy, err := parseWebhookConfig(data)
	if err != nil {
		return nil, webhook.Policy{}, fmt.Errorf("config %s: %w", file, err)
	}
	return cfg, policy, nil
}

func parseWebhookConfig(data []byte) (*config.Config, webhook.Policy, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, webhook.Policy{}, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, webhook.Policy{}, errors.New("want a single YAML document")
	}
	if len(doc.Content) == 0 {
		return &config.Config{}, webhook.DefaultPolicy(), nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, webhook.Policy{}, fmt.Errorf("line %d: want a mapping of jobguard.yaml keys", root.Line)
	}
	section := -1
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "webhook" {
			section = i
			break
		}
	}
	if section < 0 {
		cfg, err := config.Parse(data)
		return cfg, webhook.DefaultPolicy(), err
	}
	if root.Style&yaml.FlowStyle != 0 {
		return nil, webhook.Policy{}, fmt.Errorf("line %d: write the top level in block style (one key per line) to use a webhook: section", root.Line)
	}
	// The section runs from its key's line to the line before the next top-level key.
	lines := bytes.SplitAfter(data, []byte("\n"))
	from, to := root.Content[section].Line, len(lines)
	if next := section + 2; next < len(root.Content) {
		to = root.Content[next].Line - 1
	}
	inSection := func(line int) bool { return line >= from && line <= to }
	policy, err := webhook.ParsePolicy(blankLines(lines, func(l int) bool { return !inSection(l) }))
	if err != nil {
		return nil, webhook.Policy{}, err
	}
	cfg, err := config.Parse(blankLines(lines, inSection))
	if err != nil {
		return nil, webhook.Policy{}, err
	}
	return cfg, policy, nil
}

// blankLines returns the lines (1-based numbers) with those for which blank is true emptied, so a
// parser of what is left reports the original line numbers.
func blankLines(lines [][]byte, blank func(line int) bool) []byte {
	var b bytes.Buffer
	for i, l := range lines {
		if blank(i + 1) {
			if bytes.HasSuffix(l, []byte("\n")) {
				b.WriteByte('\n')
			}
			continue
		}
		b.Write(l)
	}
	return b.Bytes()
}

type webhookConfigFlags struct {
	name, serviceNamespace, serviceName, url, caBundleFile, certManager, output string
	servicePort, timeoutSeconds                                                 int32
	exclude                                                                     []string
	failOpen, judgeControllerObjects                                            bool
}

// certManagerInjectAnnotation asks cert-manager's CA injector to fill every webhook's caBundle with
// the CA of the named Certificate (namespace/name).
const certManagerInjectAnnotation = "cert-manager.io/inject-ca-from"

func newWebhookConfigCommand() *cobra.Command {
	f := &webhookConfigFlags{}
	c := &cobra.Command{
		Use:   "config",
		Short: "Print the ValidatingWebhookConfiguration that sends the API server's requests to the webhook",
		Long: `Print the admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration for the webhook: CREATE and
UPDATE of every workload kind jobguard judges (and pods/ephemeralcontainers), admission.k8s.io/v1
reviews, matchPolicy Equivalent, sideEffects None, timeoutSeconds 10 and failurePolicy Fail (an
attacker who can stop the webhook must not be able to slip a CronJob through; --fail-open for
Ignore). The webhook's own namespace (--service-namespace) is always excluded, so that the webhook
can be restarted while it is down, and so are --exclude-namespace namespaces.

Unless --judge-controller-objects, a match condition keeps the API server from sending the objects
the built-in controllers create from templates the webhook has already judged (Pods of ReplicaSets,
DaemonSets, StatefulSets, Jobs and ReplicationControllers, Jobs of CronJobs, ReplicaSets of
Deployments): a webhook outage then never stops running workloads from getting pods (nor a new
node's DaemonSet pods, such as its network plugin), and the webhook is not asked twice.

The webhook is reached through a Service (--service-namespace, --service-name, --service-port;
path /validate) or at --url (a webhook outside the cluster). Its serving certificate's CA is the
caBundle: --ca-bundle-file, or --cert-manager-certificate NAMESPACE/NAME to let cert-manager's CA
injector fill it in.`,
		Example: `  jobguard webhook config --cert-manager-certificate jobguard-system/jobguard-webhook > webhook.yaml
  jobguard webhook config --url https://127.0.0.1:8443/validate --ca-bundle-file certs/ca.crt | kubectl apply -f -`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runWebhookConfig(c, f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.name, "name", webhook.DefaultWebhookName, "name of the configuration and its webhook (at least three dot-separated segments; audit annotations are prefixed with it)")
	fl.StringVar(&f.serviceNamespace, "service-namespace", "jobguard-system", "namespace of the webhook's Service (always excluded from the webhook)")
	fl.StringVar(&f.serviceName, "service-name", "jobguard-webhook", "name of the webhook's Service")
	fl.Int32Var(&f.servicePort, "service-port", 443, "port of the webhook's Service")
	fl.StringVar(&f.url, "url", "", "HTTPS URL of a webhook outside the cluster, e.g. https://203.0.113.10:8443/validate (instead of the Service)")
	fl.StringVar(&f.caBundleFile, "ca-bundle-file", "", "PEM CA certificate that signed the serving certificate (--self-signed writes ca.crt)")
	fl.StringVar(&f.certManager, "cert-manager-certificate", "", "NAMESPACE/NAME of the cert-manager Certificate whose CA cert-manager injects as the caBundle")
	fl.StringSliceVar(&f.exclude, "exclude-namespace", nil, "namespaces never sent to the webhook (repeatable), e.g. kube-system: see docs/webhook.md for the trade-off")
	fl.BoolVar(&f.failOpen, "fail-open", false, "failurePolicy Ignore: allow requests when the webhook cannot be reached (default Fail)")
	fl.Int32Var(&f.timeoutSeconds, "timeout-seconds", 10, "how long the API server waits for the webhook, 1 to 30; keep it above the webhook's --request-timeout")
	fl.BoolVar(&f.judgeControllerObjects, "judge-controller-objects", false, "also send the objects built-in controllers create from judged templates (Pods, Jobs of CronJobs, ReplicaSets)")
	fl.StringVarP(&f.output, "output", "o", "yaml", "output format: yaml or json")
	return c
}

func runWebhookConfig(c *cobra.Command, f *webhookConfigFlags) error {
	opts := webhook.ConfigOptions{
		Name:              f.name,
		ExcludeNamespaces: f.exclude,
		FailOpen:          f.failOpen,
		TimeoutSeconds:    f.timeoutSeconds,
	}
	if f.output != "yaml" && f.output != "json" {
		return usagef("--output: unknown format %q (want yaml or json)", f.output)
	}
	if f.timeoutSeconds < 1 || f.timeoutSeconds > 30 {
		return usagef("--timeout-seconds must be between 1 and 30, got %d", f.timeoutSeconds)
	}
	serviceChanged := c.Flags().Changed("service-namespace") || c.Flags().Changed("service-name") || c.Flags().Changed("service-port")
	if f.url != "" {
		if serviceChanged {
			return usagef("--url and --service-* exclude each other: the webhook is reached one way")
		}
		if !strings.HasPrefix(f.url, "https://") {
			return usagef("--url must start with https:// (the API server calls webhooks over TLS only)")
		}
		opts.URL = f.url
	} else {
		opts.ServiceNamespace, opts.ServiceName, opts.ServicePort = f.serviceNamespace, f.serviceName, f.servicePort
	}
	if f.caBundleFile != "" && f.certManager != "" {
		return usagef("--ca-bundle-file and --cert-manager-certificate exclude each other")
	}
	if f.caBundleFile != "" {
		ca, err := os.ReadFile(f.caBundleFile)
		if err != nil {
			return usageError{err}
		}
		if !bytes.Contains(ca, []byte("-----BEGIN CERTIFICATE-----")) {
			return usagef("--ca-bundle-file %s: no PEM certificate in it", f.caBundleFile)
		}
		opts.CABundle = ca
	}
	if f.certManager != "" {
		if ns, name, ok := strings.Cut(f.certManager, "/"); !ok || ns == "" || name == "" || strings.Contains(name, "/") {
			return usagef("--cert-manager-certificate %q: want NAMESPACE/NAME", f.certManager)
		}
	}
	vwc, err := webhookConfiguration(opts, f.certManager, !f.judgeControllerObjects)
	if err != nil {
		return usageError{err}
	}
	out, err := encodeObject(vwc, f.output)
	if err != nil {
		return err
	}
	if f.output == "yaml" {
		out = append([]byte("# Generated by: jobguard webhook config "+strings.Join(changedFlags(c), " ")+"\n"), out...)
	}
	if _, err := c.OutOrStdout().Write(out); err != nil {
		return err
	}
	if len(opts.CABundle) == 0 && f.certManager == "" {
		fmt.Fprintln(c.ErrOrStderr(), "jobguard: note: no caBundle (--ca-bundle-file or --cert-manager-certificate): the API server will trust only its system roots for the webhook's certificate")
	}
	return nil
}

// changedFlags lists the flags given on the command line, for the generated file's header.
func changedFlags(c *cobra.Command) []string {
	var out []string
	c.Flags().Visit(func(fl *pflag.Flag) {
		v := fl.Value.String()
		if fl.Value.Type() == "stringSlice" {
			v = strings.Trim(v, "[]")
		}
		if fl.Value.Type() == "bool" {
			out = append(out, "--"+fl.Name)
			return
		}
		out = append(out, "--"+fl.Name+" "+v)
	})
	return out
}

// webhookConfiguration is webhook.ValidatingWebhookConfiguration with the cert-manager annotation and
// the match condition that skips objects of built-in controllers.
func webhookConfiguration(opts webhook.ConfigOptions, certManager string, skipControllerObjects bool) (*admissionregistrationv1.ValidatingWebhookConfiguration, error) {
	vwc, err := webhook.ValidatingWebhookConfiguration(opts)
	if err != nil {
		return nil, err
	}
	if certManager != "" {
		if vwc.Annotations == nil {
			vwc.Annotations = map[string]string{}
		}
		vwc.Annotations[certManagerInjectAnnotation] = certManager
	}
	if skipControllerObjects {
		for i := range vwc.Webhooks {
			vwc.Webhooks[i].MatchConditions = append(vwc.Webhooks[i].MatchConditions, controllerObjectsCondition())
		}
	}
	return vwc, nil
}

// controllerObjects pairs each built-in controller's identity (kube-controller-manager
// --use-service-account-credentials, the default of kubeadm and most distributions) with the
// resource it creates from a template that the webhook judged when its owner was created or changed.
var controllerObjects = []struct{ user, group, resource string }{
	{"system:serviceaccount:kube-system:cronjob-controller", "batch", "jobs"},
	{"system:serviceaccount:kube-system:deployment-controller", "apps", "replicasets"},
	{"system:serviceaccount:kube-system:replicaset-controller", "", "pods"},
	{"system:serviceaccount:kube-system:daemon-set-controller", "", "pods"},
	{"system:serviceaccount:kube-system:statefulset-controller", "", "pods"},
	{"system:serviceaccount:kube-system:job-controller", "", "pods"},
	{"system:serviceaccount:kube-system:replication-controller", "", "pods"},
}

// controllerObjectsCondition is the CEL match condition that is false (the request is not sent) for
// the objects in controllerObjects, and for the same resources written by the controller manager's
// shared identity (without --use-service-account-credentials). Subresources (ephemeral containers)
// are always sent.
func controllerObjectsCondition() admissionregistrationv1.MatchCondition {
	const user, group, resource = "request.userInfo.username", "request.resource.group", "request.resource.resource"
	var b strings.Builder
	// An AdmissionRequest without a subresource has no subResource key (omitempty): test with has().
	b.WriteString("has(request.subResource) && request.subResource != \"\" || !(")
	for _, c := range controllerObjects {
		fmt.Fprintf(&b, "\n  (%s == %q && %s == %q && %s == %q) ||", user, c.user, group, c.group, resource, c.resource)
	}
	fmt.Fprintf(&b, "\n  (%s == \"system:kube-controller-manager\" && (%s == \"\" && %s == \"pods\" || %s == \"batch\" && %s == \"jobs\" || %s == \"apps\" && %s == \"replicasets\"))\n)",
		user, group, resource, group, resource, group, resource)
	return admissionregistrationv1.MatchCondition{Name: "not-built-in-controller-objects", Expression: b.String()}
}

// encodeObject writes an API object as YAML or JSON without the empty creationTimestamp that
// ObjectMeta marshals to.
func encodeObject(obj any, format string) ([]byte, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if meta, ok := m["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	if format == "json" {
		out, err := json.MarshalIndent(m, "", "  ")
		return append(out, '\n'), err
	}
	return sigsyaml.Marshal(m)
}

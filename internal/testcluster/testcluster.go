package testcluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Options configure a cluster. The zero value is etcd plus kube-apiserver with the default audit
// policy.
type Options struct {
	// ExtraAPIServerFlags are added to kube-apiserver's command line. A flag given here in
	// --name=value form replaces the default flag of that name (so a list flag such as
	// --enable-admission-plugins is not appended to); --authorization-config replaces
	// --authorization-mode.
	ExtraAPIServerFlags []string
	// ControllerManager also starts kube-controller-manager (with per-controller service-account
	// credentials), so that Jobs get Pods, CronJobs get Jobs and namespaces get their default
	// service account. Start then also waits for the default service account of "default".
	ControllerManager bool
	// ExtraControllerManagerFlags are added to kube-controller-manager's command line, replacing
	// defaults as ExtraAPIServerFlags do; --controllers=* runs every default controller instead of
	// DefaultControllers.
	ExtraControllerManagerFlags []string
	// AuditPolicy is the audit policy YAML; empty means DefaultAuditPolicy.
	AuditPolicy string
}

// Cluster is a running etcd and kube-apiserver (and optionally kube-controller-manager) that
// listen only on 127.0.0.1 and keep all their state in one temporary directory.
type Cluster struct {
	dir        string
	url        string
	ca         *certAuthority
	admin      *keyPair
	caFile     string
	kubeconfig string
	auditLog   string
	procs      []*process // in start order; stopped in reverse
	startup    time.Duration
	keepDir    bool

	pendingKubeconfigs []pendingKubeconfig // written once url is known

	mu        sync.Mutex // guards userFiles
	userFiles int

	stopOnce sync.Once
}

const (
	// serviceCIDR is the range of Service cluster IPs; its first address is the API server's
	// in-cluster address, which the serving certificate names too.
	serviceCIDR      = "10.0.0.0/24"
	serviceAPIIP     = "10.0.0.1"
	serviceIssuer    = "https://kubernetes.default.svc.cluster.local"
	startAttempts    = 3 // per child, when a free port is taken before the child binds it
	etcdTimeout      = 30 * time.Second
	apiServerTimeout = 90 * time.Second
	kcmTimeout       = 90 * time.Second
	// keepEnv keeps the temporary directory (logs, audit log, certificates) after Stop.
	keepEnv = "JOBGUARD_TESTCLUSTER_KEEP"
)

// DefaultControllers are the controllers kube-controller-manager runs unless
// Options.ExtraControllerManagerFlags says otherwise: those of workloads (CronJob to Job to Pod,
// Deployment to ReplicaSet, DaemonSet, StatefulSet, ReplicationController), garbage collection of
// owned objects, namespace deletion, service accounts and their root CA, and the aggregation of
// the admin, edit and view ClusterRoles. Running every controller would take about 5 s more to
// start on two cores and nothing jobguard tests needs.
var DefaultControllers = []string{
	"clusterrole-aggregation-controller",
	"cronjob-controller",
	"daemonset-controller",
	"deployment-controller",
	"garbage-collector-controller",
	"job-controller",
	"namespace-controller",
	"replicaset-controller",
	"replicationcontroller-controller",
	"root-ca-certificate-publisher-controller",
	"serviceaccount-controller",
	"statefulset-controller",
}

// Start builds or reuses the pinned control-plane binaries (hack/build-controlplane.sh), then
// starts etcd and kube-apiserver on free 127.0.0.1 ports with freshly generated certificates,
// RBAC, service-account token signing and audit logging, and waits until the API server is
// ready. With opts.ControllerManager it also starts kube-controller-manager. The caller must
// call Stop; if Start fails, everything it started is already stopped.
func Start(opts Options) (_ *Cluster, err error) {
	bins, err := resolveBinaries()
	if err != nil {
		return nil, err
	}
	began := time.Now()

	base := os.TempDir()
	sweepStaleDirs(base)
	dir, err := os.MkdirTemp(base, dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("making the cluster directory: %w", err)
	}
	c := &Cluster{dir: dir, keepDir: os.Getenv(keepEnv) == "1"}
	defer func() {
		if err != nil {
			if c.keepDir {
				err = fmt.Errorf("%w\n(cluster files kept in %s)", err, dir)
			} else {
				err = fmt.Errorf("%w\n(cluster files removed; %s=1 keeps them)", err, keepEnv)
			}
			c.Stop()
		}
	}()
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return nil, fmt.Errorf("writing %s: %w", ownerFile, err)
	}
	files, err := c.writeCredentials(opts.AuditPolicy)
	if err != nil {
		return nil, err
	}
	etcdURL, err := c.startEtcd(bins.Etcd)
	if err != nil {
		return nil, err
	}
	if err := c.startAPIServer(bins.APIServer, etcdURL, files, opts.ExtraAPIServerFlags); err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(c.AdminConfig())
	if err != nil {
		return nil, fmt.Errorf("admin client: %w", err)
	}
	// /readyz does not wait for the system namespaces; tests expect "default" to be there.
	if err := c.waitForObject("namespace default", c.procs[len(c.procs)-1], apiServerTimeout, func(ctx context.Context) error {
		_, err := client.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{})
		return err
	}); err != nil {
		return nil, err
	}
	if opts.ControllerManager {
		if err := c.startControllerManager(bins.ControllerManager, files, client, opts.ExtraControllerManagerFlags); err != nil {
			return nil, err
		}
	}
	c.startup = time.Since(began)
	return c, nil
}

// credentialFiles are the paths the child processes read.
type credentialFiles struct {
	caKey, servingCert, servingKey, saKey, saPub, auditPolicy, kcmKubeconfig string
}

// writeCredentials generates the CA, the serving certificate, the admin and controller-manager
// client certificates and the service-account keys, and writes them with the audit policy and
// the admin kubeconfig.
func (c *Cluster) writeCredentials(auditPolicy string) (credentialFiles, error) {
	var f credentialFiles
	pki := filepath.Join(c.dir, "pki")
	if err := os.Mkdir(pki, 0o700); err != nil {
		return f, fmt.Errorf("making %s: %w", pki, err)
	}
	ca, err := newCA("jobguard-testcluster-ca")
	if err != nil {
		return f, err
	}
	serving, err := ca.serving("kube-apiserver",
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		[]net.IP{net.IPv4(127, 0, 0, 1), net.ParseIP(serviceAPIIP)})
	if err != nil {
		return f, err
	}
	admin, err := ca.client("jobguard-test-admin", "system:masters")
	if err != nil {
		return f, err
	}
	kcm, err := ca.client("system:kube-controller-manager")
	if err != nil {
		return f, err
	}
	saKey, saPub, err := serviceAccountKeys()
	if err != nil {
		return f, err
	}
	if auditPolicy == "" {
		auditPolicy = DefaultAuditPolicy
	}
	c.ca, c.admin = ca, admin
	c.caFile = filepath.Join(pki, "ca.crt")
	c.auditLog = filepath.Join(c.dir, "audit.log")
	f = credentialFiles{
		caKey:       filepath.Join(pki, "ca.key"),
		servingCert: filepath.Join(pki, "apiserver.crt"),
		servingKey:  filepath.Join(pki, "apiserver.key"),
		saKey:       filepath.Join(pki, "sa.key"),
		saPub:       filepath.Join(pki, "sa.pub"),
		auditPolicy: filepath.Join(c.dir, "audit-policy.yaml"),
	}
	for path, data := range map[string][]byte{
		c.caFile:      ca.CertPEM,
		f.caKey:       ca.KeyPEM,
		f.servingCert: serving.CertPEM,
		f.servingKey:  serving.KeyPEM,
		f.saKey:       saKey,
		f.saPub:       saPub,
		f.auditPolicy: []byte(auditPolicy),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return f, fmt.Errorf("writing %s: %w", path, err)
		}
	}
	// The URL is not known yet; the kubeconfigs are written once the API server has a port.
	c.kubeconfig = filepath.Join(c.dir, "admin.kubeconfig")
	f.kcmKubeconfig = filepath.Join(c.dir, "kube-controller-manager.kubeconfig")
	c.pendingKubeconfigs = []pendingKubeconfig{
		{path: c.kubeconfig, user: admin},
		{path: f.kcmKubeconfig, user: kcm},
	}
	return f, nil
}

func (c *Cluster) startEtcd(bin string) (string, error) {
	logPath := filepath.Join(c.dir, "etcd.log")
	dataDir := filepath.Join(c.dir, "etcd")
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(2)
		if err != nil {
			return "", err
		}
		clientURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
		peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
		p, err := startProcess("etcd", bin, []string{
			"--name=jobguard-test",
			"--data-dir=" + dataDir,
			"--listen-client-urls=" + clientURL,
			"--advertise-client-urls=" + clientURL,
			"--listen-peer-urls=" + peerURL,
			"--initial-advertise-peer-urls=" + peerURL,
			"--initial-cluster=jobguard-test=" + peerURL,
			"--initial-cluster-state=new",
			"--unsafe-no-fsync", // the data is thrown away; fsync would dominate test time
			"--log-level=warn",
		}, logPath)
		if err != nil {
			return "", err
		}
		plain := &http.Client{Timeout: 2 * time.Second}
		err = waitUntil(p, etcdTimeout, func() error { return getOK(plain, clientURL+"/health") })
		if err == nil {
			c.procs = append(c.procs, p)
			return clientURL, nil
		}
		p.kill()
		if attempt < startAttempts && logMentionsPortConflict(logPath) {
			_ = os.RemoveAll(dataDir)
			continue
		}
		return "", fmt.Errorf("etcd did not become healthy: %w\n%s ends with:\n%s", err, logPath, logTail(logPath, 20))
	}
}

func (c *Cluster) startAPIServer(bin, etcdURL string, f credentialFiles, extra []string) error {
	logPath := filepath.Join(c.dir, "kube-apiserver.log")
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(1)
		if err != nil {
			return err
		}
		defaults := []string{
			"--advertise-address=127.0.0.1",
			"--bind-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(ports[0]),
			"--etcd-servers=" + etcdURL,
			"--cert-dir=" + filepath.Join(c.dir, "pki"),
			"--tls-cert-file=" + f.servingCert,
			"--tls-private-key-file=" + f.servingKey,
			"--tls-min-version=VersionTLS12",
			"--client-ca-file=" + c.caFile,
			"--authorization-mode=Node,RBAC",
			"--service-account-issuer=" + serviceIssuer,
			"--service-account-key-file=" + f.saPub,
			"--service-account-signing-key-file=" + f.saKey,
			"--service-cluster-ip-range=" + serviceCIDR,
			// A loopback advertise address makes the lease reconciler fail the server.
			"--endpoint-reconciler-type=none",
			// jobguard's tests create the privileged workloads it must catch.
			"--allow-privileged=true",
			"--audit-policy-file=" + f.auditPolicy,
			"--audit-log-path=" + c.auditLog,
			"--audit-log-mode=blocking",
			"--profiling=false",
		}
		p, err := startProcess("kube-apiserver", bin, mergeFlags(defaults, extra), logPath)
		if err != nil {
			return err
		}
		c.url = "https://127.0.0.1:" + strconv.Itoa(ports[0])
		httpClient, err := c.adminHTTPClient()
		if err != nil {
			p.kill()
			return err
		}
		err = waitUntil(p, apiServerTimeout, func() error { return getOK(httpClient, c.url+"/readyz") })
		if err == nil {
			c.procs = append(c.procs, p)
			return c.writePendingKubeconfigs()
		}
		p.kill()
		if attempt < startAttempts && logMentionsPortConflict(logPath) {
			continue
		}
		return fmt.Errorf("kube-apiserver did not become ready: %w\n%s ends with:\n%s", err, logPath, logTail(logPath, 40))
	}
}

func (c *Cluster) startControllerManager(bin string, f credentialFiles, client kubernetes.Interface, extra []string) error {
	logPath := filepath.Join(c.dir, "kube-controller-manager.log")
	p, err := startProcess("kube-controller-manager", bin, mergeFlags([]string{
		"--kubeconfig=" + f.kcmKubeconfig,
		"--controllers=" + strings.Join(DefaultControllers, ","),
		"--secure-port=0", // no health endpoint needed: readiness is judged by its work
		"--leader-elect=false",
		"--use-service-account-credentials=true",
		"--service-account-private-key-file=" + f.saKey,
		"--root-ca-file=" + c.caFile,
		"--cluster-signing-cert-file=" + c.caFile,
		"--cluster-signing-key-file=" + f.caKey,
		"--profiling=false",
	}, extra), logPath)
	if err != nil {
		return err
	}
	c.procs = append(c.procs, p)
	// The service-account controller creating default/default shows the controllers run, and
	// pods cannot be admitted into a namespace before its default service account exists.
	err = c.waitForObject("service account default/default", p, kcmTimeout, func(ctx context.Context) error {
		_, err := client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("kube-controller-manager: %w\n%s ends with:\n%s", err, logPath, logTail(logPath, 40))
	}
	return nil
}

// waitForObject polls get until it succeeds, p exits or the timeout passes.
func (c *Cluster) waitForObject(what string, p *process, timeout time.Duration, get func(context.Context) error) error {
	err := waitUntil(p, timeout, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return get(ctx)
	})
	if err != nil {
		return fmt.Errorf("waiting for %s: %w", what, err)
	}
	return nil
}

// waitUntil polls check every 100ms until it returns nil. It fails early when p exits and with
// check's last error when the timeout passes.
func waitUntil(p *process, timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v: %w", p.name, timeout, err)
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s %s", p.name, p.exitDescription())
		case <-tick.C:
		}
	}
}

// getOK GETs url and fails unless the answer is 200; the error carries the body, which for
// /readyz lists the checks that fail.
func getOK(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

func (c *Cluster) adminHTTPClient() (*http.Client, error) {
	cert, err := tls.X509KeyPair(c.admin.CertPEM, c.admin.KeyPEM)
	if err != nil {
		return nil, fmt.Errorf("admin key pair: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c.ca.Cert)
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs:      pool,
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS12,
		}},
	}, nil
}

// mergeFlags returns the defaults without those that extra overrides, followed by extra.
func mergeFlags(defaults, extra []string) []string {
	override := map[string]bool{}
	for _, arg := range extra {
		if name, ok := flagName(arg); ok {
			override[name] = true
		}
	}
	if override["authorization-config"] { // mutually exclusive with --authorization-mode
		override["authorization-mode"] = true
	}
	out := make([]string, 0, len(defaults)+len(extra))
	for _, arg := range defaults {
		if name, _ := flagName(arg); !override[name] {
			out = append(out, arg)
		}
	}
	return append(out, extra...)
}

func flagName(arg string) (string, bool) {
	name, ok := strings.CutPrefix(arg, "--")
	if !ok {
		return "", false
	}
	if i := strings.IndexByte(name, '='); i >= 0 {
		name = name[:i]
	}
	return name, name != ""
}

// pendingKubeconfig is a kubeconfig to write once the API server's URL is known.
type pendingKubeconfig struct {
	path string
	user *keyPair
}

func (c *Cluster) writePendingKubeconfigs() error {
	for _, k := range c.pendingKubeconfigs {
		if err := writeKubeconfig(k.path, c.url, c.ca.CertPEM, k.user); err != nil {
			return err
		}
	}
	c.pendingKubeconfigs = nil
	return nil
}

// writeKubeconfig writes a kubeconfig (mode 0600) whose only context authenticates with user's
// client certificate.
func writeKubeconfig(path, server string, caPEM []byte, user *keyPair) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["jobguard-test"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	cfg.AuthInfos["user"] = &clientcmdapi.AuthInfo{ClientCertificateData: user.CertPEM, ClientKeyData: user.KeyPEM}
	cfg.Contexts["jobguard-test"] = &clientcmdapi.Context{Cluster: "jobguard-test", AuthInfo: "user"}
	cfg.CurrentContext = "jobguard-test"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return nil
}

// URL is the API server's address, https://127.0.0.1:PORT.
func (c *Cluster) URL() string { return c.url }

// CAFile is the path of the PEM CA certificate that signed the API server's serving certificate
// and every client certificate the cluster accepts.
func (c *Cluster) CAFile() string { return c.caFile }

// AuditLogPath is the path of the API server's JSON-lines audit log.
func (c *Cluster) AuditLogPath() string { return c.auditLog }

// Kubeconfig is the path of a kubeconfig for a system:masters user (client certificate).
func (c *Cluster) Kubeconfig() string { return c.kubeconfig }

// Dir is the cluster's temporary directory: logs of every process (etcd.log,
// kube-apiserver.log, kube-controller-manager.log), the audit log and policy, certificates and
// kubeconfigs. Stop removes it unless JOBGUARD_TESTCLUSTER_KEEP=1.
func (c *Cluster) Dir() string { return c.dir }

// StartupTime is how long Start took, not counting the check or build of the binaries.
func (c *Cluster) StartupTime() time.Duration { return c.startup }

// AdminConfig returns a new client config for a system:masters user authenticated by client
// certificate.
func (c *Cluster) AdminConfig() *rest.Config {
	return &rest.Config{
		Host: c.url,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   c.ca.CertPEM,
			CertData: c.admin.CertPEM,
			KeyData:  c.admin.KeyPEM,
		},
		QPS:   100,
		Burst: 200,
	}
}

// ConfigFor returns a client config that impersonates user with groups (and, as the API server
// adds it, system:authenticated). Authorization is that of the impersonated user; audit events
// name the admin as user and the impersonated one as impersonatedUser. For a request
// authenticated as the user itself, use KubeconfigFor.
func (c *Cluster) ConfigFor(user string, groups ...string) *rest.Config {
	cfg := c.AdminConfig()
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	return cfg
}

// ServiceAccountConfig returns a client config that impersonates the service account
// namespace/name, with its groups. The service account need not exist. For a real token, use
// ServiceAccountTokenConfig.
func (c *Cluster) ServiceAccountConfig(namespace, name string) *rest.Config {
	return c.ConfigFor("system:serviceaccount:"+namespace+":"+name,
		"system:serviceaccounts", "system:serviceaccounts:"+namespace)
}

// ServiceAccountTokenConfig returns a client config that authenticates with a bound token of the
// existing service account namespace/name, valid for an hour, obtained with the TokenRequest
// API: requests are made, authorized and audited as the service account itself.
func (c *Cluster) ServiceAccountTokenConfig(ctx context.Context, namespace, name string) (*rest.Config, error) {
	client, err := kubernetes.NewForConfig(c.AdminConfig())
	if err != nil {
		return nil, err
	}
	hour := int64(3600)
	tr, err := client.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &hour}},
		metav1.CreateOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("token for service account %s/%s: create the service account first: %w", namespace, name, err)
		}
		return nil, fmt.Errorf("token for service account %s/%s: %w", namespace, name, err)
	}
	return &rest.Config{
		Host:            c.url,
		BearerToken:     tr.Status.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.ca.CertPEM},
		QPS:             100,
		Burst:           200,
	}, nil
}

// KubeconfigFor writes a kubeconfig whose user authenticates with a new client certificate
// (CN=user, O=groups): the API server sees that user, not an impersonation. It returns the
// file's path, inside the cluster directory.
func (c *Cluster) KubeconfigFor(user string, groups ...string) (string, error) {
	kp, err := c.ca.client(user, groups...)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.userFiles++
	n := c.userFiles
	c.mu.Unlock()
	path := filepath.Join(c.dir, fmt.Sprintf("user-%d.kubeconfig", n))
	if err := writeKubeconfig(path, c.url, c.ca.CertPEM, kp); err != nil {
		return "", err
	}
	return path, nil
}

// Stop kills every process of the cluster (with its process group) and removes the cluster
// directory unless JOBGUARD_TESTCLUSTER_KEEP=1. It is safe to call more than once and on a
// nil Cluster.
func (c *Cluster) Stop() {
	if c == nil {
		return
	}
	c.stopOnce.Do(func() {
		for i := len(c.procs) - 1; i >= 0; i-- {
			c.procs[i].kill()
		}
		if c.keepDir {
			fmt.Fprintf(os.Stderr, "testcluster: %s=1: cluster files kept in %s\n", keepEnv, c.dir)
			return
		}
		if err := os.RemoveAll(c.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(os.Stderr, "testcluster: removing %s: %v\n", c.dir, err)
		}
	})
}

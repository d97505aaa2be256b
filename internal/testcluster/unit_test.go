package testcluster

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

func TestIntegrationDecision(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		wantSkip bool
		wantMsg  string // substring; empty means no message
		wantErr  bool
	}{
		{name: "unset", env: nil},
		{name: "zero", env: map[string]string{SkipEnv: "0"}},
		{name: "false", env: map[string]string{SkipEnv: "false"}},
		{name: "skip", env: map[string]string{SkipEnv: "1"}, wantSkip: true, wantMsg: "JOBGUARD_SKIP_INTEGRATION=1"},
		{name: "skip true", env: map[string]string{SkipEnv: "true", "CI": "false"}, wantSkip: true, wantMsg: "skipping"},
		{name: "ignored in CI", env: map[string]string{SkipEnv: "1", "CI": "true"}, wantMsg: "ignored because CI=true"},
		{name: "not a boolean", env: map[string]string{SkipEnv: "yes please"}, wantErr: true},
		{name: "CI without skip", env: map[string]string{"CI": "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			skip, msg, err := integrationDecision(func(k string) string { return tt.env[k] })
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if skip != tt.wantSkip {
				t.Errorf("skip = %v, want %v", skip, tt.wantSkip)
			}
			if tt.wantMsg == "" && msg != "" || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q, want one containing %q", msg, tt.wantMsg)
			}
		})
	}
}

func TestMergeFlags(t *testing.T) {
	defaults := []string{"--authorization-mode=Node,RBAC", "--allow-privileged=true", "--profiling=false"}
	tests := []struct {
		name  string
		extra []string
		want  []string
	}{
		{"none", nil, defaults},
		{"new flag appended", []string{"--v=2"}, append(slices.Clone(defaults), "--v=2")},
		{"same flag replaces", []string{"--allow-privileged=false"},
			[]string{"--authorization-mode=Node,RBAC", "--profiling=false", "--allow-privileged=false"}},
		{"value as next argument", []string{"--profiling", "true"},
			[]string{"--authorization-mode=Node,RBAC", "--allow-privileged=true", "--profiling", "true"}},
		{"authorization-config replaces authorization-mode", []string{"--authorization-config=/a.yaml"},
			[]string{"--allow-privileged=true", "--profiling=false", "--authorization-config=/a.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mergeFlags(defaults, tt.extra); !slices.Equal(got, tt.want) {
				t.Errorf("mergeFlags = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCertificates(t *testing.T) {
	ca, err := newCA("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	serving, err := ca.serving("kube-apiserver", []string{"localhost"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	alice, err := ca.client("alice", "team-a", "team-b")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.client(""); err == nil {
		t.Error("a client certificate without a user name was issued")
	}

	for _, kp := range []*keyPair{&ca.keyPair, serving, alice} {
		if kp.Key.Curve != elliptic.P256() {
			t.Errorf("%s: key curve %s, want P-256", kp.Cert.Subject.CommonName, kp.Key.Curve.Params().Name)
		}
		block, _ := pem.Decode(kp.KeyPEM)
		if block == nil {
			t.Fatalf("%s: key PEM does not decode", kp.Cert.Subject.CommonName)
		}
		if k, err := x509.ParseECPrivateKey(block.Bytes); err != nil || !k.Equal(kp.Key) {
			t.Errorf("%s: key PEM does not round-trip: %v", kp.Cert.Subject.CommonName, err)
		}
	}

	verify := []struct {
		name    string
		cert    *x509.Certificate
		dns     string
		usage   x509.ExtKeyUsage
		wantErr bool
	}{
		{"serving for localhost", serving.Cert, "localhost", x509.ExtKeyUsageServerAuth, false},
		{"serving for another name", serving.Cert, "example.com", x509.ExtKeyUsageServerAuth, true},
		{"serving is no client cert", serving.Cert, "", x509.ExtKeyUsageClientAuth, true},
		{"client", alice.Cert, "", x509.ExtKeyUsageClientAuth, false},
		{"client is no serving cert", alice.Cert, "", x509.ExtKeyUsageServerAuth, true},
	}
	for _, tt := range verify {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: tt.dns, KeyUsages: []x509.ExtKeyUsage{tt.usage}})
			if (err != nil) != tt.wantErr {
				t.Errorf("verify: %v, want error %v", err, tt.wantErr)
			}
		})
	}
	if got := alice.Cert.Subject; got.CommonName != "alice" || !slices.Equal(got.Organization, []string{"team-a", "team-b"}) {
		t.Errorf("client subject %v, want CN=alice O=team-a,team-b", got)
	}

	priv, pub, err := serviceAccountKeys()
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := pem.Decode(pub)
	kb, _ := pem.Decode(priv)
	if pb == nil || kb == nil {
		t.Fatal("service-account keys do not decode")
	}
	pk, err := x509.ParsePKIXPublicKey(pb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !sk.PublicKey.Equal(pk.(*ecdsa.PublicKey)) {
		t.Error("service-account public key does not match the private key")
	}
}

func TestServingCertificateNamesTheAPIServer(t *testing.T) {
	c := &Cluster{dir: t.TempDir()}
	if _, err := c.writeCredentials(""); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(c.dir, "pki", "apiserver.crt"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"127.0.0.1", "localhost", serviceAPIIP, "kubernetes.default.svc"} {
		if err := cert.VerifyHostname(host); err != nil {
			t.Errorf("serving certificate: %v", err)
		}
	}
	policy, err := os.ReadFile(filepath.Join(c.dir, "audit-policy.yaml"))
	if err != nil || string(policy) != DefaultAuditPolicy {
		t.Errorf("audit policy file: %v, want the default policy", err)
	}
	for _, name := range []string{"pki/ca.key", "pki/sa.key", "pki/apiserver.key"} {
		st, err := os.Stat(filepath.Join(c.dir, name))
		if err != nil {
			t.Error(err)
		} else if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, st.Mode().Perm())
		}
	}
}

func TestWriteKubeconfig(t *testing.T) {
	ca, err := newCA("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := ca.client("bob", "viewers")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bob.kubeconfig")
	if err := writeKubeconfig(path, "https://127.0.0.1:6443", ca.CertPEM, bob); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://127.0.0.1:6443" || string(cfg.CertData) != string(bob.CertPEM) ||
		string(cfg.KeyData) != string(bob.KeyPEM) || string(cfg.CAData) != string(ca.CertPEM) {
		t.Errorf("kubeconfig loads as host %s with other credentials than written", cfg.Host)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig mode: %v, want 0600", err)
	}
}

func TestDefaultAuditPolicy(t *testing.T) {
	var p auditv1.Policy
	if err := yaml.UnmarshalStrict([]byte(DefaultAuditPolicy), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Rules) != 2 {
		t.Fatalf("%d rules, want 2", len(p.Rules))
	}
	workloads, rest := p.Rules[0], p.Rules[1]
	if workloads.Level != auditv1.LevelRequestResponse || slices.Contains(workloads.Verbs, "get") {
		t.Errorf("first rule: level %s verbs %v, want RequestResponse for writes only", workloads.Level, workloads.Verbs)
	}
	want := map[string][]string{
		"batch": {"cronjobs", "jobs"},
		"apps":  {"daemonsets", "deployments", "replicasets", "statefulsets"},
		"":      {"pods", "pods/ephemeralcontainers", "replicationcontrollers"},
	}
	for _, g := range workloads.Resources {
		if !slices.Equal(g.Resources, want[g.Group]) {
			t.Errorf("group %q: resources %v, want %v", g.Group, g.Resources, want[g.Group])
		}
		delete(want, g.Group)
	}
	if len(want) != 0 {
		t.Errorf("groups missing from the RequestResponse rule: %v", want)
	}
	if rest.Level != auditv1.LevelMetadata || len(rest.Resources) != 0 || len(rest.Verbs) != 0 {
		t.Errorf("last rule %+v, want Metadata for everything", rest)
	}
}

func TestFreePorts(t *testing.T) {
	ports, err := freePorts(5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p <= 0 || p > 65535 || seen[p] {
			t.Errorf("ports %v: %d is invalid or repeated", ports, p)
		}
		seen[p] = true
	}
}

func TestLogTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	var b strings.Builder
	for i := range 100 {
		b.WriteString("line " + strconv.Itoa(i) + "\n")
	}
	b.WriteString("listen tcp 127.0.0.1:1234: bind: address already in use\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, want := logTail(path, 2), "line 99\nlisten tcp 127.0.0.1:1234: bind: address already in use"; got != want {
		t.Errorf("logTail = %q, want %q", got, want)
	}
	if !logMentionsPortConflict(path) {
		t.Error("port conflict not recognized")
	}
	if got := logTail(filepath.Join(t.TempDir(), "missing.log"), 5); !strings.HasPrefix(got, "(no log:") {
		t.Errorf("logTail of a missing file = %q", got)
	}
}

func TestSweepStaleDirs(t *testing.T) {
	// A process that has exited and been reaped: its pid is (almost surely) free.
	done := exec.Command("true")
	if err := done.Run(); err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	mk := func(name, owner string, age time.Duration) string {
		dir := filepath.Join(base, dirPrefix+name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if age > 0 {
			old := time.Now().Add(-age)
			if err := os.Chtimes(dir, old, old); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	tests := []struct {
		dir      string
		wantKept bool
	}{
		{mk("live", strconv.Itoa(os.Getpid()), 0), true},
		{mk("dead", strconv.Itoa(done.Process.Pid), 0), false},
		{mk("garbled", "not a pid", 0), false},
		{mk("fresh-without-owner", "", 0), true},
		{mk("old-without-owner", "", 2*time.Hour), false},
	}
	other := filepath.Join(base, "unrelated")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	sweepStaleDirs(base)
	for _, tt := range tests {
		_, err := os.Stat(tt.dir)
		if kept := err == nil; kept != tt.wantKept {
			t.Errorf("%s: kept %v, want %v", filepath.Base(tt.dir), kept, tt.wantKept)
		}
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("the sweep touched a directory that is not a cluster's: %v", err)
	}
}

func TestPidAlive(t *testing.T) {
	if !pidAlive(os.Getpid()) {
		t.Error("this process is not alive")
	}
	if pidAlive(0) || pidAlive(-1) {
		t.Error("pid 0 or -1 is alive")
	}
}

func TestChildEnv(t *testing.T) {
	got := childEnv([]string{"PATH=/bin", "ETCD_DATA_DIR=/x", "KUBECONFIG=/k", "KUBECONFIGX=1", "HOME=/h"})
	if want := []string{"PATH=/bin", "KUBECONFIGX=1", "HOME=/h"}; !slices.Equal(got, want) {
		t.Errorf("childEnv = %q, want %q", got, want)
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, buildScript)); err != nil {
		t.Errorf("module root %s has no %s: %v", root, buildScript, err)
	}
	if !isJobguardRoot(root) || isJobguardRoot(t.TempDir()) {
		t.Error("isJobguardRoot does not tell the module root from another directory")
	}
}

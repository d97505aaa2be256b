package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// newTestServer writes a self-signed pair into a temp dir and returns a Server for a handler with
// metrics, the CA pool, and the dir.
func newTestServer(t *testing.T, opts ServerOptions) (*Server, *x509.CertPool, string) {
	t.Helper()
	dir := t.TempDir()
	caPEM, err := SelfSigned(dir, "localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("CA bundle does not parse")
	}
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, DefaultPolicy(), testNamespaces, HandlerOptions{Metrics: m})
	opts.CertFile, opts.KeyFile = filepath.Join(dir, CertFileName), filepath.Join(dir, KeyFileName)
	opts.Gatherer = reg
	s, err := NewServer(f.h, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, pool, dir
}

// serve runs s on a loopback port until the test ends and returns its base URL.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve returned %v after Shutdown, want nil", err)
		}
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return "https://localhost:" + port
}

func client(pool *x509.CertPool, minV, maxV uint16) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: pool, MinVersion: minV, MaxVersion: maxV},
			DisableKeepAlives: true,
		},
	}
}

func TestTLSVersions(t *testing.T) {
	s, _, _ := newTestServer(t, ServerOptions{})
	ts := httptest.NewUnstartedServer(s.Handler())
	ts.TLS = s.TLSConfig()
	ts.StartTLS()
	defer ts.Close()
	if ts.TLS.MinVersion != tls.VersionTLS12 {
		t.Fatalf("MinVersion %x", ts.TLS.MinVersion)
	}
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11,
	}}}
	if resp, err := old.Get(ts.URL + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatal("a TLS 1.1 client was served")
	} else if !strings.Contains(err.Error(), "version") {
		t.Errorf("TLS 1.1 refused with %v, want a protocol version error", err)
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		c := ts.Client()
		c.Transport.(*http.Transport).TLSClientConfig.MinVersion = v
		c.Transport.(*http.Transport).TLSClientConfig.MaxVersion = v
		resp, err := c.Get(ts.URL + "/healthz")
		if err != nil {
			t.Fatalf("TLS %x: %v", v, err)
		}
		resp.Body.Close()
		if resp.TLS.Version != v {
			t.Errorf("negotiated %x, want %x", resp.TLS.Version, v)
		}
	}
}

func TestServerRoutes(t *testing.T) {
	var ready atomic.Bool
	s, pool, _ := newTestServer(t, ServerOptions{Ready: ready.Load})
	base := serve(t, s)
	c := client(pool, tls.VersionTLS12, 0)

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz %d", code)
	}
	if code, _ := get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz %d before ready, want 503", code)
	}
	ready.Store(true)
	if code, _ := get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz %d when ready", code)
	}

	body := rev{kind: "CronJob", ns: "strict", obj: manifest("CronJob", "x", "strict", privilegedSpec, "", "")}.body(t)
	resp, err := c.Post(base+"/validate", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if r := decodeAnswer(t, b); r.Allowed {
		t.Fatal("privileged CronJob allowed over HTTPS")
	}
	resp, err = c.Get(base + "/validate")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /validate %d", resp.StatusCode)
	}

	code, metrics := get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics %d", code)
	}
	for _, want := range []string{
		`jobguard_webhook_requests_total{code="403",dry_run="false",kind="CronJob",operation="CREATE"} 1`,
		`jobguard_webhook_requests_total{code="405",dry_run="false",kind="none",operation="none"} 1`,
		`jobguard_webhook_decisions_total{dry_run="false",mode="enforce",rule="host-privileged"} 1`,
		`jobguard_webhook_decisions_total{dry_run="false",mode="audit",rule="host-privileged"} 1`,
		`jobguard_webhook_request_duration_seconds_bucket{kind="CronJob",operation="CREATE",le="+Inf"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestCertReload(t *testing.T) {
	s, pool, dir := newTestServer(t, ServerOptions{CertCheckInterval: 20 * time.Millisecond})
	base := serve(t, s)
	leaf := func(c *http.Client) ([]byte, error) {
		resp, err := c.Get(base + "/healthz")
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].Raw, nil
	}
	if _, err := leaf(client(pool, 0, 0)); err != nil {
		t.Fatal(err)
	}

	caPEM, err := SelfSigned(dir, "localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	// Make sure the files' stamps change even on a coarse-grained file system.
	later := time.Now().Add(2 * time.Second)
	for _, f := range []string{CertFileName, KeyFileName} {
		if err := os.Chtimes(filepath.Join(dir, f), later, later); err != nil {
			t.Fatal(err)
		}
	}
	newPool := x509.NewCertPool()
	newPool.AppendCertsFromPEM(caPEM)
	certPEM, err := os.ReadFile(filepath.Join(dir, CertFileName))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(certPEM)

	deadline := time.Now().Add(5 * time.Second)
	for {
		raw, err := leaf(client(newPool, 0, 0))
		if err == nil {
			if !bytes.Equal(raw, block.Bytes) {
				t.Fatal("served certificate is not the one in the file")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("new certificate not served after 5 s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The old CA no longer verifies the server.
	var uerr x509.UnknownAuthorityError
	if _, err := leaf(client(pool, 0, 0)); err == nil || !errors.As(err, &uerr) {
		t.Errorf("old CA: %v, want an unknown-authority error", err)
	}

	// A broken key file keeps the current certificate in service.
	if err := os.WriteFile(filepath.Join(dir, KeyFileName), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := leaf(client(newPool, 0, 0)); err != nil {
		t.Errorf("broken key file took the server down: %v", err)
	}
}

func TestNewServerErrors(t *testing.T) {
	f := newFixture(t, DefaultPolicy(), nil, HandlerOptions{})
	if _, err := NewServer(f.h, ServerOptions{}); err == nil {
		t.Error("no certificate files: want an error")
	}
	dir := t.TempDir()
	_, err := NewServer(f.h, ServerOptions{CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key")})
	if err == nil || !strings.Contains(err.Error(), "tls.crt") {
		t.Errorf("missing files: %v, want an error naming the file", err)
	}
}

func TestSelfSigned(t *testing.T) {
	dir := t.TempDir()
	caPEM, err := SelfSigned(dir, "jobguard.jobguard.svc", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("CA bundle")
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, CertFileName), filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"jobguard.jobguard.svc", "10.0.0.1"} {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: host, Roots: pool}); err != nil {
			t.Errorf("verify for %s: %v", host, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, KeyFileName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, %v", fi.Mode(), err)
	}
	ca, err := os.ReadFile(filepath.Join(dir, CAFileName))
	if err != nil || !bytes.Equal(ca, caPEM) {
		t.Errorf("ca.crt differs from the returned bundle (%v)", err)
	}
}

// Package webhook_bench runs the admission webhook benchmark: jobguard's webhook, then the official
// Pod Security Admission webhook, each under the same open-loop load from bench/webhook/loadgen,
// both watching the namespaces of the real test API server (internal/testcluster), and prints the
// two side by side.
//
// It is a benchmark, not a test: it runs only with JOBGUARD_BENCH=1 (bench/webhook/run.sh sets it),
// so `go test ./...` skips it.
//
//	JOBGUARD_BENCH=1 go test ./bench/webhook -run TestWebhookLoad -v -timeout 30m \
//	    -args -rate 2000 -duration 5m -psa "$(bash bench/webhook/build-psa.sh)"
package webhook_bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/jobguard/jobguard/internal/testcluster"
	"github.com/jobguard/jobguard/internal/webhook"
)

// benchEnv must be 1 for the benchmark to run.
const benchEnv = "JOBGUARD_BENCH"

var (
	rate     = flag.Float64("rate", 2000, "requests per second")
	duration = flag.Duration("duration", 5*time.Minute, "measured duration of each server's run")
	warmup   = flag.Duration("warmup", 10*time.Second, "load before the measured part, not counted")
	window   = flag.Duration("window", 10*time.Second, "length of the windows of the latency timeline")
	workers  = flag.Int("workers", 256, "most requests in flight")
	http1    = flag.Bool("http1", false, "HTTP/1.1 instead of HTTP/2 (kube-apiserver uses HTTP/2)")
	psaBin   = flag.String("psa", "", "the Pod Security Admission webhook binary (bench/webhook/build-psa.sh); empty: jobguard only")
	targetMS = flag.Float64("target-p99", 5, "jobguard's p99 latency target, ms")
	serverGM = flag.Int("server-gomaxprocs", 0, "GOMAXPROCS of the servers (0: all cores)")
	jgBin    = flag.String("jobguard", "", "the jobguard binary to load (default: built from ./cmd/jobguard)")
	jgExtra  = flag.String("jobguard-args", "", "extra arguments of jobguard webhook, space-separated (e.g. --log-level=warn)")
	servers  = flag.String("servers", "jobguard,psa", "which servers to load, in order (psa needs -psa)")
)

// namespaces are those of loadgen's default mix, one per Pod Security level, each labelled to
// enforce, warn and audit at its level, so both webhooks evaluate every pod template.
var namespaces = []string{"bench-restricted", "bench-baseline", "bench-privileged"}

func TestMain(m *testing.M) {
	flag.Parse()
	testcluster.Main(m, testcluster.Options{})
}

func TestWebhookLoad(t *testing.T) {
	if os.Getenv(benchEnv) != "1" {
		t.Skip("benchmark: set " + benchEnv + "=1")
	}
	bin := t.TempDir()
	jobguard := *jgBin
	if jobguard == "" {
		jobguard = goBuild(t, bin, "./cmd/jobguard")
	}
	loadgen := goBuild(t, bin, "./bench/webhook/loadgen")

	c := testcluster.Shared(t)
	client, err := kubernetes.NewForConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range namespaces {
		level := strings.TrimPrefix(ns, "bench-")
		labels := map[string]string{}
		for _, mode := range []string{"enforce", "warn", "audit"} {
			labels["pod-security.kubernetes.io/"+mode] = level
		}
		_, err := client.CoreV1().Namespaces().Create(context.Background(),
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: labels}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}

	var results []*result
	var jg *result
	for _, name := range strings.Split(*servers, ",") {
		switch name {
		case "jobguard":
			jg = loadJobguard(t, jobguard, loadgen, bin, c.Kubeconfig())
			results = append(results, jg)
		case "psa":
			if *psaBin == "" {
				t.Log("no -psa binary: the Pod Security Admission webhook is not loaded")
				continue
			}
			results = append(results, loadPSA(t, *psaBin, loadgen, bin, c.Kubeconfig()))
		default:
			t.Fatalf("-servers: unknown server %q (want jobguard or psa)", name)
		}
	}
	if len(results) == 0 {
		t.Fatal("no server was loaded")
	}
	fmt.Print(sideBySide(results))
	if jg == nil {
		return
	}
	var miss []string
	if jg.P99 >= *targetMS {
		miss = append(miss, fmt.Sprintf("p99 %.2f ms >= %.0f ms", jg.P99, *targetMS))
	}
	if jg.Errors > 0 {
		miss = append(miss, fmt.Sprintf("%d errors", jg.Errors))
	}
	if jg.Memory != nil && !flat(jg.Memory) {
		miss = append(miss, fmt.Sprintf("memory grew %.1f MB (first tenth %.1f MB, last tenth %.1f MB)", jg.Memory.DriftMB, jg.Memory.FirstMB, jg.Memory.LastMB))
	}
	if len(miss) > 0 {
		t.Errorf("jobguard missed the target (p99 < %.0f ms at %.0f/s, no errors, flat memory): %s", *targetMS, *rate, strings.Join(miss, "; "))
	} else {
		fmt.Printf("jobguard target (p99 < %.0f ms at %.0f/s, no errors, flat memory): met\n", *targetMS, *rate)
	}
}

// loadJobguard loads `jobguard webhook`, with default settings but for -jobguard-args.
func loadJobguard(t *testing.T, jobguard, loadgen, bin, kubeconfig string) *result {
	if out, err := exec.Command(jobguard, "webhook", "--help").CombinedOutput(); err != nil {
		t.Fatalf("%s has no webhook command: %v\n%s", jobguard, err, out)
	}
	dir := filepath.Join(bin, "jobguard-certs")
	port := freePort(t)
	args := []string{jobguard, "webhook", "--self-signed", dir, "--addr", "127.0.0.1:" + port, "--kubeconfig", kubeconfig}
	args = append(args, strings.Fields(*jgExtra)...)
	return runLoad(t, loadgen, "jobguard webhook", args, "https://127.0.0.1:"+port+"/validate", filepath.Join(dir, webhook.CAFileName), bin)
}

// loadPSA loads the Pod Security Admission webhook, with a certificate of its own.
func loadPSA(t *testing.T, psa, loadgen, bin, kubeconfig string) *result {
	dir := filepath.Join(bin, "psa-certs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := webhook.SelfSigned(dir); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	args := []string{psa, "--kubeconfig", kubeconfig,
		"--tls-cert-file", filepath.Join(dir, webhook.CertFileName),
		"--tls-private-key-file", filepath.Join(dir, webhook.KeyFileName),
		"--bind-address", "127.0.0.1", "--secure-port", port, "--cert-dir", dir}
	return runLoad(t, loadgen, "Pod Security Admission webhook", args,
		"https://127.0.0.1:"+port+"/validate", filepath.Join(dir, webhook.CAFileName), bin)
}

// flat reports whether memory at the end is within 10% (at least 5 MB) of memory at the start.
func flat(m *memory) bool { return m.DriftMB <= max(5, m.FirstMB/10) }

// runLoad starts a server, waits until it is ready, runs loadgen against it and stops it.
func runLoad(t *testing.T, loadgen, label string, server []string, url, caFile, dir string) *result {
	t.Helper()
	logPath := filepath.Join(dir, strings.ReplaceAll(label, " ", "-")+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(server[0], server[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if *serverGM > 0 {
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(*serverGM))
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", label, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	defer stop()
	if err := waitReady(url, caFile, exited); err != nil {
		t.Fatalf("%s did not get ready: %v\n%s", label, err, tail(logPath))
	}

	jsonOut := filepath.Join(dir, strings.ReplaceAll(label, " ", "-")+".json")
	args := []string{"-url", url, "-ca", caFile, "-rate", fmt.Sprint(*rate), "-duration", duration.String(),
		"-warmup", warmup.String(), "-workers", strconv.Itoa(*workers), "-window", window.String(), "-pid", strconv.Itoa(cmd.Process.Pid),
		"-label", label, "-json", jsonOut}
	if *http1 {
		args = append(args, "-http1")
	}
	fmt.Printf("\n=== %s (load %s)\n", label, loadAverage())
	lg := exec.Command(loadgen, args...)
	lg.Stdout, lg.Stderr = os.Stdout, os.Stderr
	err = lg.Run()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
		t.Fatalf("loadgen against %s: %v", label, err)
	}
	stop()
	if fi, err := os.Stat(logPath); err == nil && fi.Size() > 0 {
		fmt.Printf("%s log: %d bytes; last lines:\n%s\n", label, fi.Size(), lastLines(logPath, 5))
	}
	b, err := os.ReadFile(jsonOut)
	if err != nil {
		t.Fatal(err)
	}
	var r result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", jsonOut, err)
	}
	return &r
}

// result is the part of loadgen's JSON report that the comparison prints.
type result struct {
	Label                    string
	TargetRate, Throughput   float64
	Requests, Errors         int
	P50, P90, P99, P999, Max float64
	Categories               []struct {
		Name                              string
		Requests, Allowed, Denied, Warned int
	}
	Memory          *memory
	LoadgenCPUCores float64
	QuietP99        float64
	QuietWindows    int
	Windows         []struct{}
}

type memory struct {
	StartMB, EndMB, MaxMB, FirstMB, LastMB, DriftMB float64
	CPUCores, CPUPerRequestUS                       float64
}

func sideBySide(rs []*result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nat %.0f requests/s for %v each (load now: %s)\n", *rate, *duration, loadAverage())
	fmt.Fprintf(&b, "%-26s", "")
	for _, r := range rs {
		fmt.Fprintf(&b, " %32s", r.Label)
	}
	b.WriteString("\n")
	row := func(name, format string, get func(*result) any) {
		fmt.Fprintf(&b, "%-26s", name)
		for _, r := range rs {
			fmt.Fprintf(&b, " %32s", fmt.Sprintf(format, get(r)))
		}
		b.WriteString("\n")
	}
	row("requests", "%d", func(r *result) any { return r.Requests })
	row("answered/s", "%.0f", func(r *result) any { return r.Throughput })
	row("errors", "%d", func(r *result) any { return r.Errors })
	row("latency p50 ms", "%.2f", func(r *result) any { return r.P50 })
	row("latency p90 ms", "%.2f", func(r *result) any { return r.P90 })
	row("latency p99 ms", "%.2f", func(r *result) any { return r.P99 })
	row("latency p99.9 ms", "%.2f", func(r *result) any { return r.P999 })
	row("p99 ms in quiet windows", "%s", func(r *result) any {
		if r.QuietWindows == 0 {
			return "none quiet"
		}
		return fmt.Sprintf("%.2f (%d of %d)", r.QuietP99, r.QuietWindows, len(r.Windows))
	})
	row("latency max ms", "%.2f", func(r *result) any { return r.Max })
	row("denied", "%d", func(r *result) any {
		n := 0
		for _, c := range r.Categories {
			n += c.Denied
		}
		return n
	})
	row("answers with warnings", "%d", func(r *result) any {
		n := 0
		for _, c := range r.Categories {
			n += c.Warned
		}
		return n
	})
	mem := func(name, format string, get func(*memory) float64) {
		row(name, format, func(r *result) any {
			if r.Memory == nil {
				return 0.0
			}
			return get(r.Memory)
		})
	}
	mem("RSS start MB", "%.1f", func(m *memory) float64 { return m.StartMB })
	mem("RSS end MB", "%.1f", func(m *memory) float64 { return m.EndMB })
	mem("RSS max MB", "%.1f", func(m *memory) float64 { return m.MaxMB })
	mem("RSS drift MB (last-first)", "%+.1f", func(m *memory) float64 { return m.DriftMB })
	mem("server CPU cores", "%.2f", func(m *memory) float64 { return m.CPUCores })
	mem("server CPU µs/request", "%.0f", func(m *memory) float64 { return m.CPUPerRequestUS })
	row("load generator CPU cores", "%.2f", func(r *result) any { return r.LoadgenCPUCores })
	return b.String()
}

// waitReady polls the server's /readyz until it answers 200, the server exits, or a minute passes.
func waitReady(url, caFile string, exited <-chan error) error {
	ready := strings.TrimSuffix(url, "/validate") + "/readyz"
	deadline := time.Now().Add(time.Minute)
	var last error
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("server exited: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
		client, err := tlsClient(caFile) // the CA file may appear only once the server has written it
		if err != nil {
			last = err
			continue
		}
		resp, err := client.Get(ready)
		if err != nil {
			last = err
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		last = fmt.Errorf("%s: %s: %s", ready, resp.Status, bytes.TrimSpace(body))
	}
	return fmt.Errorf("not ready after a minute: %v", last)
}

func tlsClient(caFile string) (*http.Client, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no certificate yet", caFile)
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}, nil
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// goBuild builds the package pkg of the module into dir and returns the binary's path.
func goBuild(t *testing.T, dir, pkg string) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

func lastLines(path string, n int) string {
	lines := strings.Split(strings.TrimRight(tail(path), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

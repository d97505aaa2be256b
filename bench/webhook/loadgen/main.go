// Command loadgen drives a validating admission webhook the way an API server does: AdmissionReview
// POSTs over HTTPS (HTTP/2 by default, as kube-apiserver calls webhooks), at a fixed rate, for a
// duration, with a mix of CronJobs (clean and risky), Deployments and Pods in several namespaces.
//
//	loadgen -url https://127.0.0.1:8443/validate -ca ca.crt -rate 2000 -duration 5m -pid 1234
//
// The load is open-loop: a scheduler issues request i at start + i/rate whatever the server does, a
// bounded pool of workers sends them, and each latency is measured from the request's scheduled
// time, so a server that stalls is charged for the requests that waited (no coordinated omission).
// It reports p50/p90/p99/p99.9/max latency, throughput, errors and decisions per category, and with
// -pid samples the server's resident memory (VmRSS) and CPU time every second, to show whether
// memory stays flat. -json writes the same as JSON. It exits 1 when any request failed.
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
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	var o options
	flag.StringVar(&o.url, "url", "https://127.0.0.1:8443/validate", "webhook URL")
	flag.StringVar(&o.caFile, "ca", "", "PEM CA certificate of the server (required)")
	flag.Float64Var(&o.rate, "rate", 2000, "requests per second")
	flag.DurationVar(&o.duration, "duration", 5*time.Minute, "measured duration")
	flag.DurationVar(&o.warmup, "warmup", 5*time.Second, "load before the measured duration, not counted")
	flag.IntVar(&o.workers, "workers", 256, "most requests in flight")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-request timeout (the API server's webhook timeoutSeconds)")
	flag.BoolVar(&o.http1, "http1", false, "use HTTP/1.1 with keep-alive instead of HTTP/2")
	flag.IntVar(&o.pid, "pid", 0, "process ID of the server, to sample its memory and CPU every second")
	flag.StringVar(&o.namespaces, "namespaces", "bench-restricted,bench-baseline,bench-privileged", "comma-separated namespaces of the reviews")
	flag.StringVar(&o.label, "label", "", "name of the server in the report")
	flag.StringVar(&o.jsonOut, "json", "", "also write the result as JSON to this file")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the request mix")
	flag.DurationVar(&o.window, "window", 10*time.Second, "length of the windows of the latency timeline")
	flag.Parse()
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	res, err := run(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	res.print(os.Stdout)
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(2)
		}
	}
	if res.Errors > 0 {
		os.Exit(1)
	}
}

type options struct {
	url, caFile, namespaces, label, jsonOut string
	rate                                    float64
	duration, warmup, timeout, window       time.Duration
	workers, pid                            int
	http1                                   bool
	seed                                    uint64
}

func (o *options) validate() error {
	switch {
	case o.caFile == "":
		return errors.New("-ca is required")
	case o.rate <= 0 || o.rate > 1e6:
		return fmt.Errorf("-rate %g: want 0 < rate <= 1e6", o.rate)
	case o.duration <= 0 || o.warmup < 0:
		return errors.New("-duration must be positive and -warmup not negative")
	case o.workers <= 0:
		return errors.New("-workers must be positive")
	case o.window < 0:
		return errors.New("-window must not be negative")
	case o.duration+o.warmup > 2*time.Hour:
		return errors.New("-duration plus -warmup may be at most 2h")
	}
	if o.label == "" {
		o.label = o.url
	}
	if o.window == 0 {
		o.window = 10 * time.Second
	}
	return nil
}

// job is one scheduled request.
type job struct {
	seq      uint64
	tmpl     int
	due      time.Time
	measured bool
}

// outcome is what a worker records about one measured request.
type outcome struct {
	due      time.Duration // scheduled time, from the start of the measured part
	latency  time.Duration
	category int
	err      string // empty on success
	allowed  bool
	warnings int
}

func newClient(o options) (*http.Client, error) {
	pem, err := os.ReadFile(o.caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate", o.caFile)
	}
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:   !o.http1,
		MaxIdleConns:        o.workers,
		MaxIdleConnsPerHost: o.workers,
		IdleConnTimeout:     90 * time.Second,
	}
	if o.http1 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return &http.Client{Transport: tr, Timeout: o.timeout}, nil
}

func run(ctx context.Context, o options) (*Result, error) {
	namespaces := strings.Split(o.namespaces, ",")
	templates, err := buildTemplates(Mix, namespaces)
	if err != nil {
		return nil, err
	}
	client, err := newClient(o)
	if err != nil {
		return nil, err
	}
	url := o.url
	if !strings.Contains(url, "?") {
		url += "?timeout=" + o.timeout.String() // as the API server sends it
	}

	var sampler *sampler
	if o.pid > 0 {
		sampler, err = startSampler(o.pid)
		if err != nil {
			return nil, err
		}
	}

	start := time.Now().Add(10 * time.Millisecond)
	measureStart := start.Add(o.warmup)
	jobs := make(chan job, 8192)
	outs := make([][]outcome, o.workers)
	var wg sync.WaitGroup
	for w := 0; w < o.workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var buf bytes.Buffer
			for j := range jobs {
				out := send(client, url, &templates[j.tmpl], j, &buf)
				out.due = j.due.Sub(measureStart)
				if j.measured {
					outs[w] = append(outs[w], out)
				}
			}
		}(w)
	}

	cpu0 := ownCPU()
	interval := time.Duration(float64(time.Second) / o.rate)
	total := uint64((o.warmup + o.duration).Seconds() * o.rate)
	warm := uint64(o.warmup.Seconds() * o.rate)
	pick := newPicker(Mix, templates, o.seed)
	var maxLag time.Duration
	tick := time.NewTicker(time.Millisecond)
	var seq uint64
	if sampler != nil {
		sampler.markAt(measureStart)
	}
schedule:
	for seq < total {
		select {
		case <-ctx.Done():
			break schedule
		case <-tick.C:
			// The tick's own time may be stale when this goroutine ran late; the timetable is not.
			now := time.Now()
			for seq < total {
				due := start.Add(time.Duration(seq) * interval)
				if due.After(now) {
					break
				}
				jobs <- job{seq: seq, tmpl: pick.next(), due: due, measured: seq >= warm}
				seq++
			}
			if lag := time.Since(start.Add(time.Duration(seq) * interval)); lag > maxLag {
				maxLag = lag
			}
		}
	}
	tick.Stop()
	close(jobs)
	wg.Wait()
	end := time.Now()
	var samples []Sample
	if sampler != nil {
		samples = sampler.stop()
	}
	r := summarize(o, Mix, outs, measureStart, end, maxLag, samples)
	r.LoadgenCPUCores = (ownCPU() - cpu0).Seconds() / end.Sub(start).Seconds()
	return r, nil
}

// ownCPU is this process's user and system CPU time so far.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// send makes one request and classifies the answer; the latency runs from the scheduled time to the
// whole response read.
func send(client *http.Client, url string, t *template, j job, buf *bytes.Buffer) outcome {
	out := outcome{category: t.category}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(t.request(j.seq)))
	if err != nil {
		out.err = err.Error()
		return out
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		out.latency = time.Since(j.due)
		out.err = errorClass(err)
		return out
	}
	buf.Reset()
	_, err = io.Copy(buf, resp.Body)
	resp.Body.Close()
	out.latency = time.Since(j.due)
	if err != nil {
		out.err = "reading response: " + errorClass(err)
		return out
	}
	if resp.StatusCode != http.StatusOK {
		out.err = fmt.Sprintf("HTTP %d", resp.StatusCode)
		return out
	}
	var review struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Response   *struct {
			UID      string   `json:"uid"`
			Allowed  bool     `json:"allowed"`
			Warnings []string `json:"warnings"`
		} `json:"response"`
	}
	if err := json.Unmarshal(buf.Bytes(), &review); err != nil {
		out.err = "response is not JSON"
		return out
	}
	switch {
	case review.Kind != "AdmissionReview" || review.APIVersion != "admission.k8s.io/v1":
		out.err = "response is not an admission.k8s.io/v1 AdmissionReview"
	case review.Response == nil:
		out.err = "review without response"
	case review.Response.UID != requestUID(j.seq):
		out.err = "response UID does not match the request's"
	default:
		out.allowed = review.Response.Allowed
		out.warnings = len(review.Response.Warnings)
	}
	return out
}

// errorClass shortens a transport error to a stable class, so that errors group in the report.
func errorClass(err error) string {
	var ue interface{ Timeout() bool }
	if errors.As(err, &ue) && ue.Timeout() {
		return "timeout"
	}
	s := err.Error()
	for _, c := range []string{"connection refused", "connection reset", "broken pipe", "EOF", "certificate"} {
		if strings.Contains(s, c) {
			return c
		}
	}
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

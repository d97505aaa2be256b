package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
)

func TestTemplatesCarryTheirRequestUID(t *testing.T) {
	ts, err := buildTemplates(Mix, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(Mix) * variants * 2; len(ts) != want {
		t.Fatalf("%d templates, want %d", len(ts), want)
	}
	for _, tm := range ts {
		body := tm.request(0xabc)
		var review admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &review); err != nil {
			t.Fatalf("%s: %v", Mix[tm.category].Name, err)
		}
		if got, want := string(review.Request.UID), requestUID(0xabc); got != want {
			t.Errorf("%s: uid %q, want %q", Mix[tm.category].Name, got, want)
		}
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(review.Request.Object.Raw, &obj); err != nil {
			t.Fatal(err)
		}
		if obj.Kind != review.Request.Kind.Kind || obj.Metadata.Namespace != review.Request.Namespace {
			t.Errorf("%s: object %s in %q, request for %s in %q", Mix[tm.category].Name,
				obj.Kind, obj.Metadata.Namespace, review.Request.Kind.Kind, review.Request.Namespace)
		}
		if strings.Contains(string(tm.body), requestUID(0xabc)) {
			t.Fatal("request() changed the template itself")
		}
	}
	if len(requestUID(1<<60)) != len(uidPlaceholder) {
		t.Error("request UIDs must have the placeholder's length")
	}
}

func TestPickerFollowsTheWeights(t *testing.T) {
	ts, err := buildTemplates(Mix, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	p := newPicker(Mix, ts, 7)
	counts := make([]int, len(Mix))
	const n = 100000
	for i := 0; i < n; i++ {
		counts[ts[p.next()].category]++
	}
	total := 0
	for _, c := range Mix {
		total += c.Weight
	}
	for i, c := range Mix {
		want := float64(c.Weight) / float64(total)
		got := float64(counts[i]) / n
		if got < want*0.95 || got > want*1.05 {
			t.Errorf("%s: share %.3f, want %.3f", c.Name, got, want)
		}
	}
}

func TestPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 1000; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0.5, 500 * time.Millisecond},
		{0.99, 990 * time.Millisecond},
		{0.999, 999 * time.Millisecond},
		{1, 1000 * time.Millisecond},
		{0, 1 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := pct(d, tt.q); got != tt.want {
			t.Errorf("pct(%g) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if pct(nil, 0.5) != 0 {
		t.Error("pct of nothing must be 0")
	}
}

func TestProcParsing(t *testing.T) {
	status := "Name:\tjobguard\nVmPeak:\t  900000 kB\nVmRSS:\t   35124 kB\nThreads:\t9\n"
	if kb, err := vmRSS([]byte(status)); err != nil || kb != 35124 {
		t.Errorf("vmRSS = %d, %v; want 35124", kb, err)
	}
	if _, err := vmRSS([]byte("Name:\tx\n")); err == nil {
		t.Error("vmRSS without a VmRSS line must fail")
	}
	// The command name may contain spaces and parentheses.
	stat := "1234 (we (ird) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 12345 1000000 8000 18446744073709551615\n"
	if s, err := cpuSeconds([]byte(stat)); err != nil || s != 3 {
		t.Errorf("cpuSeconds = %g, %v; want 3", s, err)
	}
	if _, err := cpuSeconds([]byte("1234 (x) S 1")); err == nil {
		t.Error("a short stat line must fail")
	}
	// This process's own files parse.
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc")
	}
	if kb, err := vmRSS(b); err != nil || kb <= 0 {
		t.Errorf("own VmRSS = %d, %v", kb, err)
	}
}

func TestMemorySummary(t *testing.T) {
	var samples []Sample
	for i := -5; i <= 100; i++ {
		samples = append(samples, Sample{T: float64(i), RSSMB: 40 + float64(max(i, 0))/10, CPUSec: float64(i+5) / 2})
	}
	m := memory(samples, 1000)
	if m.StartMB != 40 || m.EndMB != 50 || m.MaxMB != 50 || m.MinMB != 40 {
		t.Errorf("start/end/min/max = %v/%v/%v/%v", m.StartMB, m.EndMB, m.MinMB, m.MaxMB)
	}
	if m.DriftMB < 8.9 || m.DriftMB > 9.1 {
		t.Errorf("drift %.2f, want 9 (mean of the last tenth minus the first)", m.DriftMB)
	}
	if m.CPUCores != 0.5 || m.CPUPerRequestUS != 500 {
		t.Errorf("CPU %.2f cores, %.0f µs/request; want 0.5 and 500", m.CPUCores, m.CPUPerRequestUS)
	}
	if memory(samples[:3], 1) != nil {
		t.Error("no samples in the measured part must give no summary")
	}
}

// TestRunAgainstAStubServer checks the whole loop: rate, answers judged by UID, errors counted, and
// latencies from the scheduled time.
func TestRunAgainstAStubServer(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var review admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
			http.Error(w, "bad review", http.StatusBadRequest)
			return
		}
		i := n.Add(1)
		if i%50 == 0 {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		uid := review.Request.UID
		if i%50 == 25 {
			uid = "someone-else"
		}
		review.Response = &admissionv1.AdmissionResponse{UID: uid, Allowed: !strings.Contains(string(review.Request.Object.Raw), "latest")}
		review.Request = nil
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(review)
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, pemOf(t, srv), 0o600); err != nil {
		t.Fatal(err)
	}
	o := options{url: srv.URL + "/validate", caFile: ca, rate: 500, duration: time.Second, warmup: 200 * time.Millisecond,
		workers: 8, timeout: 5 * time.Second, namespaces: "a,b", pid: os.Getpid()}
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	r, err := run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests < 490 || r.Requests > 510 {
		t.Errorf("%d measured requests, want about 500", r.Requests)
	}
	if got := n.Load(); got < 590 || got > 610 {
		t.Errorf("server saw %d requests, want about 600 (with warm-up)", got)
	}
	want := r.Requests / 25 // one in 50 is a 503, one in 50 has another UID
	if r.Errors < want-3 || r.Errors > want+3 {
		t.Errorf("%d errors (%v), want about %d", r.Errors, r.ErrorClasses, want)
	}
	if r.ErrorClasses["HTTP 503"] == 0 || r.ErrorClasses["response UID does not match the request's"] == 0 {
		t.Errorf("error classes %v", r.ErrorClasses)
	}
	denied := 0
	for _, c := range r.Categories {
		denied += c.Denied
		if strings.HasSuffix(c.Name, "-clean") && c.Denied > 0 {
			t.Errorf("%s: %d denied by a stub that denies only :latest images", c.Name, c.Denied)
		}
	}
	if denied == 0 {
		t.Error("no risky request was denied")
	}
	if r.P50 <= 0 || r.Max < r.P99 || r.P99 < r.P50 {
		t.Errorf("latencies p50 %v p99 %v max %v", r.P50, r.P99, r.Max)
	}
	if r.Memory == nil || r.Memory.MaxMB <= 0 {
		t.Errorf("no memory samples of this process: %+v", r.Memory)
	}
	var sb strings.Builder
	r.print(&sb)
	for _, s := range []string{"p99", "cronjob-risky", "server RSS MB"} {
		if !strings.Contains(sb.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, sb.String())
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	ok := options{caFile: "ca", rate: 10, duration: time.Second, workers: 1}
	for name, mut := range map[string]func(*options){
		"no ca":         func(o *options) { o.caFile = "" },
		"zero rate":     func(o *options) { o.rate = 0 },
		"no duration":   func(o *options) { o.duration = 0 },
		"no workers":    func(o *options) { o.workers = 0 },
		"too long":      func(o *options) { o.duration = 3 * time.Hour },
		"negative warm": func(o *options) { o.warmup = -time.Second },
	} {
		o := ok
		mut(&o)
		if err := o.validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := ok.validate(); err != nil {
		t.Errorf("valid options: %v", err)
	}
}

func pemOf(t *testing.T, srv *httptest.Server) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

func TestMachineBusy(t *testing.T) {
	stat := "cpu  100 20 30 5000 40 5 6 7 0 0\ncpu0 50 10 15 2500 20 2 3 3 0 0\n"
	if got, err := machineBusy([]byte(stat)); err != nil || got != 1.68 {
		t.Errorf("machineBusy = %g, %v; want 1.68 (168 ticks)", got, err)
	}
	if _, err := machineBusy([]byte("intr 1 2 3\n")); err == nil {
		t.Error("a file without the cpu line must fail")
	}
}

func TestWindows(t *testing.T) {
	// Two 10 s windows: the first quiet, the second with 1 core of other work.
	var outs [][]outcome
	var w []outcome
	for i := 0; i < 100; i++ {
		w = append(w, outcome{due: time.Duration(i) * 100 * time.Millisecond, latency: time.Duration(1+i%2) * time.Millisecond})
		w = append(w, outcome{due: 10*time.Second + time.Duration(i)*100*time.Millisecond, latency: 50 * time.Millisecond})
	}
	outs = append(outs, w)
	samples := []Sample{
		{T: 0, CPUSec: 0, LoadgenSec: 0, MachineBusySec: 0},
		{T: 10, CPUSec: 5, LoadgenSec: 2, MachineBusySec: 8},
		{T: 20, CPUSec: 10, LoadgenSec: 4, MachineBusySec: 26},
	}
	ws, quietP99, quiet := windows(outs, 10*time.Second, samples)
	if len(ws) != 2 {
		t.Fatalf("%d windows, want 2", len(ws))
	}
	if ws[0].Requests != 100 || ws[0].P99 != 2 || ws[1].P99 != 50 {
		t.Errorf("windows %+v", ws)
	}
	if ws[0].ServerCores != 0.5 || ws[0].LoadgenCores != 0.2 || ws[0].OtherCores > 0.11 || ws[1].OtherCores < 1.09 {
		t.Errorf("CPU of the windows: %+v", ws)
	}
	if quiet != 1 || quietP99 != 2 {
		t.Errorf("quiet windows %d, p99 %.2f; want 1 and 2 ms", quiet, quietP99)
	}
}

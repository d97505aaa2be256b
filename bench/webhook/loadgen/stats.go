package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Result is the report of one run.
type Result struct {
	Label        string         `json:"label"`
	URL          string         `json:"url"`
	TargetRate   float64        `json:"targetRate"`
	DurationS    float64        `json:"durationSeconds"`
	Requests     int            `json:"requests"`
	Throughput   float64        `json:"throughput"` // answered requests per second of the measured part
	Errors       int            `json:"errors"`
	ErrorClasses map[string]int `json:"errorClasses,omitempty"`
	// Latency percentiles in milliseconds, from the scheduled send time.
	P50, P90, P99, P999, Max, Mean float64
	// MaxSchedulerLagMS is how far the scheduler fell behind its timetable (all workers busy).
	MaxSchedulerLagMS float64    `json:"maxSchedulerLagMs"`
	Categories        []CatStats `json:"categories"`
	Memory            *Memory    `json:"memory,omitempty"`
	// Windows is the latency timeline, with the CPU that the server, the load generator and every
	// other process used in each window (from /proc; needs -pid).
	Windows []Window `json:"windows"`
	// QuietP99 is the p99 latency of the windows in which other processes used less than
	// quietCores of CPU, and QuietWindows how many windows that is: the server's own tail latency
	// when the machine is not busy with other work.
	QuietP99     float64 `json:"quietP99"`
	QuietWindows int     `json:"quietWindows"`
	// LoadgenCPUCores is the load generator's own CPU use: it competes with the server for the cores.
	LoadgenCPUCores float64 `json:"loadgenCpuCores"`
}

// Window is one stretch of the measured part.
type Window struct {
	StartS   float64 `json:"startSeconds"`
	Requests int     `json:"requests"`
	P50      float64 `json:"p50"`
	P99      float64 `json:"p99"`
	Max      float64 `json:"max"`
	// CPU in cores over the window; -1 when not sampled.
	ServerCores, LoadgenCores, OtherCores float64
}

// quietCores is the most CPU other processes may use for a window to count as quiet.
const quietCores = 0.25

// CatStats are the decisions for one category of the mix.
type CatStats struct {
	Name     string  `json:"name"`
	Requests int     `json:"requests"`
	Allowed  int     `json:"allowed"`
	Denied   int     `json:"denied"`
	Warned   int     `json:"warned"` // answers with at least one warning
	P99      float64 `json:"p99"`
}

// Memory summarises the server's samples over the measured part.
type Memory struct {
	StartMB, EndMB, MinMB, MaxMB float64
	// FirstMB and LastMB are the mean RSS over the first and last tenth (at least 5 s) of the
	// measured part; DriftMB = LastMB - FirstMB.
	FirstMB, LastMB, DriftMB float64
	// CPUCores is the server's CPU time over the measured part divided by its wall time.
	CPUCores float64
	// CPUPerRequestUS is the server's CPU time per answered request, in microseconds.
	CPUPerRequestUS float64
	Samples         []Sample `json:"samples"`
}

// Sample is one reading of the server's memory and CPU.
type Sample struct {
	T      float64 `json:"t"` // seconds since the measured part began (negative: warm-up)
	RSSMB  float64 `json:"rssMB"`
	CPUSec float64 `json:"cpuSeconds"`
	// MachineBusySec is the CPU time of every process on the machine, all cores added;
	// LoadgenSec is the load generator's own.
	MachineBusySec float64 `json:"machineBusySeconds"`
	LoadgenSec     float64 `json:"loadgenSeconds"`
}

func summarize(o options, mix []Category, outs [][]outcome, measureStart, end time.Time, maxLag time.Duration, samples []Sample) *Result {
	r := &Result{Label: o.label, URL: o.url, TargetRate: o.rate, MaxSchedulerLagMS: ms(maxLag)}
	elapsed := end.Sub(measureStart)
	r.DurationS = elapsed.Seconds()
	var all []time.Duration
	perCat := make([][]time.Duration, len(mix))
	r.Categories = make([]CatStats, len(mix))
	for i, c := range mix {
		r.Categories[i].Name = c.Name
	}
	var sum time.Duration
	for _, w := range outs {
		for _, x := range w {
			r.Requests++
			cs := &r.Categories[x.category]
			cs.Requests++
			all = append(all, x.latency)
			perCat[x.category] = append(perCat[x.category], x.latency)
			sum += x.latency
			if x.err != "" {
				r.Errors++
				if r.ErrorClasses == nil {
					r.ErrorClasses = map[string]int{}
				}
				r.ErrorClasses[x.err]++
				continue
			}
			if x.allowed {
				cs.Allowed++
			} else {
				cs.Denied++
			}
			if x.warnings > 0 {
				cs.Warned++
			}
		}
	}
	if r.Requests > 0 {
		r.Throughput = float64(r.Requests-r.Errors) / r.DurationS
		slices.Sort(all)
		r.P50, r.P90, r.P99, r.P999 = ms(pct(all, 0.50)), ms(pct(all, 0.90)), ms(pct(all, 0.99)), ms(pct(all, 0.999))
		r.Max = ms(all[len(all)-1])
		r.Mean = ms(sum / time.Duration(r.Requests))
	}
	for i := range perCat {
		slices.Sort(perCat[i])
		r.Categories[i].P99 = ms(pct(perCat[i], 0.99))
	}
	r.Memory = memory(samples, r.Throughput)
	r.Windows, r.QuietP99, r.QuietWindows = windows(outs, o.window, samples)
	return r
}

// windows cuts the measured part into windows of length w by scheduled time.
func windows(outs [][]outcome, w time.Duration, samples []Sample) (ws []Window, quietP99 float64, quiet int) {
	var byWin [][]time.Duration
	for _, wk := range outs {
		for _, x := range wk {
			k := int(x.due / w)
			if x.due < 0 {
				continue
			}
			for len(byWin) <= k {
				byWin = append(byWin, nil)
			}
			byWin[k] = append(byWin[k], x.latency)
		}
	}
	var calm []time.Duration
	for k, lat := range byWin {
		slices.Sort(lat)
		win := Window{StartS: (time.Duration(k) * w).Seconds(), Requests: len(lat), ServerCores: -1, LoadgenCores: -1, OtherCores: -1}
		if len(lat) > 0 {
			win.P50, win.P99, win.Max = ms(pct(lat, 0.5)), ms(pct(lat, 0.99)), ms(lat[len(lat)-1])
		}
		if a, b, ok := span(samples, win.StartS, win.StartS+w.Seconds()); ok {
			dt := b.T - a.T
			win.ServerCores = (b.CPUSec - a.CPUSec) / dt
			win.LoadgenCores = (b.LoadgenSec - a.LoadgenSec) / dt
			win.OtherCores = max(0, (b.MachineBusySec-a.MachineBusySec)/dt-win.ServerCores-win.LoadgenCores)
			if win.OtherCores < quietCores {
				quiet++
				calm = append(calm, lat...)
			}
		}
		ws = append(ws, win)
	}
	slices.Sort(calm)
	return ws, ms(pct(calm, 0.99)), quiet
}

// span returns the first sample at or after from and the last at or before to, when they are at
// least half a second apart.
func span(samples []Sample, from, to float64) (a, b Sample, ok bool) {
	i := slices.IndexFunc(samples, func(s Sample) bool { return s.T >= from-0.5 })
	j := -1
	for k := len(samples) - 1; k >= 0; k-- {
		if samples[k].T <= to+0.5 {
			j = k
			break
		}
	}
	if i < 0 || j < 0 || samples[j].T-samples[i].T < 0.5 {
		return Sample{}, Sample{}, false
	}
	return samples[i], samples[j], true
}

// pct returns the q-quantile of sorted latencies (nearest rank).
func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func memory(samples []Sample, throughput float64) *Memory {
	var m []Sample
	for _, s := range samples {
		if s.T >= 0 {
			m = append(m, s)
		}
	}
	if len(m) == 0 {
		return nil
	}
	mem := &Memory{StartMB: m[0].RSSMB, EndMB: m[len(m)-1].RSSMB, MinMB: m[0].RSSMB, MaxMB: m[0].RSSMB, Samples: samples}
	for _, s := range m {
		mem.MinMB = min(mem.MinMB, s.RSSMB)
		mem.MaxMB = max(mem.MaxMB, s.RSSMB)
	}
	n := max(len(m)/10, min(5, len(m)))
	mean := func(ss []Sample) float64 {
		var t float64
		for _, s := range ss {
			t += s.RSSMB
		}
		return t / float64(len(ss))
	}
	mem.FirstMB, mem.LastMB = mean(m[:n]), mean(m[len(m)-n:])
	mem.DriftMB = mem.LastMB - mem.FirstMB
	if wall := m[len(m)-1].T - m[0].T; wall > 0 {
		cpu := m[len(m)-1].CPUSec - m[0].CPUSec
		mem.CPUCores = cpu / wall
		if throughput > 0 {
			mem.CPUPerRequestUS = mem.CPUCores / throughput * 1e6
		}
	}
	return mem
}

func (r *Result) print(w io.Writer) {
	fmt.Fprintf(w, "%s: %d requests in %.1f s at %.0f/s target: %.0f/s answered, %d errors\n",
		r.Label, r.Requests, r.DurationS, r.TargetRate, r.Throughput, r.Errors)
	for _, k := range sortedKeys(r.ErrorClasses) {
		fmt.Fprintf(w, "  error %q: %d\n", k, r.ErrorClasses[k])
	}
	fmt.Fprintf(w, "latency ms (from scheduled send): p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  mean %.2f\n",
		r.P50, r.P90, r.P99, r.P999, r.Max, r.Mean)
	if r.MaxSchedulerLagMS > 5 {
		fmt.Fprintf(w, "scheduler fell behind by up to %.1f ms (all workers busy; counted in the latencies)\n", r.MaxSchedulerLagMS)
	}
	fmt.Fprintf(w, "%-18s %9s %9s %9s %9s %9s\n", "category", "requests", "allowed", "denied", "warned", "p99 ms")
	for _, c := range r.Categories {
		fmt.Fprintf(w, "%-18s %9d %9d %9d %9d %9.2f\n", c.Name, c.Requests, c.Allowed, c.Denied, c.Warned, c.P99)
	}
	if m := r.Memory; m != nil {
		fmt.Fprintf(w, "server RSS MB: start %.1f, end %.1f, min %.1f, max %.1f; mean of first tenth %.1f, last tenth %.1f (drift %+.1f)\n",
			m.StartMB, m.EndMB, m.MinMB, m.MaxMB, m.FirstMB, m.LastMB, m.DriftMB)
		fmt.Fprintf(w, "server CPU: %.2f cores, %.0f µs per request\n", m.CPUCores, m.CPUPerRequestUS)
		fmt.Fprint(w, "server RSS over time:")
		step := max(len(m.Samples)/12, 1)
		for i := 0; i < len(m.Samples); i += step {
			fmt.Fprintf(w, " %.0fs=%.0fMB", m.Samples[i].T, m.Samples[i].RSSMB)
		}
		fmt.Fprintln(w)
	}
	if len(r.Windows) > 1 {
		fmt.Fprintf(w, "timeline (window start s: p50/p99/max ms; CPU cores of server, load generator, other processes):\n")
		for _, x := range r.Windows {
			fmt.Fprintf(w, "  %5.0fs %6d req  %7.2f %8.2f %8.2f ms", x.StartS, x.Requests, x.P50, x.P99, x.Max)
			if x.OtherCores >= 0 {
				fmt.Fprintf(w, "   cpu %.2f %.2f %.2f", x.ServerCores, x.LoadgenCores, x.OtherCores)
			}
			fmt.Fprintln(w)
		}
	}
	if r.QuietWindows > 0 {
		fmt.Fprintf(w, "p99 over the %d of %d windows in which other processes used < %.2f cores: %.2f ms\n",
			r.QuietWindows, len(r.Windows), quietCores, r.QuietP99)
	} else if len(r.Windows) > 0 && r.Windows[0].OtherCores >= 0 {
		fmt.Fprintf(w, "no window was quiet (other processes used >= %.2f cores in each)\n", quietCores)
	}
	if r.LoadgenCPUCores > 0 {
		fmt.Fprintf(w, "load generator CPU: %.2f cores\n", r.LoadgenCPUCores)
	}
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// sampler reads /proc/PID/status (VmRSS) and /proc/PID/stat (CPU time) every second.
type sampler struct {
	pid     int
	mu      sync.Mutex
	zero    time.Time
	samples []Sample
	done    chan struct{}
	stopped chan struct{}
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times: 100 on every Linux platform Go runs on.
const clockTicks = 100

func startSampler(pid int) (*sampler, error) {
	s := &sampler{pid: pid, zero: time.Now(), done: make(chan struct{}), stopped: make(chan struct{})}
	if _, err := s.read(); err != nil {
		return nil, fmt.Errorf("sampling process %d: %w", pid, err)
	}
	go s.loop()
	return s, nil
}

// markAt sets the time that sample times count from.
func (s *sampler) markAt(t time.Time) {
	s.mu.Lock()
	s.zero = t
	s.mu.Unlock()
}

func (s *sampler) loop() {
	defer close(s.stopped)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			if smp, err := s.read(); err == nil {
				s.mu.Lock()
				s.samples = append(s.samples, smp)
				s.mu.Unlock()
			}
		}
	}
}

func (s *sampler) stop() []Sample {
	if smp, err := s.read(); err == nil {
		s.mu.Lock()
		s.samples = append(s.samples, smp)
		s.mu.Unlock()
	}
	close(s.done)
	<-s.stopped
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.samples
}

func (s *sampler) read() (Sample, error) {
	now := time.Now()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		return Sample{}, err
	}
	rss, err := vmRSS(status)
	if err != nil {
		return Sample{}, err
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.pid))
	if err != nil {
		return Sample{}, err
	}
	cpu, err := cpuSeconds(stat)
	if err != nil {
		return Sample{}, err
	}
	busy := 0.0
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		busy, _ = machineBusy(b)
	}
	s.mu.Lock()
	t := now.Sub(s.zero).Seconds()
	s.mu.Unlock()
	return Sample{T: t, RSSMB: float64(rss) / 1024, CPUSec: cpu, MachineBusySec: busy, LoadgenSec: ownCPU().Seconds()}, nil
}

// machineBusy returns the non-idle CPU time of all cores from /proc/stat's first line:
// user, nice, system, irq, softirq and steal (guest time is part of user).
func machineBusy(stat []byte) (float64, error) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("unexpected /proc/stat line %q", line)
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected /proc/stat line %q", line)
		}
		busy += v
	}
	return float64(busy) / clockTicks, nil
}

// vmRSS returns the VmRSS line of /proc/PID/status, in KiB.
func vmRSS(status []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("unexpected VmRSS line %q", line)
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS line (a zombie or kernel thread?)")
}

// cpuSeconds returns utime+stime of /proc/PID/stat. The command name (field 2) may hold spaces and
// parentheses, so fields are counted after its last ')'.
func cpuSeconds(stat []byte) (float64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc stat %q", stat)
	}
	f := strings.Fields(string(stat[i+1:]))
	// After ')': state(3) ppid(4) ... utime is field 14, stime 15 (1-based over the whole line).
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc stat %q", stat)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc stat %q", stat)
	}
	return float64(ut+st) / clockTicks, nil
}

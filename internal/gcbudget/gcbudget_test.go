package gcbudget

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

// restoreGC puts the collector settings back after a test changed them.
func restoreGC(t *testing.T) {
	percent := debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	limit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
}

func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestStart(t *testing.T) {
	tests := []struct {
		name          string
		gogc, memlim  string
		add           []int
		wantLimit     int64
		wantGCPercent int
	}{
		{name: "small input keeps the floor", add: []int{1 << 20}, wantLimit: Floor, wantGCPercent: -1},
		{name: "no input", wantLimit: Floor, wantGCPercent: -1},
		{name: "large input raises the limit", add: []int{10 << 20, 30 << 20}, wantLimit: 40 << 20 * PerInputByte, wantGCPercent: -1},
		{name: "GOGC wins", gogc: "50", add: []int{40 << 20}, wantLimit: 0, wantGCPercent: 100},
		{name: "GOMEMLIMIT wins", memlim: "1GiB", add: []int{40 << 20}, wantLimit: 0, wantGCPercent: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			restoreGC(t)
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
			t.Setenv("GOGC", tt.gogc)
			t.Setenv("GOMEMLIMIT", tt.memlim)
			b := Start()
			for _, n := range tt.add {
				b.Add(n)
			}
			if got := b.Limit(); got != tt.wantLimit {
				t.Errorf("Limit() = %d, want %d", got, tt.wantLimit)
			}
			wantRuntime := tt.wantLimit
			if wantRuntime == 0 {
				wantRuntime = math.MaxInt64
			}
			if got := debug.SetMemoryLimit(-1); got != wantRuntime {
				t.Errorf("runtime memory limit = %d, want %d", got, wantRuntime)
			}
			if got := gcPercent(); got != tt.wantGCPercent {
				t.Errorf("GC percent = %d, want %d", got, tt.wantGCPercent)
			}
		})
	}
}

func TestLoaded(t *testing.T) {
	tests := []struct {
		name          string
		limit         int64
		live          int
		wantLimit     int64
		wantGCPercent int
	}{
		{name: "live heap well under the limit", limit: 1 << 40, live: 1 << 20, wantLimit: 1 << 40, wantGCPercent: -1},
		{name: "dense input falls back to the proportional rule", limit: 4 << 20, live: 8 << 20, wantLimit: 0, wantGCPercent: FallbackPercent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			restoreGC(t)
			debug.SetGCPercent(-1)
			debug.SetMemoryLimit(tt.limit)
			b := &Budget{limit: tt.limit, active: true}
			keep := make([]byte, tt.live)
			runtime.GC()
			b.Loaded()
			runtime.KeepAlive(keep)
			if got := b.Limit(); got != tt.wantLimit {
				t.Errorf("Limit() = %d, want %d", got, tt.wantLimit)
			}
			if got := gcPercent(); got != tt.wantGCPercent {
				t.Errorf("GC percent = %d, want %d", got, tt.wantGCPercent)
			}
			b.Add(1 << 30) // after a fallback, input no longer moves the limit
			if tt.wantLimit == 0 && debug.SetMemoryLimit(-1) != math.MaxInt64 {
				t.Errorf("Add after the fallback set a limit")
			}
		})
	}
}

func TestNilBudget(t *testing.T) {
	var b *Budget
	b.Add(1)
	b.Loaded()
	if b.Limit() != 0 {
		t.Error("nil budget has a limit")
	}
}

func TestStop(t *testing.T) {
	restoreGC(t)
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	debug.SetGCPercent(123)
	debug.SetMemoryLimit(1 << 40)
	b := Start()
	b.Add(100 << 20)
	b.Stop()
	if got := gcPercent(); got != 123 {
		t.Errorf("GC percent after Stop = %d, want 123", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("memory limit after Stop = %d, want %d", got, int64(1<<40))
	}
	if b.Limit() != 0 {
		t.Errorf("Limit() after Stop = %d, want 0", b.Limit())
	}
	b.Add(1 << 30) // a stopped budget changes nothing
	b.Stop()
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("memory limit after a second Stop = %d", got)
	}

	t.Setenv("GOGC", "100") // a budget that did nothing restores nothing
	debug.SetGCPercent(77)
	b = Start()
	debug.SetGCPercent(55)
	b.Stop()
	if got := gcPercent(); got != 55 {
		t.Errorf("Stop of an inactive budget changed the GC percent to %d", got)
	}
}

// Package gcbudget sizes the garbage collector of a run that holds its whole input in memory, such
// as a scan of manifest files, from the size of that input.
//
// Go's default collector starts a cycle whenever the heap has doubled since the last one. A scan's
// heap only grows while it reads (every object it decodes stays until it is judged), so that rule
// runs a cycle at 4, 8, 16, 32 ... MB, each marking everything read so far: a fifth of a scan's
// CPU time. A Budget instead lets the heap grow to a memory limit proportional to the input
// (debug.SetMemoryLimit, with the proportional rule off), so a scan collects a few times instead
// of a dozen, and its peak memory stays proportional to its input as before.
//
// GOGC or GOMEMLIMIT in the environment win: Start then changes nothing.
package gcbudget

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

const (
	// Floor is the smallest memory limit: a small input needs no collection at all.
	Floor = 128 << 20
	// PerInputByte is the limit per byte of input. A decoded manifest takes about 7 bytes of heap
	// per byte of YAML, and its findings a few more; the rest is room for garbage.
	PerInputByte = 16
	// FallbackPercent is the proportional target (GOGC) used when the input turns out denser than
	// the budget assumes.
	FallbackPercent = 75
)

// Budget is the collector's budget for one run: Start it, Add the input's size as it is read,
// call Loaded once it is decoded, and Stop it when the run ends. The zero value and nil do
// nothing.
type Budget struct {
	mu     sync.Mutex
	input  int64
	limit  int64
	active bool
	// started is true when Start changed the settings; prevPercent and prevLimit are what they
	// were, which Stop restores.
	started     bool
	prevPercent int
	prevLimit   int64
}

// Start turns the proportional collector off and sets the memory limit to Floor, unless GOGC or
// GOMEMLIMIT is set in the environment, in which case the returned Budget does nothing.
func Start() *Budget {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return &Budget{}
	}
	b := &Budget{limit: Floor, active: true, started: true}
	b.prevLimit = debug.SetMemoryLimit(Floor)
	b.prevPercent = debug.SetGCPercent(-1)
	return b
}

// Stop puts back the collector settings Start found, for a process that goes on after the run.
func (b *Budget) Stop() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.started {
		return
	}
	b.active, b.started = false, false
	debug.SetGCPercent(b.prevPercent)
	debug.SetMemoryLimit(b.prevLimit)
}

// Add counts n more bytes of input, read but not yet decoded, and raises the limit to
// PerInputByte times the input when that is above it. It is safe for concurrent use.
func (b *Budget) Add(n int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.active {
		return
	}
	b.input += int64(n)
	if l := b.input * PerInputByte; l > b.limit {
		b.limit = l
		debug.SetMemoryLimit(l)
	}
}

// Loaded is called once the whole input is decoded. When the heap that survived the last
// collection already takes more than half the limit, the input is denser than the budget assumes,
// and a collector held to the limit would run ever more often: the proportional rule
// (FallbackPercent) takes over, without a limit.
func (b *Budget) Loaded() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.active {
		return
	}
	if live := liveHeap(); live > b.limit/2 {
		b.stop()
	}
}

// Limit returns the memory limit the budget has set, 0 when it sets none.
func (b *Budget) Limit() int64 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.active {
		return 0
	}
	return b.limit
}

func (b *Budget) stop() {
	b.active = false
	debug.SetGCPercent(FallbackPercent)
	debug.SetMemoryLimit(math.MaxInt64)
}

// liveHeap returns the bytes of heap objects marked live by the last collection.
func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(min(s[0].Value.Uint64(), math.MaxInt64))
}

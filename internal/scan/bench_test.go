package scan

import (
	"io"
	"os"
	"testing"

	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/manifest"
	"github.com/jobguard/jobguard/internal/report"
	"github.com/jobguard/jobguard/internal/rules"
)

// benchInput is the manifest file the pipeline benchmarks read: JOBGUARD_BENCH_INPUT, or the
// examples. Generate a large one with: go run ./bench/gen -n 10000 -out bench/out/input
func benchInput(b *testing.B) string {
	if p := os.Getenv("JOBGUARD_BENCH_INPUT"); p != "" {
		return p
	}
	return "../../examples"
}

func BenchmarkLoad(b *testing.B) {
	in := benchInput(b)
	for b.Loop() {
		if _, errs := manifest.Load([]string{in}, nil, manifest.Options{}); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	objs, _ := manifest.Load([]string{benchInput(b)}, nil, manifest.Options{})
	set := input.NewSet(objs)
	eng, err := rules.New(rules.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		Evaluate(eng, set, nil)
	}
	b.ReportMetric(float64(len(objs))*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}

func BenchmarkWriteJSON(b *testing.B) {
	objs, _ := manifest.Load([]string{benchInput(b)}, nil, manifest.Options{})
	eng, _ := rules.New(rules.Options{})
	fs, n := Evaluate(eng, input.NewSet(objs), nil)
	b.ResetTimer()
	for b.Loop() {
		if err := report.WriteJSON(io.Discard, fs, report.Meta{Resources: n}); err != nil {
			b.Fatal(err)
		}
	}
}

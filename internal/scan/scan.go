// Package scan runs one scan: it loads objects from a source (manifest files or a live cluster),
// evaluates them with the rule engine, writes the report and chooses the exit code.
package scan

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/progress"
	"github.com/jobguard/jobguard/internal/report"
	"github.com/jobguard/jobguard/internal/rules"
	"github.com/jobguard/jobguard/internal/version"
	"github.com/jobguard/jobguard/internal/workload"
)

// Loaded is what a source produced.
type Loaded struct {
	Objects []*input.Object
	// Inputs names what was read: paths, "-" for stdin, or the cluster context.
	Inputs []string
	// Errors are inputs that could not be read; the rest was still loaded.
	Errors []error
	// Warnings are things not seen (e.g. a kind the cluster user may not list); they make the
	// result incomplete.
	Warnings []string
}

// Source loads the objects of one scan. It returns an error only when nothing could be loaded at
// all (e.g. an unreachable cluster); per-input problems go into Loaded.Errors.
type Source func(ctx context.Context) (*Loaded, error)

// Formats are the values of -o.
var Formats = []string{"table", "json", "sarif"}

// Options of one scan.
type Options struct {
	Source Source
	Engine rules.Options
	// Format is table, json or sarif.
	Format string
	// FailOn is the lowest severity that fails the scan (SeverityNone: never fail on findings).
	FailOn         finding.Severity
	ShowSuppressed bool
	Color          bool
	Stdout, Stderr io.Writer
}

// Run performs the scan and returns the process exit code. Problems are written to Stderr.
func Run(ctx context.Context, o Options) int {
	eng, err := rules.New(o.Engine)
	if err != nil {
		fmt.Fprintln(o.Stderr, "jobguard:", err)
		return ExitError
	}
	loaded, err := o.Source(ctx)
	if err != nil {
		fmt.Fprintln(o.Stderr, "jobguard:", err)
		return ExitError
	}
	for _, e := range loaded.Errors {
		fmt.Fprintln(o.Stderr, "error:", e)
	}
	for _, w := range loaded.Warnings {
		fmt.Fprintln(o.Stderr, "warning:", w)
	}
	if len(loaded.Objects) == 0 && len(loaded.Errors) == 0 {
		fmt.Fprintf(o.Stderr, "jobguard: no Kubernetes objects found in %v\n", loaded.Inputs)
		return ExitError
	}

	set := input.NewSet(loaded.Objects)
	findings, resources := evaluate(eng, set, progress.New(o.Stderr, "scanning", len(set.Objects)), true)

	meta := report.Meta{
		ToolVersion: version.Get(),
		Inputs:      loaded.Inputs,
		Resources:   resources,
		Incomplete:  len(loaded.Warnings) > 0 || len(loaded.Errors) > 0,
	}
	for _, e := range loaded.Errors {
		meta.Errors = append(meta.Errors, e.Error())
	}
	meta.Errors = append(meta.Errors, loaded.Warnings...)

	switch o.Format {
	case "json":
		err = report.WriteJSON(o.Stdout, findings, meta)
	case "sarif":
		err = report.WriteSARIF(o.Stdout, findings, meta, eng.Rules())
	default:
		err = report.WriteTable(o.Stdout, findings, meta, report.TableOptions{Color: o.Color, ShowSuppressed: o.ShowSuppressed})
	}
	if err != nil {
		fmt.Fprintln(o.Stderr, "jobguard: writing report:", err)
		return ExitError
	}
	return ExitCode(findings, o.FailOn, len(loaded.Errors) > 0, len(loaded.Warnings) > 0)
}

// ExitCode chooses the exit code: input errors, then findings at or above failOn, then an
// incomplete result.
func ExitCode(fs finding.Batches, failOn finding.Severity, inputErrors, incomplete bool) int {
	switch {
	case inputErrors:
		return ExitError
	case failOn != finding.SeverityNone && fs.Max() >= failOn:
		return ExitFindings
	case incomplete:
		return ExitIncomplete
	}
	return ExitOK
}

// Evaluate judges every object of set, in parallel up to GOMAXPROCS, and returns the findings in
// input order with the number of workloads judged.
func Evaluate(eng *rules.Engine, set *input.Set, bar *progress.Bar) (finding.Batches, int) {
	return evaluate(eng, set, bar, false)
}

// evaluate is Evaluate; with release, each workload's decoded object and line table are dropped
// once it is judged (findings keep what they need), so a large scan never holds every object and
// every finding at once. Objects other rules read as context (ConfigMaps, RBAC, namespaces,
// service accounts) are not workloads and stay.
func evaluate(eng *rules.Engine, set *input.Set, bar *progress.Bar, release bool) (finding.Batches, int) {
	objs := set.Objects
	const chunk = 64
	// per[c] holds the findings of chunk c (objects c*chunk ...), copied from a worker's buffer:
	// they are the result, never copied again.
	per := make(finding.Batches, (len(objs)+chunk-1)/chunk)
	isWorkload := make([]bool, len(objs))
	workers := runtime.GOMAXPROCS(0)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
	)
	take := func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		lo := next
		if lo >= len(objs) {
			return 0, 0
		}
		hi := min(lo+chunk, len(objs))
		next = hi
		return lo, hi
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []finding.Finding
			for lo, hi := take(); lo < hi; lo, hi = take() {
				buf = buf[:0]
				for i := lo; i < hi; i++ {
					buf = eng.EvaluateAppend(buf, set, objs[i])
					isWorkload[i] = workload.From(objs[i].Obj) != nil
					if release && isWorkload[i] {
						objs[i].Obj, objs[i].Lines = nil, nil
					}
				}
				if len(buf) > 0 {
					per[lo/chunk] = slices.Clone(buf)
				}
				clear(buf) // drop what the findings point to
				bar.Add(hi - lo)
			}
		}()
	}
	wg.Wait()
	bar.Done()
	resources := 0
	for _, w := range isWorkload {
		if w {
			resources++
		}
	}
	return per, resources
}

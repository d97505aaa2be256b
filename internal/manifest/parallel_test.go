package manifest

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/jobguard/jobguard/internal/input"
)

// loaded is all a Load gives: objects, errors and skip notes, in order.
type loaded struct {
	objs  []*input.Object
	errs  []error
	notes []string
}

// goroutine returns the id of the calling goroutine, from its stack trace.
func goroutine() string {
	b := make([]byte, 64)
	b = b[:runtime.Stack(b, false)] // "goroutine 7 [running]:..."
	return string(bytes.Fields(b)[1])
}

// loadWith loads paths with GOMAXPROCS procs and batches of batch bytes. It checks that the skip
// notes come on the goroutine that called Load.
func loadWith(t *testing.T, procs, batch int, paths []string, stdin string, opts Options) loaded {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	defer func(b int) { batchBytes = b }(batchBytes)
	batchBytes = batch
	var l loaded
	if opts.Skipped == nil {
		g := goroutine()
		opts.Skipped = func(file string, line int, why string) {
			if id := goroutine(); id != g {
				t.Errorf("skip note %s:%d on goroutine %s, not Load's %s", file, line, id, g)
			}
			l.notes = append(l.notes, fmt.Sprintf("%s:%d: %s", file, line, why))
		}
	}
	l.objs, l.errs = Load(paths, strings.NewReader(stdin), opts)
	return l
}

// sameLoad reports how got differs from want, or "".
func sameLoad(got, want loaded) string {
	if !slices.Equal(got.notes, want.notes) {
		return fmt.Sprintf("skip notes:\n%s\nwant:\n%s", strings.Join(got.notes, "\n"), strings.Join(want.notes, "\n"))
	}
	if !reflect.DeepEqual(got.errs, want.errs) {
		var g, w []string
		for _, err := range got.errs {
			g = append(g, err.Error())
		}
		for _, err := range want.errs {
			w = append(w, err.Error())
		}
		return fmt.Sprintf("errors:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
	if len(got.objs) != len(want.objs) {
		return fmt.Sprintf("%d objects, want %d", len(got.objs), len(want.objs))
	}
	for i, o := range got.objs {
		w := want.objs[i]
		switch {
		case o.Source != w.Source:
			return fmt.Sprintf("object %d is %+v, want %+v", i, o.Source, w.Source)
		case !maps.Equal(o.Lines.Map(), w.Lines.Map()):
			return fmt.Sprintf("object %d (%s) has lines %v, want %v", i, describe(o), o.Lines.Map(), w.Lines.Map())
		case !reflect.DeepEqual(o.Obj, w.Obj):
			return fmt.Sprintf("object %d (%s) decodes to %+v, want %+v", i, describe(o), o.Obj, w.Obj)
		}
	}
	if (got.objs == nil) != (want.objs == nil) || (got.errs == nil) != (want.errs == nil) {
		return "nil and empty differ"
	}
	return ""
}

// specials are documents the fast path leaves to yaml.v3, or that give errors or skip notes. Those
// with an anchor make a file non-streamable.
var specials = []struct {
	doc    string
	anchor bool
}{
	{doc: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tagged-%d}\ndata: {k: !!str 1}\n"},
	{doc: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken-%d\n    namespace: oops\n"},
	{doc: "replicaCount: %d\nimage: {repository: nginx}\n"},
	{doc: "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a-%d.yaml]\n"},
	{doc: "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: item-%d}}\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s}\n"},
	{doc: "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"json-%d\"}}\n"},
	{doc: "# only a comment %d\n"},
	{doc: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad-%d}\nspec: {replicas: many}\n"},
	{doc: "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: seq-%d}\n"},
	{doc: "just a string %d\n"},
	{doc: "kind: CronJob\nmetadata: {name: no-api-%d}\n"},
	{doc: "apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: anchored-%d}\ndata: {copy: *m}\n", anchor: true},
	{doc: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: merged-%d}\nx: &base {a: 1}\ndata:\n  <<: *base\n  b: \"2\"\n", anchor: true},
}

// mixed returns a stream of n documents: workloads, with specials every few (anchored ones when
// anchors is set), several in a row at times.
func mixed(n int, anchors bool, seed int) []byte {
	var b bytes.Buffer
	for i := range n {
		if i > 0 {
			b.WriteString("---\n")
		}
		k := i*7 + seed
		if k%5 == 0 || k%11 < 2 {
			s := specials[k%len(specials)]
			if s.anchor && !anchors {
				s = specials[0]
			}
			fmt.Fprintf(&b, s.doc, i)
			continue
		}
		fmt.Fprintf(&b, workloadTemplates[k%len(workloadTemplates)], i)
	}
	return b.Bytes()
}

// writeTree writes a tree of manifests under dir: nested directories, a hidden one, files of all
// sizes, empty, binary, UTF-16 and over the size limit, and returns the large files' paths.
func writeTree(t *testing.T, dir string) (bench, stream string) {
	t.Helper()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for i := range 40 {
		sub := []string{"a", "b/c", "b/d/e", "z"}[i%4]
		write(fmt.Sprintf("tree/%s/part-%02d.yaml", sub, i), mixed(1+i%9, i%3 == 0, i))
	}
	write("tree/.git/skipped.yaml", mixed(3, false, 0))
	write("tree/b/notes.txt", []byte("not a manifest"))
	write("tree/b/empty.yaml", nil)
	write("tree/b/comments.yml", []byte("# nothing\n---\n# here\n"))
	write("tree/c/binary.json", []byte("{\"a\": \"\x00\"}"))
	write("tree/c/huge.yaml", bytes.Repeat([]byte("# padding\n"), 200<<10))
	u := utf16.Encode([]rune("apiVersion: v1\nkind: Namespace\nmetadata: {name: utf16}\n"))
	le := []byte{0xFF, 0xFE}
	for _, r := range u {
		le = append(le, byte(r), byte(r>>8))
	}
	write("tree/c/utf16.yaml", le)
	data, _ := genManifests(600<<10, 0)
	bench = write("bench.yaml", data)
	stream = write("stream.yaml", mixed(3000, false, 3))
	return bench, stream
}

// TestParallelLoad checks that a parallel Load, across files and within them, gives exactly what a
// sequential one gives: the same objects, errors and skip notes, in the same order.
func TestParallelLoad(t *testing.T) {
	dir := t.TempDir()
	bench, stream := writeTree(t, dir)
	fixtures, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{MaxFileSize: 1 << 20}
	stdin := string(mixed(50, true, 1))
	tests := []struct {
		name  string
		paths []string
	}{
		{"fixtures one by one", fixtures},
		{"testdata directory", []string{"testdata"}},
		{"generated tree", []string{filepath.Join(dir, "tree")}},
		{"bench-style input", []string{bench}},
		{"mixed documents", []string{stream}},
		{"all, with stdin twice and a missing path", append([]string{"-", filepath.Join(dir, "tree"), "testdata",
			filepath.Join(dir, "missing.yaml"), stream, "-", bench}, fixtures...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := loadWith(t, 1, batchBytes, tt.paths, stdin, opts)
			if len(want.objs) == 0 {
				t.Fatal("no objects")
			}
			for _, procs := range []int{2, 4} {
				for _, batch := range []int{batchBytes, 4 << 10, 1} {
					got := loadWith(t, procs, batch, tt.paths, stdin, opts)
					if diff := sameLoad(got, want); diff != "" {
						t.Fatalf("GOMAXPROCS=%d, batches of %d bytes: %s", procs, batch, diff)
					}
				}
			}
		})
	}

	t.Run("no Skipped callback", func(t *testing.T) {
		paths := []string{filepath.Join(dir, "tree"), stream}
		want := loadWith(t, 1, batchBytes, paths, "", Options{})
		want.notes = nil
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
		var got loaded
		got.objs, got.errs = Load(paths, nil, Options{})
		if diff := sameLoad(got, want); diff != "" {
			t.Fatal(diff)
		}
	})
}

// TestParallelLoadCounts checks that a parallel Load counts the documents the fast path read.
func TestParallelLoadCounts(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	defer func(b int) { batchBytes = b }(batchBytes)
	batchBytes = 1 << 10
	dir := t.TempDir()
	data, n := genManifests(100<<10, 0)
	path := filepath.Join(dir, "in.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	p := loadAll([]string{path, path}, nil, Options{})
	if len(p.objs) != 2*n || p.docs != 2*n || p.fastDocs != 2*n {
		t.Errorf("%d objects, %d documents, %d by the fast path; want %d of each", len(p.objs), p.docs, p.fastDocs, 2*n)
	}
}

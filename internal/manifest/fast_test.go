package manifest

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/jobguard/jobguard/internal/input"
)

// trickyScalars are plain and quoted scalars whose resolution or scanning is easy to get wrong.
var trickyScalars = []string{
	"0644", "1e3", ".5", "-0", "0x1F", "0o17", "+1", "yes", "No", "~", "null", "NULL", "Null", "true",
	"True", "FALSE", `"123"`, `'it''s'`, `"\u00e9\n"`, `"\x41\t\U0001F600\\ \" \/"`, "a:b", "a #b", "a#b",
	"http://x", "x   ", "1_000", "-1_0", "-_1", "1.0", "-.inf", ".NaN", "+.INF", ".inf", "2001-12-14",
	"2001-12-14 21:59:43.10", "0b101", "-0b11", "-0o7", "0xFFFFFFFFFFFFFFFFF", "18446744073709551616",
	"123456789012345678901234567890", "--to", "-c", "-", "+", ".", "12:30", "1,000", "0.", "00", "-00",
	"1e", "1E+3", "'a # b'", `"a: b"`, "'['", "on", "off", "y", "n", "<<", "*/15 * * * *", "100m",
	"128Mi", "1Gi", "é", "a b  c", "'  spaced  '", `""`, "''", "'\"'", `"'"`, "a\tb", "!x", "&a", "*a",
	"@x", "`x", "%x", "?x", ":x", "a?b", "a,b", "[a]", "{a: 1}", "[]", "{}", "[a, b,]", "{a: 1,}",
	strings.Repeat("9", 400),
}

// fastSeeds returns the seed documents of the fast path tests.
func fastSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	fixtures, _ := filepath.Glob("testdata/*.*")
	for _, p := range fixtures {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	gen, _ := genManifests(0, len(workloadTemplates))
	seeds = append(seeds, gen)
	const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: n\n"
	for _, s := range trickyScalars {
		seeds = append(seeds, fmt.Appendf(nil, cm+"data:\n  k: %s\n  %s: v\n  f: [%s, x]\n  m: {k: %s}\n  s:\n  - %s\n", s, s, s, s, s))
	}
	for _, doc := range []string{
		// Block scalars: chomping, indentation indicators, folding, blank lines, comments.
		"data:\n  a: |\n    one\n\n    two\n\n\n  b: |-\n    x\n  c: |+\n    y\n\n  d: >\n    folded\n    text\n\n    para\n      more\n    end\n",
		"data:\n  a: |2\n     indented\n    less\n  b: >-2\n     x\n  c: |1-\n   z\n  d: |+1\n   w\n",
		"data:\n  a: |\n  b: |-\n\n  c: >+\n\n\n  d: |\n    # not a comment\n  # a comment\n  e: x\n",
		"data:\n  run.sh: |\n    #!/bin/sh\n    \techo tab\n    if true; then\n      echo hi\n    fi\n",
		"data:\n  a: |   # comment\n    x\n  b: >\n\n    leading\n",
		"data:\n  a: |\n    x",
		"data:\n  a: |\n      \n    x\n",
		// Sequences: compact forms, comments between items, nested.
		"spec:\n  c:\n  - a\n  # between\n  - b\n\n  - - x\n    - y\n  -   - z\n  d:\n    - name: a\n      image: b\n    -\n      name: c\n",
		"spec:\n  containers:\n  - name: a\n    args:\n    - x\n    - y\n    env:\n    - {name: K, value: V}\n  - name: b\n",
		"spec:\n  - a\n",
		"items:\n-\n- b\n",
		// Flow collections over several lines, JSON.
		"spec: {a: [1,\n    2], b: {c: d,\n  e: f}}\n",
		"spec: [a,\n  b c,\n  # comment\n  d]\n",
		"spec: [a\n  b]\n",
		`{"apiVersion": "v1", "kind": "ConfigMap",
 "metadata": {"name": "j", "labels": {"a.b/c": "d"}},
 "data": {"n": 1, "f": 1.5, "b": true, "z": null, "s": "x\"y"}}
`,
		"data: {a:1, b: c:d, \"q\":v}\n",
		// Keys: quoted, odd, duplicate, special.
		"data:\n  'a b': 1\n  \"c\\td\": 2\n  a.b/c: 3\n  1: one\n  true: t\n  ~: n\n  0x10: h\n  1.5: f\n  a: 1\n  a: 2\n  key : spaced\n",
		"metadata:\n  name: a\nmetadata:\n  namespace: b\n",
		"metadata: {name: x}\nkind: Secret\n",
		"apiVersion: v1\nkind: List\nitems: []\n",
		// Lists: block and flow items, items that are not objects, Lists in Lists, items twice.
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n-\n  apiVersion: v1\n  kind: Secret\n  metadata:\n    name: b\nmetadata: {}\n",
		"apiVersion: v1\nkind: ConfigMapList\nitems: [{apiVersion: v1, kind: ConfigMap, metadata: {name: a}},\n  {apiVersion: v1, kind: ConfigMap}]\n",
		"apiVersion: v1\nkind: List\nitems:\n  - kind: ConfigMap\n    apiVersion: v1\n  - 1\n",
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n  - {apiVersion: v1, kind: ConfigMap}\n",
		"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap}\nitems:\n- {apiVersion: v1, kind: Secret}\n",
		"apiVersion: v1\nkind: List\nitems: {a: b}\n", "apiVersion: v1\nkind: List\nitems:\n",
		"apiVersion: v1\nkind: AllowList\nmetadata: {name: al}\n",
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  spec: {hostPID: maybe}\n",
		// Comments and markers.
		"# head\n--- # doc\napiVersion: v1 # c\nkind: ConfigMap #c\nmetadata:   # c\n  name: c\n...\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n...\n# after\n",
		// CRLF.
		"apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: crlf\r\ndata:\r\n  a: |\r\n    x\r\n    y\r\n  b: 'q'\r\n",
		// Outside the subset.
		"data: &a {x: 1}\nother: *a\n", "data: !!str 1\n", "? a\n: b\n", "data:\n  a: b\n   c\n",
		"data:\n\ta: 1\n", "%YAML 1.2\n---\ndata: x\n", "data: \"multi\n  line\"\n", "data:\n  <<: {a: 1}\n",
		"  data:\n    a: 1\n", "data:\n  a: 1\n b: 2\n", "data: [a, b\n",
	} {
		if strings.HasPrefix(doc, "{") || strings.Contains(doc, "apiVersion") {
			seeds = append(seeds, []byte(doc))
		} else {
			seeds = append(seeds, []byte(cm+doc))
		}
	}
	return seeds
}

// FuzzFastPath checks that the fast path, whenever it reads a document, produces the same JSON
// (byte for byte, so the same key order), the same recorded lines (in the same order) and the
// same object as the yaml.v3 path, and that a Parse with it gives the same objects, errors and
// skip notes as one without it.
func FuzzFastPath(f *testing.F) {
	for _, s := range fastSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFastPath(t, data)
	})
}

// TestFastPath runs the fast path checks on the seeds, and checks that the fast path reads the
// documents it is meant for.
func TestFastPath(t *testing.T) {
	for _, s := range fastSeeds(t) {
		checkFastPath(t, s)
	}
	for _, name := range []string{"testdata/benchgen.yaml", "testdata/helm.yaml", "testdata/cronjob.yaml", "testdata/pod.json",
		"testdata/list.yaml", "testdata/list.json", "testdata/kubectl-get.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if handled, total := checkFastPath(t, data); handled != total-skippedDocs(data) {
			t.Errorf("%s: the fast path read %d of %d documents", name, handled, total)
		}
	}
	gen, n := genManifests(0, 3*len(workloadTemplates))
	if handled, _ := checkFastPath(t, gen); handled != n {
		t.Errorf("generated manifests: the fast path read %d of %d documents", handled, n)
	}
}

// skippedDocs counts the documents of data that are not objects (which the fast path leaves).
func skippedDocs(data []byte) int {
	n := 0
	_, _ = Parse("x", data, Options{Skipped: func(string, int, string) { n++ }})
	return n
}

func TestFastPathCoverage(t *testing.T) {
	const cm = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: n\n"
	read := []string{
		"data:\n  a: |\n    x\n  b: >-\n    y\n",
		"data: {a: b, c: [1, 2]}\n",
		"data:\n  k: 'it''s'\n  j: \"\\u00e9\"\n",
		"data:\n  l:\n  - a\n  - b: c\n    d: e\n",
		"data:\n  x: 0644\n  y: 1e3\n  z: yes\n",
		"data:\n  a: b\n   c\n\n   d\n  e: 'f\n  g' # c\n  h: \"i \\\n    j\"\n",
	}
	left := []string{
		"data: &a {x: 1}\n", "data: *a\n", "data: !!str 1\n", "data:\n  <<: {a: 1}\n", "? a\n: b\n",
		"data:\n\ta: 1\n", "data: [a\n  b]\n", "data:\n  a: b\n   c: d\n", "'a\n  b': c\n",
		"data: {a}\n",
		"kind: Secret\n", // the object's kind twice: an error of the yaml.v3 path
	}
	p := newParser(&Options{})
	try := func(doc string) bool {
		_, ok := p.fastDocument(chunk{doc: []byte(doc), start: 1}, nil)
		return ok
	}
	if list := "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n- {apiVersion: v1, kind: Secret}\nkind: List\n"; !try(list) {
		t.Errorf("the fast path did not read %q", list)
	}
	for _, doc := range read {
		if !try(cm + doc) {
			t.Errorf("the fast path did not read %q", doc)
		}
	}
	for _, doc := range left {
		if try(cm + doc) {
			t.Errorf("the fast path read %q", doc)
		}
	}
	for _, doc := range []string{"apiVersion: v1\nkind: List\nitems: [1]\n", "metadata: {name: x}\n", "- a\n", "x\n",
		"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"} {
		if try(doc) {
			t.Errorf("the fast path read %q, which is not a plain object", doc)
		}
	}
}

// checkFastPath compares the fast path and the yaml.v3 path on every document of data, and on
// the whole of data through Parse. It returns how many documents the fast path read.
func checkFastPath(t *testing.T, data []byte) (handled, total int) {
	t.Helper()
	fastStrict = true
	defer func() { fastStrict = false }()
	text, ok := text(data)
	if !ok || len(text) > 1<<20 {
		return 0, 0
	}
	p := newParser(&Options{})
	p.file = "fuzz.yaml"
	splitDocuments(text, func(c chunk) {
		total++
		if compareDocument(t, p, c) {
			handled++
		}
	})
	compareParse(t, data)
	return handled, total
}

// compareDocument runs the fast path on c and, when it reads it, compares it to the yaml.v3 path.
func compareDocument(t *testing.T, p *parser, c chunk) bool {
	t.Helper()
	f := &p.fast
	f.w = &p.w
	read, bailed := func() (read, bailed bool) {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(fastBail); !ok {
					panic(r)
				}
				bailed = true
			}
		}()
		return fastText(c.doc) && f.document(c), false
	}()
	if !read || bailed {
		return false
	}
	fastJSON := bytes.Clone(p.w.buf)
	fastLines := linesOf(&p.w)
	facts := []fact{f.apiVersion, f.kind, f.name, f.generateName, f.namespace}
	objLine := f.objLine

	var n yaml.Node
	if err := yaml.Unmarshal(c.doc, &n); err != nil {
		t.Fatalf("the fast path read a document yaml.v3 refuses (%v):\n%s", err, c.doc)
	}
	if n.Kind != yaml.DocumentNode || len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode || len(n.Content[0].Content) == 0 {
		t.Fatalf("the fast path read a document that is not a mapping:\n%s", c.doc)
	}
	root := n.Content[0]
	var w walker
	w.lineOff, w.budget, w.arenaMax = c.start-1, aliasBudget(len(c.doc)), arenaLimit(len(c.doc))
	wantLine := w.line(root.Content[0].Line)
	if err := w.convert(root, wantLine, true, false, false); err != nil {
		t.Fatalf("yaml.v3 path: %v\n%s", err, c.doc)
	}
	if !bytes.Equal(fastJSON, w.buf) {
		t.Fatalf("JSON differs for\n%s\nfast: %s\nyaml: %s", c.doc, fastJSON, w.buf)
	}
	if wantLines := linesOf(&w); !slices.Equal(fastLines, wantLines) {
		t.Fatalf("Lines differ for\n%s\nfast: %v\nyaml: %v", c.doc, fastLines, wantLines)
	}
	if objLine != wantLine {
		t.Fatalf("object line %d, want %d for\n%s", objLine, wantLine, c.doc)
	}
	meta := w.lookup(root, "metadata")
	var nilNode *yaml.Node
	for i, ref := range []struct {
		m   *yaml.Node
		key string
	}{{root, "apiVersion"}, {root, "kind"}, {meta, "name"}, {meta, "generateName"}, {meta, "namespace"}} {
		var want fact
		v := nilNode
		if ref.m != nil && ref.m.Kind == yaml.MappingNode {
			v = w.lookup(ref.m, ref.key)
		}
		switch {
		case v == nil:
		case v.Kind != yaml.ScalarNode:
			want.state = factOther
		case v.ShortTag() == "!!null":
			want.state = factNull
		default:
			want = fact{factScalar, v.Value}
		}
		if got := facts[i]; got != want {
			t.Fatalf("%s: fast path %+v, yaml.v3 %+v in\n%s", ref.key, facts[i], want, c.doc)
		}
	}
	return true
}

// linesOf returns the recorded lines of w in order, as "path=line".
func linesOf(w *walker) []string {
	var s []string
	for _, e := range w.ents {
		s = append(s, fmt.Sprintf("%s=%d", w.arena[e.start:e.end], e.line))
	}
	return s
}

// compareParse checks that Parse gives the same result with the fast path as without.
func compareParse(t *testing.T, data []byte) {
	t.Helper()
	type run struct {
		objs    []*input.Object
		errs    []string
		skipped []string
	}
	read := func(noFast bool) run {
		var r run
		opts := Options{MaxFileSize: 1 << 20, Skipped: func(file string, line int, why string) {
			r.skipped = append(r.skipped, fmt.Sprintf("%s:%d: %s", file, line, why))
		}}
		p := newParser(&opts)
		p.noFast = noFast
		if int64(len(data)) <= opts.maxSize() {
			p.parse("fuzz.yaml", data)
		}
		for _, err := range p.errs {
			r.errs = append(r.errs, err.Error())
		}
		r.objs = p.objs
		return r
	}
	fast, slow := read(false), read(true)
	if !slices.Equal(fast.errs, slow.errs) || !slices.Equal(fast.skipped, slow.skipped) || len(fast.objs) != len(slow.objs) {
		t.Fatalf("Parse with and without the fast path differ:\n%d objects, errors %q, skipped %q\n%d objects, errors %q, skipped %q",
			len(fast.objs), fast.errs, fast.skipped, len(slow.objs), slow.errs, slow.skipped)
	}
	for i, f := range fast.objs {
		s := slow.objs[i]
		if f.Source != s.Source || !maps.Equal(f.Lines.Map(), s.Lines.Map()) || !reflect.DeepEqual(f.Obj, s.Obj) {
			t.Fatalf("object %d differs with the fast path:\n%+v %v\n%+v %v", i, f.Source, f.Lines.Map(), s.Source, s.Lines.Map())
		}
	}
}

// fastTextRef is the byte-at-a-time definition fastText must agree with.
func fastTextRef(doc []byte) bool {
	for i, c := range doc {
		switch {
		case c >= 0x20 && c < 0x7F, c == '\n', c == '\t':
		case c == '\r':
			if i+1 >= len(doc) || doc[i+1] != '\n' {
				return false
			}
		case c == 0xC2:
			if i+1 < len(doc) && doc[i+1] < 0xA0 {
				return false
			}
		case c == 0xE2:
			if i+2 < len(doc) && doc[i+1] == 0x80 && (doc[i+2] == 0xA8 || doc[i+2] == 0xA9) {
				return false
			}
		case c == 0xEF:
			if i+2 < len(doc) && (doc[i+1] == 0xBB && doc[i+2] == 0xBF || doc[i+1] == 0xBF && doc[i+2] >= 0xBE) {
				return false
			}
		case c < 0x80:
			return false
		}
	}
	return true
}

// TestFastText checks the word-at-a-time fastText against the plain definition.
func TestFastText(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("abc \t\n\r\x00\x1f\x7f\x80\xc2\x85\xa0\xe2\x80\xa8\xef\xbb\xbf\xbe~ ")
	for n := 0; n < 200000; n++ {
		b := make([]byte, r.IntN(40))
		for i := range b {
			if r.IntN(4) == 0 {
				b[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				b[i] = byte('a' + r.IntN(26))
			}
		}
		if fastText(b) != fastTextRef(b) {
			t.Fatalf("%q: %v", b, fastText(b))
		}
	}
}

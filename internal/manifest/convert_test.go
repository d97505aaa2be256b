package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
)

// toJSON converts a YAML document to canonical JSON through the walker.
func toJSON(t *testing.T, doc string) string {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatalf("%q: %v", doc, err)
	}
	w := walker{budget: aliasBudget(len(doc)), arenaMax: arenaLimit(len(doc))}
	if err := w.convert(n.Content[0], 0, true, false, false); err != nil {
		return "error: " + err.Error()
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(w.buf))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("%q: invalid JSON %s: %v", doc, w.buf, err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func TestScalarsAsKubectl(t *testing.T) {
	tests := []struct{ yaml, json string }{
		// YAML 1.2 booleans only: yes/no/on/off stay strings.
		{"a: yes\nb: no\nc: on\nd: off\ne: y", `{"a":"yes","b":"no","c":"on","d":"off","e":"y"}`},
		{"a: true\nb: True\nc: FALSE", `{"a":true,"b":true,"c":false}`},
		{"a: ~\nb: null\nc:\nd: Null", `{"a":null,"b":null,"c":null,"d":null}`},
		// Quoted scalars stay strings.
		{`a: "true"` + "\nb: '1'\nc: \"null\"", `{"a":"true","b":"1","c":"null"}`},
		// Integers: octal file modes as kubectl reads them (0644 = 420).
		{"a: 0644\nb: 0o17\nc: 0x1F\nd: 1_000\ne: +7\nf: -3\ng: 0", `{"a":420,"b":15,"c":31,"d":1000,"e":7,"f":-3,"g":0}`},
		{"a: 18446744073709551615", `{"a":18446744073709551615}`},
		// Floats as JSON numbers; what JSON cannot hold stays text.
		{"a: 1.5\nb: .5\nc: 1e3\nd: 1.0\ne: -0.25", `{"a":1.5,"b":0.5,"c":1000,"d":1,"e":-0.25}`},
		{"a: .inf\nb: -.Inf\nc: .nan", `{"a":".inf","b":"-.Inf","c":".nan"}`},
		// Timestamps and binary stay text, as they do through sigs.k8s.io/yaml.
		{"a: 2001-12-14\nb: 2001-12-14T21:59:43.10-05:00\nc: !!binary aGVsbG8=", `{"a":"2001-12-14","b":"2001-12-14T21:59:43.10-05:00","c":"aGVsbG8="}`},
		// Non-string keys become strings.
		{"1: a\ntrue: b\n~: c\n1.5: d\n0x10: e", `{"1":"a","1.5":"d","16":"e","null":"c","true":"b"}`},
		// Escapes and multi-line strings.
		{"a: \"tab\\there \\\"q\\\" back\\\\slash \\u00e9 \\x01\"\nb: |\n  line1\n  line2\nc: >-\n  folded\n  text", `{"a":"tab\there \"q\" back\\slash é \u0001","b":"line1\nline2\n","c":"folded text"}`},
		// Merge keys: own keys win, then the first merged mapping.
		{"base: &b {x: 1, y: 2}\nother: &o {y: 20, z: 30}\nm:\n  <<: [*b, *o]\n  x: 10", `{"base":{"x":1,"y":2},"m":{"x":10,"y":2,"z":30},"other":{"y":20,"z":30}}`},
		{"base: &b {x: 1}\nm: {<<: *b}", `{"base":{"x":1},"m":{"x":1}}`},
		// Aliases expand; the last of duplicate keys wins.
		{"a: &a [1, {b: c}]\nb: *a\nc: 1\nc: 2", `{"a":[1,{"b":"c"}],"b":[1,{"b":"c"}],"c":2}`},
		// Unknown tags keep the text.
		{"a: !custom 12\nb: !!str 12\nc: !!int \"12\"", `{"a":"12","b":"12","c":12}`},
		// Errors.
		{"? [a, b]\n: c", "error: line 1: mapping key is not a string"},
		{"a: {<<: 1}", "error: line 1: merge key (<<) value must be a mapping or a list of mappings"},
	}
	for _, tt := range tests {
		if got := toJSON(t, tt.yaml); got != tt.json {
			t.Errorf("%q:\n got %s\nwant %s", tt.yaml, got, tt.json)
		}
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"b\\", "\x00\x1f\x7f\n\r\t", "ünï\u2028cödé", "</script>&"} {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil || back != s {
			t.Errorf("appendString(%q) = %s -> %q, %v", s, got, back, err)
		}
	}
}

func TestAppendFloat(t *testing.T) {
	for _, f := range []float64{0, 1, -1.5, 1e20, 1e21, 1.5e-7, 1e-6, 123456.789, -2e-300} {
		want, _ := json.Marshal(f)
		if got := appendFloat(nil, f); string(got) != string(want) {
			t.Errorf("appendFloat(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestParseEdgeCases(t *testing.T) {
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n"
	tests := []struct {
		name, in string
		objs     []string // "name:line"
		errs     []string // prefixes
		skipped  []string
	}{
		{name: "CRLF line endings", in: "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: crlf\r\n---\r\n" + strings.ReplaceAll(fmt.Sprintf(cm, "b"), "\n", "\r\n"),
			objs: []string{"crlf:1", "b:6"}},
		{name: "UTF-8 byte order mark", in: "\xEF\xBB\xBF" + fmt.Sprintf(cm, "bom"), objs: []string{"bom:1"}},
		{name: "document after ... without ---", in: fmt.Sprintf(cm, "a") + "...\n# next\n" + fmt.Sprintf(cm, "b") + "...\n",
			objs: []string{"a:1", "b:7"}},
		{name: "--- followed by content", in: "--- !!map\n" + fmt.Sprintf(cm, "a") + "--- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n--- |\n  text\n",
			objs: []string{"a:2", "b:6"}, skipped: []string{"in:7: skipped: a string, not a Kubernetes object"}},
		{name: "lines that only look like markers", in: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata:\n  a: |\n    ----\n    ---x\n  b: x\n",
			objs: []string{"m:1"}},
		{name: "%YAML directive", in: "%YAML 1.1\n---\n" + fmt.Sprintf(cm, "d"), objs: []string{"d:3"}},
		{name: "tab indentation", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n---\n" + fmt.Sprintf(cm, "ok"),
			objs: []string{"ok:6"}, errs: []string{"in:4: found character that cannot start any token"}},
		{name: "unknown anchor at the first line of a document", in: fmt.Sprintf(cm, "a") + "---\nkind: *nope\n",
			objs: []string{"a:1"}, errs: []string{"in:6: unknown anchor 'nope' referenced"}},
		{name: "kind through a merge key", in: "x: &k {apiVersion: v1, kind: ConfigMap}\n<<: *k\nmetadata: {name: merged}\n",
			objs: []string{"merged:1"}},
		{name: "files joined without ---", in: fmt.Sprintf(cm, "a") + fmt.Sprintf(cm, "b") + "---\n" + fmt.Sprintf(cm, "c"),
			objs: []string{"c:10"}, errs: []string{`in:5: duplicate key "apiVersion" (first at line 1): two objects run together? Separate documents with ---`}},
		{name: "kind twice", in: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nkind: Secret\n",
			errs: []string{`in:4: duplicate key "kind" (first at line 2): two objects run together? Separate documents with ---`}},
		{name: "kind twice in a List item", in: "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, kind: Secret, metadata: {name: x}}\n",
			errs: []string{`in:4: duplicate key "kind" (first at line 4): two objects run together? Separate documents with ---`}},
		{name: "kind that is not a string", in: "apiVersion: v1\nkind: {a: b}\n", errs: []string{"in:1: kind is not a string (line 2)"}},
		{name: "List item that is not an object", in: "apiVersion: v1\nkind: List\nitems:\n- 1\n- " + strings.ReplaceAll(fmt.Sprintf(cm, "ok"), "\n", "\n  "),
			objs: []string{"ok:5"}, errs: []string{"in:4: List item 0 is not an object"}},
		{name: "List item without kind", in: "apiVersion: v1\nkind: List\nitems:\n- metadata: {name: x}\n", errs: []string{"in:4: List item has no apiVersion/kind"}},
		{name: "List items written as aliases", in: "apiVersion: v1\nkind: List\nx: &o {apiVersion: v1, kind: ConfigMap, metadata: {name: o}}\nitems: [*o, *o]\n",
			objs: []string{"o:4", "o:4"}},
		{name: "List in a List", in: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: inner}}\n",
			objs: []string{"inner:7"}},
		{name: "empty List", in: "apiVersion: v1\nkind: List\nitems: []\n---\napiVersion: v1\nkind: List\nitems:\n"},
		{name: "kind ending in List without items", in: "apiVersion: example.com/v1\nkind: AllowList\nmetadata: {name: al}\n", objs: []string{"al:1"}},
		{name: "Helm Chart.yaml", in: "apiVersion: v2\nname: backup\nversion: 0.1.0\n", skipped: []string{"in:1: skipped: Helm chart metadata, not a Kubernetes object"}},
		{name: "sequence that is not of objects", in: "- hosts: all\n  tasks: []\n", skipped: []string{"in:1: skipped: a YAML sequence, not a Kubernetes object"}},
		{name: "generateName", in: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: run-\n", objs: []string{"run-:1"}},
		{name: "empty and null documents", in: "---\n~\n---\n# only a comment\n---\n\n...\n"},
		{name: "type error inside a List item", in: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  spec:\n    hostPID: maybe\n",
			errs: []string{"in:7: v1 Pod: field spec.hostPID: cannot use string as bool"}},
		{name: "invalid quantity", in: "apiVersion: v1\nkind: Pod\nspec:\n  overhead: {cpu: lots}\n", errs: []string{"in:1: v1 Pod: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var skipped []string
			objs, errs := Parse("in", []byte(tt.in), Options{Skipped: func(f string, l int, why string) {
				skipped = append(skipped, fmt.Sprintf("%s:%d: %s", f, l, why))
			}})
			var got []string
			for _, o := range objs {
				got = append(got, fmt.Sprintf("%s:%d", o.Source.Name, o.Source.Line))
			}
			if !slices.Equal(got, tt.objs) {
				t.Errorf("objects %v, want %v", got, tt.objs)
			}
			if len(errs) != len(tt.errs) {
				t.Fatalf("errors %v, want %v", errs, tt.errs)
			}
			for i, err := range errs {
				if !strings.HasPrefix(err.Error(), tt.errs[i]) {
					t.Errorf("error %q, want prefix %q", err, tt.errs[i])
				}
			}
			if !slices.Equal(skipped, tt.skipped) {
				t.Errorf("skipped %q, want %q", skipped, tt.skipped)
			}
		})
	}
}

func TestUTF16(t *testing.T) {
	text := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wide\ndata:\n  k: é\n"
	for _, le := range []bool{true, false} {
		b := []byte{0xFE, 0xFF}
		if le {
			b = []byte{0xFF, 0xFE}
		}
		for _, u := range utf16.Encode([]rune(text)) {
			if le {
				b = append(b, byte(u), byte(u>>8))
			} else {
				b = append(b, byte(u>>8), byte(u))
			}
		}
		objs, errs := Parse("wide.yaml", b, Options{})
		if len(errs) > 0 || len(objs) != 1 || objs[0].Obj.(*corev1.ConfigMap).Data["k"] != "é" {
			t.Errorf("little endian %v: %d objects, errors %v", le, len(objs), errs)
		}
	}
}

func TestBinaryContent(t *testing.T) {
	for _, in := range []string{"a: b\x00", "apiVersion: v1\xff\xfe\n", "\xFF\xFE\x00"} {
		if _, errs := Parse("f.bin", []byte(in), Options{}); len(errs) != 1 || errs[0].Error() != "f.bin: not a YAML or JSON file (binary content)" {
			t.Errorf("%q: %v", in, errs)
		}
	}
}

func TestLinesSkipStatusAndManagedFields(t *testing.T) {
	in := `apiVersion: v1
kind: Pod
metadata:
  name: p
  managedFields:
  - manager: kubectl
    fieldsV1: {f:spec: {}}
spec:
  containers: [{name: c, image: i}]
status:
  phase: Running
  conditions: [{type: Ready}]
`
	objs, errs := Parse("p.yaml", []byte(in), Options{})
	if len(errs) > 0 || len(objs) != 1 {
		t.Fatalf("%d objects, errors %v", len(objs), errs)
	}
	var paths []string
	for p := range objs[0].Lines.All() {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	want := []string{"kind", "metadata", "metadata.managedFields", "metadata.name", "spec", "spec.containers", "status"}
	if !slices.Equal(paths, want) {
		t.Errorf("paths %q\nwant %q", paths, want)
	}
	for path, line := range map[string]int{"spec.containers[0].image": 9, "metadata.managedFields[0].manager": 5, "status.conditions[0]": 10} {
		if got := objs[0].LineOf(path); got != line {
			t.Errorf("LineOf(%s) = %d, want %d", path, got, line)
		}
	}
	if objs[0].Obj.(*corev1.Pod).Status.Phase != corev1.PodRunning {
		t.Error("status not decoded")
	}
}

func TestPathQuoting(t *testing.T) {
	in := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: q\ndata:\n  run.sh: a\n  with space: b\n  'quo\"te': c\n  '': d\n  plain_key-1: e\n"
	objs, _ := Parse("q.yaml", []byte(in), Options{})
	for path, line := range map[string]int{`data["run.sh"]`: 6, `data["with space"]`: 7, `data["quo\"te"]`: 8, `data[""]`: 9, "data.plain_key-1": 10} {
		if got := objs[0].Lines.Map()[path]; got != line {
			t.Errorf("Lines[%s] = %d, want %d (have %v)", path, got, line, objs[0].Lines.Map())
		}
	}
}

func TestMalformedLines(t *testing.T) {
	// Each document follows a valid one and a comment, so its first line is line 4.
	tests := []struct{ doc, want string }{
		{"apiVersion: v1\nkind: Pod\nspec:\n  a: 1\n b: 2\n", "f:8: did not find expected key"},
		{"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n   image: b\n", "f:9: did not find expected key"},
		{"apiVersion: v1\nkind: Pod\nspec: [1, 2\n", "f:6: did not find expected ',' or ']'"},
		{"apiVersion: v1\nkind: Pod\nspec: {a: 1\nfoo: bar\n", "f:6: did not find expected ',' or '}'"},
		{"apiVersion: v1\nkind: Pod\nspec:\n  - a\n  b: 1\n", "f:8: did not find expected '-' indicator"},
		{"apiVersion: v1\nkind: Pod\nmetadata: {name: x}}\n", "f:6: did not find expected key"},
		{"apiVersion: v1\nkind: Pod\nspec:\n  a: 1\n  b: 2\nc: 3\n d: 4\n", "f:10: mapping values are not allowed in this context"},
		{"apiVersion: v1\nkind: Pod\nspec: \"unterminated\n", "f:6: found unexpected end of stream"},
		{"apiVersion: v1\nkind: Pod\nspec: *nowhere\n", "f:4: unknown anchor 'nowhere' referenced"},
	}
	for _, tt := range tests {
		in := "a: 1\n---\n# comment\n" + tt.doc + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: after}\n"
		objs, errs := Parse("f", []byte(in), Options{})
		if len(errs) != 1 || errs[0].Error() != tt.want {
			t.Errorf("%q: errors %v, want %s", tt.doc, errs, tt.want)
		}
		if len(objs) != 1 || objs[0].Source.Name != "after" {
			t.Errorf("%q: the document after the malformed one was not read", tt.doc)
		}
	}
}

func TestStreamMatchesPerDocument(t *testing.T) {
	inputs := map[string]string{
		"empty documents between": "---\n# c\n---\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n~\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n",
		"error in the middle":     "apiVersion: v1\nkind: ConfigMap\n---\nkind: [\n---\napiVersion: v1\nkind: Namespace\n---\nx: *y\n---\napiVersion: v1\nkind: Pod\n",
		"document end markers":    "apiVersion: v1\nkind: ConfigMap\n...\n---\napiVersion: v1\nkind: Namespace\n...\napiVersion: v1\nkind: Pod\n",
		"flow on the marker line": "--- {apiVersion: v1, kind: ConfigMap}\n--- {apiVersion: v1, kind: Pod}\n",
		"decode error, then more": "apiVersion: v1\nkind: Pod\nspec: {hostPID: maybe}\n---\napiVersion: v1\nkind: Namespace\n",
		"shell and query strings": "apiVersion: v1\nkind: ConfigMap\ndata: {a: 'x && y', b: http://h/?a=1&b=2}\n---\napiVersion: v1\nkind: Pod\n",
	}
	files, _ := filepath.Glob("testdata/*.*")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = string(data)
	}
	gen, _ := genManifests(1<<16, 0)
	inputs["generated"] = string(gen)
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) { checkStream(t, []byte(in)) })
	}
}

func TestStreamable(t *testing.T) {
	for in, want := range map[string]bool{
		"a: b\n---\nc: d\n":           true,
		"a: 'x && y'\nb: u?x=1&y=2\n": true,
		"a: &x 1\nb: *x\n":            false,
		"a: [&x 1]\n":                 false,
		"&x a: 1\n":                   false,
		"%YAML 1.1\n---\na: 1\n":      false,
		"a: 1\r\nb: 2\r\n":            true,
		"a: 1\rb: 2\r":                false,
		"a: 1\u2028---\u2028b: 2":     false,
	} {
		if got := streamable([]byte(in)); got != want {
			t.Errorf("streamable(%q) = %v, want %v", in, got, want)
		}
	}
}

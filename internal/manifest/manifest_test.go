package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/jobguard/jobguard/internal/input"
)

// describe is "Kind namespace/name file:line", with " untyped" when Obj is nil.
func describe(o *input.Object) string {
	s := fmt.Sprintf("%s %s/%s %s:%d", o.Source.Kind, o.Source.Namespace, o.Source.Name, o.Source.File, o.Source.Line)
	if o.Obj == nil {
		s += " untyped"
	}
	return s
}

type result struct {
	objs    []string
	errs    []string
	skipped []string
}

func load(t *testing.T, paths []string, stdin string, opts Options) result {
	t.Helper()
	var r result
	opts.Skipped = func(file string, line int, why string) {
		r.skipped = append(r.skipped, fmt.Sprintf("%s:%d: %s", file, line, why))
	}
	objs, errs := Load(paths, strings.NewReader(stdin), opts)
	for _, o := range objs {
		r.objs = append(r.objs, describe(o))
		if o.Source.APIVersion == "" || o.Source.Kind == "" {
			t.Errorf("%s: empty apiVersion or kind", describe(o))
		}
		if (o.Obj != nil) != input.Known(o.Source.APIVersion, o.Source.Kind) {
			t.Errorf("%s: Obj is %T", describe(o), o.Obj)
		}
	}
	for _, err := range errs {
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("error %v is a %T, not a *manifest.Error", err, err)
		}
		r.errs = append(r.errs, err.Error())
	}
	return r
}

func TestLoadFixtures(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
		want  result
	}{{
		name:  "multi-document YAML with every kind of separator",
		paths: []string{"testdata/multidoc.yaml"},
		want: result{objs: []string{
			"ConfigMap ns1/first testdata/multidoc.yaml:4",
			"ServiceAccount /second testdata/multidoc.yaml:12",
			"ConfigMap /inline testdata/multidoc.yaml:19",
			"Namespace /last testdata/multidoc.yaml:21",
		}},
	}, {
		name:  "helm template output",
		paths: []string{"testdata/helm.yaml"},
		want: result{objs: []string{
			"ServiceAccount /release-backup testdata/helm.yaml:3",
			"Service /release-backup testdata/helm.yaml:11 untyped",
			"CronJob /release-backup testdata/helm.yaml:20",
		}},
	}, {
		name:  "List and typed *List expanded, each item at its own line",
		paths: []string{"testdata/list.yaml"},
		want: result{objs: []string{
			"ConfigMap /cm-a testdata/list.yaml:6",
			"DaemonSet kube-system/ds-b testdata/list.yaml:10",
			"RoleBinding /rb-c testdata/list.yaml:29",
		}},
	}, {
		name:  "kubectl get -o yaml output",
		paths: []string{"testdata/kubectl-get.yaml"},
		want: result{objs: []string{
			"CronJob team-a/backup testdata/kubectl-get.yaml:3",
			"ConfigMap team-a/scripts testdata/kubectl-get.yaml:71",
		}},
	}, {
		name:  "JSON List",
		paths: []string{"testdata/list.json"},
		want: result{objs: []string{
			"Job jobs/job-a testdata/list.json:6",
			"Widget /w testdata/list.json:28 untyped",
		}},
	}, {
		name:  "JSON object",
		paths: []string{"testdata/pod.json"},
		want:  result{objs: []string{"Pod /p testdata/pod.json:1"}},
	}, {
		name:  "values.yaml and kustomization.yaml are skipped with a note",
		paths: []string{"testdata/values.yaml", "testdata/kustomization.yaml"},
		want: result{skipped: []string{
			"testdata/values.yaml:2: skipped: no apiVersion/kind",
			"testdata/kustomization.yaml:1: skipped: kustomize configuration, not a Kubernetes object",
		}},
	}, {
		name:  "a malformed document is reported at its line, the others still read",
		paths: []string{"testdata/malformed.yaml"},
		want: result{
			objs: []string{"ConfigMap /before testdata/malformed.yaml:1", "ConfigMap /after testdata/malformed.yaml:12"},
			errs: []string{"testdata/malformed.yaml:10: mapping values are not allowed in this context"},
		},
	}, {
		name:  "decode errors name the line and the field",
		paths: []string{"testdata/decode-error.yaml"},
		want: result{errs: []string{
			"testdata/decode-error.yaml:6: apps/v1 Deployment: field spec.replicas: cannot use string as int32",
			"testdata/decode-error.yaml:21: v1 Pod: field spec.containers.command: cannot use object as []string",
		}},
	}, {
		name:  "apiVersion or kind alone, a sequence of objects, a string",
		paths: []string{"testdata/incomplete.yaml"},
		want: result{
			errs: []string{
				"testdata/incomplete.yaml:1: CronJob has no apiVersion",
				`testdata/incomplete.yaml:5: object has apiVersion "batch/v1" but no kind`,
				"testdata/incomplete.yaml:9: document is a YAML sequence of objects, which kubectl does not read",
			},
			skipped: []string{"testdata/incomplete.yaml:14: skipped: a string, not a Kubernetes object"},
		},
	}, {
		name:  "YAML bomb",
		paths: []string{"testdata/bomb.yaml"},
		want:  result{errs: []string{"testdata/bomb.yaml:6: v1 ConfigMap lol: YAML aliases expand too much (possible YAML bomb)"}},
	}, {
		name:  "binary file",
		paths: []string{"testdata/binary.bin"},
		want:  result{errs: []string{"testdata/binary.bin: not a YAML or JSON file (binary content)"}},
	}, {
		name:  "directory without manifests",
		paths: []string{"testdata/empty"},
	}, {
		name:  "nested directories in lexical order, hidden ones and other extensions skipped",
		paths: []string{"testdata/tree"},
		want: result{objs: []string{
			"Namespace /a testdata/tree/a.yaml:1",
			"Service /web testdata/tree/apps/svc.yml:1 untyped",
			"Deployment /web testdata/tree/apps/web/deploy.yaml:1",
			"Job /j testdata/tree/jobs/job.JSON:1",
		}},
	}, {
		name:  "missing path, then the other inputs in order",
		paths: []string{"testdata/pod.json", "testdata/nope.yaml", "testdata/tree/a.yaml"},
		want: result{
			objs: []string{"Pod /p testdata/pod.json:1", "Namespace /a testdata/tree/a.yaml:1"},
			errs: []string{"testdata/nope.yaml: no such file or directory"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := load(t, tt.paths, "", Options{})
			if !slices.Equal(got.objs, tt.want.objs) {
				t.Errorf("objects:\n%s\nwant:\n%s", strings.Join(got.objs, "\n"), strings.Join(tt.want.objs, "\n"))
			}
			if len(got.errs) != len(tt.want.errs) {
				t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got.errs, "\n"), strings.Join(tt.want.errs, "\n"))
			}
			for i := range got.errs {
				if !strings.HasPrefix(got.errs[i], tt.want.errs[i]) {
					t.Errorf("error %d:\n%s\nwant it to start with:\n%s", i, got.errs[i], tt.want.errs[i])
				}
			}
			if !slices.Equal(got.skipped, tt.want.skipped) {
				t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(got.skipped, "\n"), strings.Join(tt.want.skipped, "\n"))
			}
		})
	}
}

func TestCronJobLines(t *testing.T) {
	objs, errs := Load([]string{"testdata/cronjob.yaml"}, nil, Options{})
	if len(errs) > 0 || len(objs) != 1 {
		t.Fatalf("objects %d, errors %v", len(objs), errs)
	}
	o := objs[0]
	cj, ok := o.Obj.(*batchv1.CronJob)
	if !ok {
		t.Fatalf("Obj is %T", o.Obj)
	}
	// Every mapping key and sequence item is at the line of the key or the item.
	spec := "spec.jobTemplate.spec.template.spec"
	want := map[string]int{
		"apiVersion": 1, "kind": 2, "metadata": 3, "metadata.name": 4, "metadata.namespace": 5,
		"metadata.annotations": 6, `metadata.annotations["jobguard.io/ignore"]`: 7,
		"spec": 8, "spec.schedule": 9, "spec.jobTemplate": 10, "spec.jobTemplate.spec": 11,
		"spec.jobTemplate.spec.template": 12, spec: 13, spec + ".restartPolicy": 14,
		spec + ".initContainers": 15, spec + ".initContainers[0]": 16, spec + ".initContainers[0].name": 16,
		spec + ".initContainers[0].image": 17, spec + ".initContainers[0].args": 18,
		spec + ".initContainers[0].args[0]": 18, spec + ".initContainers[0].args[1]": 18, spec + ".initContainers[0].args[2]": 18,
		spec + ".containers": 19, spec + ".containers[0]": 20, spec + ".containers[0].name": 20,
		spec + ".containers[0].image": 21, spec + ".containers[0].command": 22,
		spec + ".containers[0].command[0]": 23, spec + ".containers[0].command[1]": 24, spec + ".containers[0].command[2]": 25,
		spec + ".containers[0].volumeMounts": 28, spec + ".containers[0].volumeMounts[0]": 29,
		spec + ".containers[0].volumeMounts[0].name": 29, spec + ".containers[0].volumeMounts[0].mountPath": 30,
		spec + ".volumes": 31, spec + ".volumes[0]": 32, spec + ".volumes[0].name": 32, spec + ".volumes[0].emptyDir": 33,
	}
	for path, line := range want {
		if got := o.LineOf(path); got != line {
			t.Errorf("LineOf(%s) = %d, want %d", path, got, line)
		}
	}
	// Lines leaves out the paths on the line LineOf finds through an ancestor anyway.
	for _, same := range []string{"apiVersion", spec + ".initContainers[0].name", spec + ".initContainers[0].args[0]",
		spec + ".initContainers[0].args[1]", spec + ".initContainers[0].args[2]", spec + ".containers[0].name",
		spec + ".containers[0].volumeMounts[0].name", spec + ".volumes[0].name"} {
		delete(want, same)
	}
	if lines := o.Lines.Map(); !maps.Equal(lines, want) {
		for path, line := range want {
			if got, ok := lines[path]; !ok || got != line {
				t.Errorf("Lines[%s] = %d, %v; want %d", path, got, ok, line)
			}
		}
		for path, line := range lines {
			if _, ok := want[path]; !ok {
				t.Errorf("unexpected Lines[%s] = %d", path, line)
			}
		}
	}
	// Paths the file does not have fall back to their nearest ancestor.
	if got := o.LineOf(spec + ".containers[0].securityContext.privileged"); got != 20 {
		t.Errorf("LineOf(missing field) = %d, want 20", got)
	}
	if got := cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Command[2]; got != "chmod +x /work/x\n/work/x --pool example.com:3333\n" {
		t.Errorf("command[2] = %q", got)
	}
}

func TestLoadStdinAndLimits(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n"
	write("repo/.git/config.yaml", fmt.Sprintf(cm, "in-git"))
	write("repo/b.yaml", fmt.Sprintf(cm, "b"))
	write("repo/a.yml", fmt.Sprintf(cm, "a"))
	big := write("big.yaml", fmt.Sprintf(cm, "big")+"data:\n  x: "+strings.Repeat("y", 2000)+"\n")
	if err := os.Symlink(filepath.Join(dir, "repo/a.yml"), filepath.Join(dir, "repo/link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "repo"), filepath.Join(dir, "repo/loop.yaml")); err != nil {
		t.Fatal(err)
	}

	got := load(t, []string{"-", filepath.Join(dir, "repo")}, fmt.Sprintf(cm, "from-stdin"), Options{})
	want := []string{
		"ConfigMap /from-stdin <stdin>:1",
		"ConfigMap /a " + filepath.Join(dir, "repo/a.yml") + ":1",
		"ConfigMap /b " + filepath.Join(dir, "repo/b.yaml") + ":1",
		"ConfigMap /a " + filepath.Join(dir, "repo/link.yaml") + ":1",
	}
	if !slices.Equal(got.objs, want) || len(got.errs) > 0 {
		t.Errorf("objects:\n%s\nerrors: %v\nwant:\n%s", strings.Join(got.objs, "\n"), got.errs, strings.Join(want, "\n"))
	}

	for _, tc := range []struct {
		name, stdin string
		paths       []string
		want        string
	}{
		{"regular file over the limit", "", []string{big}, big + ": file too large (2.0 KiB, limit 1.0 KiB)"},
		{"stdin over the limit", strings.Repeat("#", 1025), []string{"-"}, "<stdin>: file too large (over the limit of 1.0 KiB)"},
	} {
		got := load(t, tc.paths, tc.stdin, Options{MaxFileSize: 1024})
		if len(got.objs) > 0 || len(got.errs) != 1 || got.errs[0] != tc.want {
			t.Errorf("%s: objects %v, errors %q, want %q", tc.name, got.objs, got.errs, tc.want)
		}
	}

	_, errs := Load([]string{filepath.Join(dir, "missing.yaml")}, nil, Options{})
	if len(errs) != 1 || !errors.Is(errs[0], fs.ErrNotExist) {
		t.Errorf("missing path: %v, want one fs.ErrNotExist", errs)
	}
	if _, errs := Parse("big", make([]byte, 2048), Options{MaxFileSize: 1024}); len(errs) != 1 || !errors.Is(errs[0], ErrTooLarge) {
		t.Errorf("Parse over the limit: %v", errs)
	}
}

func TestBombsAreRefusedFast(t *testing.T) {
	// Nine levels of nine in the fixture; a deeper and wider one here.
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\nx:\n  l0: &l0 [\"" + strings.Repeat("lol", 100) + "\"]\n")
	for i := 1; i < 30; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 20), ","))
	}
	bombs := map[string]string{
		"billion laughs":     b.String(),
		"self reference":     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: &a {k: *a}\n",
		"list of aliases":    "apiVersion: v1\nkind: List\nx: &o {apiVersion: v1, kind: ConfigMap, data: {k: " + strings.Repeat("v", 4096) + "}}\nitems: [" + strings.TrimSuffix(strings.Repeat("*o,", 5000), ",") + "]\n",
		"merge key fan-out":  mergeBomb(),
		"unknown kind bomb":  strings.Replace(b.String(), "kind: ConfigMap", "kind: Unknown", 1),
		"deep nesting":       "apiVersion: v1\nkind: ConfigMap\ndata: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n",
		"deep block nesting": deepBlock(3000),
	}
	for name, doc := range bombs {
		start := time.Now()
		objs, errs := Parse(name, []byte(doc), Options{})
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
		if len(errs) == 0 {
			t.Errorf("%s: no error, %d objects", name, len(objs))
			continue
		}
		t.Logf("%s: %v", name, errs[0])
	}
}

func mergeBomb() string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\nx:\n  m0: &m0 {a: b}\n")
	for i := 1; i < 40; i++ {
		fmt.Fprintf(&b, "  m%d: &m%d {<<: [*m%d, *m%d, *m%d, *m%d]}\n", i, i, i-1, i-1, i-1, i-1)
	}
	b.WriteString("data:\n  <<: *m39\n")
	return b.String()
}

func deepBlock(n int) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\ndata:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%sk:\n", strings.Repeat(" ", i))
	}
	return b.String()
}

func TestLargeFile(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MB")
	}
	// One 50 MB ConfigMap, and 50 MB of small objects.
	one := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: |\n" + strings.Repeat("    "+strings.Repeat("x", 95)+"\n", 50<<20/100)
	many, n := genManifests(50<<20, 0)
	for name, tc := range map[string]struct {
		data []byte
		objs int
	}{"one object": {[]byte(one), 1}, "many objects": {many, n}} {
		start := time.Now()
		objs, errs := Parse(name, tc.data, Options{})
		if len(errs) > 0 || len(objs) != tc.objs {
			t.Fatalf("%s: %d objects, want %d; errors %v", name, len(objs), tc.objs, errs)
		}
		t.Logf("%s: %s, %d objects in %v", name, size(int64(len(tc.data))), len(objs), time.Since(start))
		if cm, ok := objs[0].Obj.(*corev1.ConfigMap); ok && len(cm.Data["blob"]) != 50<<20/100*96 {
			t.Errorf("blob is %d bytes", len(cm.Data["blob"]))
		}
	}
}

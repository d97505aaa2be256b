package input

import (
	"maps"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name, apiVersion, kind, json string
		wantErr                      string
		check                        func(t *testing.T, obj any)
	}{
		{
			name: "pod", apiVersion: "v1", kind: "Pod",
			json: `{"spec":{"containers":[{"name":"a","image":"nginx"}]}}`,
			check: func(t *testing.T, obj any) {
				if img := obj.(*corev1.Pod).Spec.Containers[0].Image; img != "nginx" {
					t.Errorf("image %q", img)
				}
			},
		},
		{
			// The API server matches field names exactly; a differently-cased duplicate must not
			// hide the image that runs.
			name: "case-sensitive fields", apiVersion: "v1", kind: "Pod",
			json: `{"spec":{"containers":[{"name":"a","image":"evil.example/miner","Image":"registry.k8s.io/pause:3.10"}]}}`,
			check: func(t *testing.T, obj any) {
				if img := obj.(*corev1.Pod).Spec.Containers[0].Image; img != "evil.example/miner" {
					t.Errorf("image %q, want the case-exact field", img)
				}
			},
		},
		{
			name: "old CronJob version decodes as batch/v1", apiVersion: "batch/v1beta1", kind: "CronJob",
			json: `{"spec":{"schedule":"* * * * *","jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"a"}]}}}}}}`,
			check: func(t *testing.T, obj any) {
				if obj.(*batchv1.CronJob).Spec.Schedule != "* * * * *" {
					t.Error("schedule lost")
				}
			},
		},
		{name: "unknown kind", apiVersion: "example.com/v1", kind: "Widget", json: `{}`, check: func(t *testing.T, obj any) {
			if obj != nil {
				t.Errorf("got %T for an unknown kind", obj)
			}
		}},
		{name: "wrong type names the field", apiVersion: "v1", kind: "Pod", json: `{"spec":{"containers":"nope"}}`, wantErr: "field spec.containers: cannot use string as []v1.Container"},
		{name: "syntax error", apiVersion: "v1", kind: "Pod", json: `{"spec":`, wantErr: "v1 Pod:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := Decode(tt.apiVersion, tt.kind, []byte(tt.json))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, obj)
		})
	}
}

func TestLineOf(t *testing.T) {
	o := &Object{Lines: NewLines("spec"+"spec.containers[0]", []int32{4, 5, 22, 9})}
	o.Source.Line = 1
	for path, want := range map[string]int{"spec.containers[0].image": 9, "spec.containers[1].image": 5, "metadata.name": 1, "": 1} {
		if got := o.LineOf(path); got != want {
			t.Errorf("LineOf(%q) = %d, want %d", path, got, want)
		}
	}
}

func TestLines(t *testing.T) {
	// "a" at 1, "a.b" at 2, "c" at 3, then "a.b" again at 4: the last line counts.
	l := NewLines("a"+"a.b"+"c"+"a.b", []int32{1, 1, 4, 2, 5, 3, 8, 4})
	tests := []struct {
		path string
		want int
		ok   bool
	}{
		{"a", 1, true},
		{"a.b", 4, true},
		{"c", 3, true},
		{"b", 0, false},
		{"a.", 0, false},
		{"", 0, false},
		{"a.bc", 0, false},
	}
	for _, tt := range tests {
		if got, ok := l.Line(tt.path); got != tt.want || ok != tt.ok {
			t.Errorf("Line(%q) = %d, %v; want %d, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
	if l.Len() != 4 {
		t.Errorf("Len() = %d, want 4", l.Len())
	}
	var order []string
	for p, line := range l.All() {
		order = append(order, p+":"+strconv.Itoa(line))
	}
	if got := strings.Join(order, " "); got != "a:1 a.b:2 c:3 a.b:4" {
		t.Errorf("All() = %s", got)
	}
	if m := l.Map(); !maps.Equal(m, map[string]int{"a": 1, "a.b": 4, "c": 3}) {
		t.Errorf("Map() = %v", m)
	}
	var empty Lines
	if _, ok := empty.Line("a"); ok || empty.Len() != 0 || len(empty.Map()) != 0 {
		t.Error("the zero Lines is not empty")
	}
}

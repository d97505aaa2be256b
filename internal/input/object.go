// Package input is the neutral form of everything jobguard judges: a decoded Kubernetes object with
// where it came from (a manifest file and line, or a live cluster), and the set of objects read
// together, which rules use as context (ConfigMaps a container runs, RBAC bindings of its service
// account, namespace labels).
package input

import (
	"fmt"
	"iter"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"

	jsoniter "github.com/json-iterator/go"

	"github.com/jobguard/jobguard/internal/finding"
)

// Object is one Kubernetes object of the input.
type Object struct {
	// Source locates the object: apiVersion, kind, namespace, name, and file+line or cluster+uid.
	// Path is empty here; findings fill it in.
	Source finding.Resource
	// Obj is the typed object for the kinds jobguard understands (see Decode), nil for other kinds.
	Obj any
	// Lines maps JSON paths inside the object (e.g. "spec.template.spec.containers[0].image") to
	// their line in Source.File. Empty for objects not read from a file.
	Lines Lines
}

// LineOf returns the line of path, or of its nearest ancestor that has one, or the object's line.
func (o *Object) LineOf(path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if l, ok := o.Lines.Line(p); ok {
			return l
		}
	}
	return o.Source.Line
}

// Lines maps the JSON paths of an object's fields to their lines, in two allocations that hold no
// pointers for the garbage collector to follow: the paths one after the other, and for each its
// end in them and its line. An object records a few dozen paths (only those on a line of their
// own), so a lookup scans them; a path recorded twice has the line recorded last.
type Lines struct {
	paths string
	ents  []int32 // pairs: where a path ends in paths, and its line
}

// NewLines returns the Lines of the paths written one after the other in paths, where pairs holds
// for each in order the offset at which it ends and its line.
func NewLines(paths string, pairs []int32) Lines {
	return Lines{paths: paths, ents: pairs}
}

// Len returns the number of paths recorded.
func (l Lines) Len() int { return len(l.ents) / 2 }

// Line returns the line recorded for path.
func (l Lines) Line(path string) (int, bool) {
	for i := len(l.ents) - 2; i >= 0; i -= 2 {
		end, start := int(l.ents[i]), 0
		if i > 0 {
			start = int(l.ents[i-2])
		}
		if end-start == len(path) && l.paths[start:end] == path {
			return int(l.ents[i+1]), true
		}
	}
	return 0, false
}

// All yields every recorded path with its line, in the order recorded.
func (l Lines) All() iter.Seq2[string, int] {
	return func(yield func(string, int) bool) {
		start := 0
		for i := 0; i+1 < len(l.ents); i += 2 {
			end := int(l.ents[i])
			if !yield(l.paths[start:end], int(l.ents[i+1])) {
				return
			}
			start = end
		}
	}
}

// Map returns the lines as a map (a path recorded twice has its last line).
func (l Lines) Map() map[string]int {
	m := make(map[string]int, l.Len())
	for p, line := range l.All() {
		m[p] = line
	}
	return m
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i <= 0 {
		return ""
	}
	return p[:i]
}

// Meta returns the object's metadata, or nil for kinds that are not decoded.
func (o *Object) Meta() *metav1.ObjectMeta {
	if m, ok := o.Obj.(metav1.ObjectMetaAccessor); ok {
		return m.GetObjectMeta().(*metav1.ObjectMeta)
	}
	return nil
}

// newObject returns an empty typed object for the group and kind, or nil when jobguard does not
// decode that kind. Old API versions of a kind share the current version's schema for every field
// jobguard reads (batch/v1beta1 CronJob, extensions/v1beta1 and apps/v1beta1|2 workloads), so they are
// decoded into the current types.
func newObject(group, kind string) any {
	switch group + "/" + kind {
	case "/Pod":
		return &corev1.Pod{}
	case "/PodTemplate":
		return &corev1.PodTemplate{}
	case "/ReplicationController":
		return &corev1.ReplicationController{}
	case "/ConfigMap":
		return &corev1.ConfigMap{}
	case "/ServiceAccount":
		return &corev1.ServiceAccount{}
	case "/Namespace":
		return &corev1.Namespace{}
	case "batch/CronJob":
		return &batchv1.CronJob{}
	case "batch/Job":
		return &batchv1.Job{}
	case "apps/Deployment", "extensions/Deployment":
		return &appsv1.Deployment{}
	case "apps/DaemonSet", "extensions/DaemonSet":
		return &appsv1.DaemonSet{}
	case "apps/StatefulSet":
		return &appsv1.StatefulSet{}
	case "apps/ReplicaSet", "extensions/ReplicaSet":
		return &appsv1.ReplicaSet{}
	case "rbac.authorization.k8s.io/Role":
		return &rbacv1.Role{}
	case "rbac.authorization.k8s.io/ClusterRole":
		return &rbacv1.ClusterRole{}
	case "rbac.authorization.k8s.io/RoleBinding":
		return &rbacv1.RoleBinding{}
	case "rbac.authorization.k8s.io/ClusterRoleBinding":
		return &rbacv1.ClusterRoleBinding{}
	}
	return nil
}

// Group returns the API group of an apiVersion ("" for the core group).
func Group(apiVersion string) string {
	if i := strings.IndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}

// Known reports whether Decode returns a typed object for the apiVersion and kind.
func Known(apiVersion, kind string) bool { return newObject(Group(apiVersion), kind) != nil }

// fastJSON decodes valid JSON about twice as fast as sigs.k8s.io/json (a copy of encoding/json,
// which validates the whole document before it decodes it), with field names matched
// case-sensitively as there. json-iterator is already part of the binary through
// k8s.io/apimachinery.
var fastJSON = jsoniter.Config{CaseSensitive: true}.Froze()

// Decode decodes the JSON of one object into its typed form. It returns (nil, nil) for kinds
// jobguard does not decode. A field of the wrong type, or data that is not JSON, is an error naming
// the field or the offset. It decodes as sigs.k8s.io/json, the API server's own decoder: field
// names match case-sensitively, as in the API server (encoding/json would let a second key "Image"
// hide the "image" that the cluster runs).
func Decode(apiVersion, kind string, data []byte) (any, error) {
	obj := newObject(Group(apiVersion), kind)
	if obj == nil {
		return nil, nil
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, obj); err != nil {
		return nil, fmt.Errorf("%s %s: %s", apiVersion, kind, cleanJSONError(err))
	}
	return obj, nil
}

// DecodeValid is Decode for data known to be valid JSON in UTF-8, such as what the manifest reader
// writes: it decodes about twice as fast and returns the same object or error. (The fast decoder
// neither validates the parts of a document it skips nor replaces invalid UTF-8; on valid JSON in
// UTF-8 it decodes to exactly what sigs.k8s.io/json gives, which FuzzDecode checks, and whenever
// it refuses a document, Decode's answer is returned.)
func DecodeValid(apiVersion, kind string, data []byte) (any, error) {
	obj := newObject(Group(apiVersion), kind)
	if obj == nil {
		return nil, nil
	}
	if err := fastJSON.Unmarshal(data, obj); err == nil {
		return obj, nil
	}
	return Decode(apiVersion, kind, data)
}

// cleanJSONError turns "json: cannot unmarshal string into Go struct field PodSpec.spec.containers
// of type []v1.Container" into "field spec.containers: cannot use string as []v1.Container".
func cleanJSONError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "json: ")
	const into = " into Go struct field "
	i := strings.Index(msg, into)
	j := strings.LastIndex(msg, " of type ")
	if i < 0 || j < i {
		return msg
	}
	field := msg[i+len(into) : j]
	if k := strings.IndexByte(field, '.'); k >= 0 {
		field = field[k+1:] // drop the Go type name
	}
	value := strings.TrimPrefix(msg[:i], "cannot unmarshal ")
	return "field " + field + ": cannot use " + value + " as " + msg[j+len(" of type "):]
}

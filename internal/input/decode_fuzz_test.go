package input

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"

	"sigs.k8s.io/yaml"
)

// decodeKinds are the apiVersion and kind pairs FuzzDecode decodes into, one per typed kind.
var decodeKinds = [][2]string{
	{"v1", "Pod"}, {"v1", "PodTemplate"}, {"v1", "ReplicationController"}, {"v1", "ConfigMap"},
	{"v1", "ServiceAccount"}, {"v1", "Namespace"}, {"batch/v1", "CronJob"}, {"batch/v1", "Job"},
	{"apps/v1", "Deployment"}, {"apps/v1", "DaemonSet"}, {"apps/v1", "StatefulSet"},
	{"apps/v1", "ReplicaSet"}, {"rbac.authorization.k8s.io/v1", "Role"},
	{"rbac.authorization.k8s.io/v1", "ClusterRole"}, {"rbac.authorization.k8s.io/v1", "RoleBinding"},
	{"rbac.authorization.k8s.io/v1", "ClusterRoleBinding"},
}

// FuzzDecode checks that DecodeValid's fast decoder, on valid JSON, never accepts a document that
// sigs.k8s.io/json refuses, and decodes every document it accepts to exactly the object
// sigs.k8s.io/json gives; and that DecodeValid returns what Decode returns.
func FuzzDecode(f *testing.F) {
	for _, seed := range decodeSeeds(f) {
		f.Add(seed.kind, seed.data)
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		k := decodeKinds[int(kind)%len(decodeKinds)]
		checkDecodeAgrees(t, k[0], k[1], data)
	})
}

func checkDecodeAgrees(t *testing.T, apiVersion, kind string, data []byte) {
	t.Helper()
	if !json.Valid(data) || !utf8.Valid(data) {
		return // DecodeValid's callers guarantee valid JSON in UTF-8
	}
	strict, strictErr := Decode(apiVersion, kind, data)
	fast := newObject(Group(apiVersion), kind)
	got, err := DecodeValid(apiVersion, kind, data)
	if (err == nil) != (strictErr == nil) || err != nil && err.Error() != strictErr.Error() ||
		!reflect.DeepEqual(got, strict) {
		t.Fatalf("%s %s %q: DecodeValid = %#v, %v; Decode = %#v, %v", apiVersion, kind, data, got, err, strict, strictErr)
	}
	if fastJSON.Unmarshal(data, fast) != nil {
		return // DecodeValid used the strict decoder
	}
	if strictErr != nil {
		t.Fatalf("%s %s %q: the fast decoder accepts what sigs.k8s.io/json refuses: %v", apiVersion, kind, data, strictErr)
	}
	if !reflect.DeepEqual(fast, strict) {
		t.Fatalf("%s %s %q: decoders disagree:\nfast:   %#v\nstrict: %#v", apiVersion, kind, data, fast, strict)
	}
}

type decodeSeed struct {
	kind uint8
	data []byte
}

// decodeSeeds are the documents of the examples and of the manifest tests, as JSON, and small
// documents with the value shapes the decoders may read differently.
func decodeSeeds(tb testing.TB) []decodeSeed {
	var seeds []decodeSeed
	add := func(apiVersion, kind string, data []byte) {
		for i, k := range decodeKinds {
			if k[1] == kind && Group(k[0]) == Group(apiVersion) {
				seeds = append(seeds, decodeSeed{uint8(i), data})
			}
		}
	}
	files, _ := filepath.Glob("../../examples/*/*.yaml")
	more, _ := filepath.Glob("../manifest/testdata/*.yaml")
	for _, file := range append(files, more...) {
		raw, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		for _, doc := range bytes.Split(raw, []byte("\n---")) {
			var head struct{ APIVersion, Kind string }
			js, err := yaml.YAMLToJSON(doc)
			if err != nil || yaml.Unmarshal(doc, &head) != nil || head.Kind == "" {
				continue
			}
			add(head.APIVersion, head.Kind, js)
		}
	}
	for _, s := range []struct{ kind, doc string }{
		{"Pod", `{"spec":{"containers":[{"name":"a","image":"x","ports":[{"containerPort":1.0}]}]}}`},
		{"Pod", `{"spec":{"containers":[{"name":"a","ports":[{"containerPort":1e3}]}]}}`},
		{"Pod", `{"spec":{"containers":[{"name":"a","ports":[{"containerPort":99999999999}]}]}}`},
		{"Pod", `{"spec":{"containers":[{"name":"a","ports":[{"containerPort":-1}]}]}}`},
		{"Pod", `{"spec":{"containers":[{"name":"a","Image":"x","image":"y"}]}}`},
		{"Pod", `{"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":"1","memory":1e3}}}]}}`},
		{"Pod", `{"spec":{"containers":[{"name":"a","livenessProbe":{"httpGet":{"port":"http"}}}]}}`},
		{"Pod", `{"spec":{"containers":[{"name":"a","livenessProbe":{"httpGet":{"port":8080}}}]}}`},
		{"Pod", `{"spec":{"securityContext":{"runAsUser":null},"hostPID":true,"hostNetwork":"true"}}`},
		{"Pod", `{"metadata":{"name":"a\u0000b","labels":{"a":"\ud800"},"creationTimestamp":"2024-01-01T00:00:00Z"}}`},
		{"Pod", `{"metadata":{"annotations":{"a":1}}}`},
		{"Pod", `{"spec":{"containers":null,"volumes":[{"name":"v","hostPath":{"path":"/"}}]}} `},
		{"CronJob", `{"spec":{"schedule":"* * * * *","successfulJobsHistoryLimit":0,"suspend":false,"jobTemplate":{"spec":{"ttlSecondsAfterFinished":0}}}}`},
		{"ConfigMap", `{"data":{"run.sh":"curl x | sh"},"binaryData":{"b":"aGVsbG8="}}`},
		{"ConfigMap", `{"binaryData":{"b":"not base64!"}}`},
		{"ClusterRole", `{"rules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}],"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"a":"b"}}]}}`},
		{"Deployment", `{"spec":{"replicas":"1"}}`},
		{"Deployment", `{"spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"a"}]}}},"status":{}}`},
	} {
		add("", s.kind, []byte(s.doc))
		add("batch/v1", s.kind, []byte(s.doc))
		add("apps/v1", s.kind, []byte(s.doc))
		add("rbac.authorization.k8s.io/v1", s.kind, []byte(s.doc))
	}
	return seeds
}

// TestDecodeAgrees runs the seeds of FuzzDecode without fuzzing, in every kind.
func TestDecodeAgrees(t *testing.T) {
	for _, s := range decodeSeeds(t) {
		for _, k := range decodeKinds {
			checkDecodeAgrees(t, k[0], k[1], s.data)
		}
	}
}

package rules

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

func TestDisguiseControlPlaneNode(t *testing.T) {
	const c = "\ncontainers:\n- name: app\n  image: registry.example.com/app:1.0"
	affinity := func(expr string) string {
		return "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n      - matchExpressions:\n        - {key: kubernetes.io/os, operator: In, values: [linux]}\n        - " + expr + c
	}
	const affPath = "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[1]"
	tests := []struct {
		name, podSpec string
		path          string // "" for none; for Pod kinds nodeName is not judged
		msg           string
		podToo        bool // the Pod kind reports it too
	}{
		{"nothing", "containers:\n- name: app\n  image: busybox", "", "", false},
		{"nodeName", "nodeName: worker-3" + c, "nodeName", `nodeName "worker-3"`, false},
		{"selector control-plane", "nodeSelector: {node-role.kubernetes.io/control-plane: ''}" + c, "nodeSelector", "node-role.kubernetes.io/control-plane", true},
		{"selector master", "nodeSelector: {node-role.kubernetes.io/master: 'true'}" + c, "nodeSelector", "node-role.kubernetes.io/master", true},
		{"legacy role label", "nodeSelector: {kubernetes.io/role: master}" + c, "nodeSelector", `kubernetes.io/role="master"`, true},
		{"selector os", "nodeSelector: {kubernetes.io/os: linux}" + c, "", "", false},
		{"affinity Exists", affinity("{key: node-role.kubernetes.io/control-plane, operator: Exists}"), affPath, "required node affinity node-role.kubernetes.io/control-plane Exists", true},
		{"affinity In master", affinity("{key: kubernetes.io/role, operator: In, values: [master]}"), affPath, "kubernetes.io/role In", true},
		{"affinity DoesNotExist", affinity("{key: node-role.kubernetes.io/control-plane, operator: DoesNotExist}"), "", "", false},
		{"preferred only", "affinity:\n  nodeAffinity:\n    preferredDuringSchedulingIgnoredDuringExecution:\n    - weight: 1\n      preference:\n        matchExpressions:\n        - {key: node-role.kubernetes.io/control-plane, operator: Exists}" + c, "", "", false},
	}
	for _, tt := range tests {
		for kind, manifest := range wrap(tt.podSpec) {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				fs := evalRule(t, "disguise-control-plane-node", object(t, manifest), nil)
				if tt.path == "" || (kind == "Pod" && !tt.podToo) {
					if len(fs) != 0 {
						t.Fatalf("unexpected: %+v", fs)
					}
					return
				}
				if len(fs) != 1 {
					t.Fatalf("got %d findings: %+v", len(fs), fs)
				}
				f := fs[0]
				if f.Severity != finding.SeverityMedium || !strings.HasSuffix(f.Resource.Path, "spec."+tt.path) || !strings.Contains(f.Message, tt.msg) {
					t.Errorf("finding %+v, want medium at %s with %q", f, tt.path, tt.msg)
				}
			})
		}
	}
}

// TestNightlyBackupIsQuiet: an ordinary nightly backup CronJob gets nothing above low from the
// host-access, job-behaviour and disguise rules.
func TestNightlyBackupIsQuiet(t *testing.T) {
	manifest := `apiVersion: batch/v1
kind: CronJob
metadata: {name: db-backup, namespace: data}
spec:
  schedule: "30 2 * * *"
  timeZone: Etc/UTC
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: 3
  failedJobsHistoryLimit: 1
  jobTemplate:
    spec:
      backoffLimit: 2
      activeDeadlineSeconds: 3600
      ttlSecondsAfterFinished: 86400
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: backup
            image: registry.example.com/ops/pg-backup:2.4.1
            args: [--target, s3://backups/db]
            volumeMounts: [{name: scratch, mountPath: /scratch}]
          volumes:
          - name: scratch
            emptyDir: {}
`
	obj := object(t, manifest)
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range e.Evaluate(nil, obj) {
		switch f.Category {
		case finding.CategoryHostAccess, finding.CategoryJobBehaviour, finding.CategoryDisguise:
			if f.Severity > finding.SeverityLow {
				t.Errorf("%s: %v %s", f.Rule, f.Severity, f.Message)
			}
		}
	}
}

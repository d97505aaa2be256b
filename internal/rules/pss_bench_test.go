package rules

import (
	"strings"
	"testing"

	"k8s.io/pod-security-admission/api"

	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/workload"
)

// BenchmarkImageIdentityPSSRules runs the image, identity and pod-security rules on a typical
// backup CronJob whose service account has a few bindings in the input.
func BenchmarkImageIdentityPSSRules(b *testing.B) {
	obj := object(b, `apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: ops}
spec:
  schedule: '0 3 * * *'
  jobTemplate:
    spec:
      template:
        spec:
          serviceAccountName: backup
          restartPolicy: OnFailure
          initContainers:
          - name: wait
            image: busybox:1.36
          containers:
          - name: backup
            image: registry.example.com/ops/pg-backup:1.4
            command: [/bin/sh, -c, pg_dump > /backup/db.sql]
            volumeMounts: [{name: out, mountPath: /backup}]
          volumes:
          - name: out
            persistentVolumeClaim: {claimName: backup}
`)
	objs := []*input.Object{obj}
	for _, m := range []string{
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: backup, namespace: ops}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: backup}\nsubjects:\n- {kind: ServiceAccount, name: backup, namespace: ops}\n",
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: backup, namespace: ops}\nrules:\n- {apiGroups: [''], resources: [configmaps], verbs: [get]}\n",
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ops-admins}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects:\n- {kind: Group, name: ops-admins, apiGroup: rbac.authorization.k8s.io}\n",
	} {
		objs = append(objs, object(b, m))
	}
	set := input.NewSet(objs)
	var rules []*Rule
	for _, r := range All() {
		if strings.HasPrefix(r.ID, "image-") || strings.HasPrefix(r.ID, "identity-") || strings.HasPrefix(r.ID, "pss-") {
			rules = append(rules, r)
		}
	}
	ctx := &Context{Object: obj, Set: set, PSS: api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}}
	b.ReportAllocs()
	for b.Loop() {
		w := workload.From(obj.Obj)
		for _, r := range rules {
			r.Check(ctx, w)
		}
	}
}

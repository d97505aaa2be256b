package testcluster

// DefaultAuditPolicy is the audit policy of a cluster whose Options.AuditPolicy is empty: every
// request at Metadata level, and writes to workloads (batch, apps and core pods and replication
// controllers) at RequestResponse level, so their events carry the objects sent and returned.
// The RequestReceived stage is omitted: its events only repeat the ResponseComplete ones.
const DefaultAuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: RequestResponse
  verbs: ["create", "update", "patch", "delete", "deletecollection"]
  resources:
  - group: "batch"
    resources: ["cronjobs", "jobs"]
  - group: "apps"
    resources: ["daemonsets", "deployments", "replicasets", "statefulsets"]
  - group: ""
    resources: ["pods", "pods/ephemeralcontainers", "replicationcontrollers"]
- level: Metadata
`

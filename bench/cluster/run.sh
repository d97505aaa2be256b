#!/usr/bin/env bash
# Benchmark of `jobguard scan --cluster -A` on the real test control plane (etcd + kube-apiserver,
# internal/testcluster): creates 5,000 CronJobs and 5,000 Deployments, then measures, in the same
# run, jobguard's scan and `kubectl get cronjobs,deployments -A -o json` (the cost of just fetching
# the objects): wall time and peak RSS through bench/measure, median of RUNS runs each.
# Target: jobguard within 1.5x of kubectl's time.
#
# Usage: bash bench/cluster/run.sh [-cronjobs N] [-deployments N] [-namespaces N] [-runs N] [-workers N]
#
# The control-plane binaries are built on first use (hack/build-controlplane.sh; 20-40 minutes the
# first time on 2 cores). kubectl must be on PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
echo "load before: $(uptime)" >&2
JOBGUARD_BENCH=1 go test ./bench/cluster -run '^TestClusterScan$' -count=1 -v -timeout 60m -args "$@"
echo "load after: $(uptime)" >&2

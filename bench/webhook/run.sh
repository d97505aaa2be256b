#!/usr/bin/env bash
# Load benchmark of the admission webhook: jobguard's, then the official Pod Security Admission
# webhook's, each under the same open-loop load of AdmissionReviews over HTTPS on 127.0.0.1
# (bench/webhook/loadgen: CronJobs clean and risky, Deployments, Pods), both watching the namespaces
# of the real test API server (internal/testcluster). Prints latency percentiles, throughput, errors,
# decisions and the servers' memory over time, side by side.
# Target: jobguard p99 < 5 ms at 2,000 requests/s, no errors, flat memory over a 5-minute soak.
#
# Usage: bash bench/webhook/run.sh [--short] [-rate N] [-duration D] [-warmup D] [-workers N]
#                                  [-http1] [-server-gomaxprocs N] [-no-psa]
#   --short     30 s per server instead of 5 minutes
#   -no-psa     jobguard only
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
args=()
psa=1
dur=5m
for a in "$@"; do
  case "$a" in
    --short) dur=30s ;;
    -no-psa|--no-psa) psa=0 ;;
    *) args+=("$a") ;;
  esac
done
psabin=""
if [ "$psa" = 1 ]; then
  psabin=$(bash bench/webhook/build-psa.sh)
fi
echo "load before: $(uptime)" >&2
JOBGUARD_BENCH=1 go test ./bench/webhook -run '^TestWebhookLoad$' -count=1 -v -timeout 60m \
  -args -duration "$dur" -psa "$psabin" "${args[@]}"
echo "load after: $(uptime)" >&2

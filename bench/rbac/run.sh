#!/usr/bin/env bash
# Benchmark of jobguard's RBAC faces on generated RBAC: 5,000 roles and 20,000 bindings (and 1,000
# CronJobs running as their service accounts). Usage: bash bench/rbac/run.sh [ROLES]
#
# Reports, with bench/measure's wall time and peak RSS:
#   - `rbac review` (load + review + JSON report), with GOMAXPROCS=1 and with all cores, through
#     `jobguard rbac review` when the binary has the command, else through the in-process driver
#     (bench/rbac review), which runs the same code;
#   - 1,000 who-can queries on the model (half of them across all namespaces), and what the
#     model takes to build.
# Targets: the review under 2 s, a who-can query under 1 ms on average.
set -euo pipefail
cd "$(dirname "$0")/../.."
roles=${1:-5000}
out=bench/out
bin="$out/bin"
mkdir -p "$bin"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

echo "building jobguard and the benchmark tools..." >&2
go build -o "$bin/jobguard" ./cmd/jobguard
go build -o "$bin/measure" ./bench/measure
go build -o "$bin/rbac-bench" ./bench/rbac
"$bin/rbac-bench" gen -out "$out/rbac" -roles "$roles" >&2
input="$out/rbac/rbac.yaml"
echo "input: $(du -h "$input" | cut -f1)" >&2

review=("$bin/rbac-bench" review "$input")
how="bench/rbac review (in-process driver; jobguard has no rbac command yet)"
if "$bin/jobguard" rbac review --help >/dev/null 2>&1; then
  review=("$bin/jobguard" rbac review -o json --fail-on none -f "$input")
  how="jobguard rbac review -o json"
fi
echo "review: $how" >&2

m() { "$bin/measure" -runs 1 -label "$1" -- "${@:2}"; }
phases=$(mktemp)
trap 'rm -f "$phases"' EXIT
{
  GOMAXPROCS=1 m "rbac review, GOMAXPROCS=1" "${review[@]}" 2>>"$phases"
  m "rbac review, all cores" "${review[@]}" 2>>"$phases"
  GOMAXPROCS=1 m "load + model + 1,000 who-can, 1 core" "$bin/rbac-bench" whocan "$input" 2>>"$phases"
} >"$phases.results"

printf '%-40s %10s %10s %5s\n' "run" "seconds" "peak MB" "exit"
while IFS=$'\t' read -r label secs rss code; do
  printf '%-40s %10s %10s %5s\n' "$label" "$secs" "$rss" "$code"
done <"$phases.results"
echo
echo "phases (seconds; the driver's own timing, last run of each):"
grep -E '^(load|review|report|total|model|queries|per-query-ms|answers-per-query|findings)	' "$phases" | tail -n 12 | sed 's/^/  /'
review1=$(awk -F'\t' 'NR==1 { print $2 }' "$phases.results")
query=$(awk -F'\t' '$1 == "per-query-ms" { v = $2 } END { print v }' "$phases")
awk -v r="$review1" -v q="$query" 'BEGIN {
  printf "targets: review < 2 s (%.2f s on one core, load included): %s; who-can < 1 ms a query (%.3f ms): %s\n",
    r, (r < 2 ? "met" : "NOT met"), q, (q < 1 ? "met" : "NOT met")
}'
rm -f "$phases.results"

#!/usr/bin/env bash
# Benchmark of `jobguard scan` on generated manifests, with kube-score on the same input in the
# same run. Usage: bash bench/scan.sh [N]   (default N=10000 objects, ~8 MB)
#
# Reports objects/s and peak RSS for one multi-document file and for the same objects as 100 files,
# with GOMAXPROCS=1 (the target: >= 20,000 objects/s, < 200 MB) and with all cores; then kube-score
# (installed from the Go module proxy) and the ratios. kube-linter is not served by the module proxy:
# its figure on such an input (~4 s, 227 MB) is the reference the target is set against
# (jobguard >= 5x faster than kube-linter's figure, >= 10x faster than kube-score, less memory than both).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
out=bench/out
bin="$out/bin"
mkdir -p "$bin"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

echo "building jobguard and the benchmark tools..." >&2
# The release build: static (no cgo: a dynamically linked binary costs ~45 MB more resident
# memory for the loader's relocations) and stripped.
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/jobguard" ./cmd/jobguard
go build -o "$bin/measure" ./bench/measure
go run ./bench/gen -n "$n" -files 100 -out "$out/input"
if [ ! -x "$bin/kube-score" ]; then
  echo "installing kube-score from the Go module proxy..." >&2
  GOBIN="$(pwd)/$bin" go install github.com/zegl/kube-score/cmd/kube-score@v1.20.0
fi
size=$(du -h "$out/input/all.yaml" | cut -f1)
echo "input: $n objects, $size (one file), and the same in 100 files"
echo

m() { "$bin/measure" -label "$1" -- "${@:2}"; }
results=$(
  {
    GOMAXPROCS=1 m "jobguard 1 file, GOMAXPROCS=1" "$bin/jobguard" scan -o json --fail-on none "$out/input/all.yaml"
    GOMAXPROCS=1 m "jobguard 100 files, GOMAXPROCS=1" "$bin/jobguard" scan -o json --fail-on none "$out/input/split"
    m "jobguard 1 file, all cores" "$bin/jobguard" scan -o json --fail-on none "$out/input/all.yaml"
    m "kube-score 1 file" "$bin/kube-score" score --output-format ci "$out/input/all.yaml"
  }
)
printf '%-36s %10s %12s %12s %5s\n' "run" "seconds" "objects/s" "peak MB" "exit"
echo "$results" | while IFS=$'\t' read -r label secs rss code; do
  rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
  printf '%-36s %10s %12s %12s %5s\n' "$label" "$secs" "$rate" "$rss" "$code"
done
echo
jg=$(echo "$results" | awk -F'\t' 'NR==1 { print $2 }')
jgrss=$(echo "$results" | awk -F'\t' 'NR==1 { print $3 }')
ks=$(echo "$results" | awk -F'\t' 'NR==4 { print $2 }')
ksrss=$(echo "$results" | awk -F'\t' 'NR==4 { print $3 }')
awk -v jg="$jg" -v ks="$ks" -v jgrss="$jgrss" -v ksrss="$ksrss" -v n="$n" 'BEGIN {
  printf "jobguard (1 core) vs kube-score (same run):  %.1fx faster, %.0f MB vs %.0f MB\n", ks / jg, jgrss, ksrss
  kl = 4.0 * n / 10000
  printf "jobguard (1 core) vs kube-linter reference (~%.1f s, 227 MB for this size): %.1fx faster\n", kl, kl / jg
  ok = (n / jg >= 20000) && (jgrss < 200) && (ks / jg >= 10) && (kl / jg >= 5) && (jgrss < ksrss) && (jgrss < 227)
  printf "targets (>= 20,000 objects/s, < 200 MB, >= 10x kube-score, >= 5x kube-linter, less memory than both): %s\n", ok ? "met" : "NOT met"
}'

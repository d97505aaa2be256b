#!/usr/bin/env bash
# The whole test suite, as CI runs it: builds (or reuses) the control-plane binaries that the
# integration tests start, checks formatting and vet, then runs every test once.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== control plane (kube-apiserver, kube-controller-manager, etcd)"
JOBGUARD_CONTROLPLANE_BIN=$(bash hack/build-controlplane.sh)
export JOBGUARD_CONTROLPLANE_BIN

echo "== gofmt"
unformatted=$(gofmt -l $(find . -name '*.go' -not -path './.cache/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test"
go test -count=1 -timeout 45m "$@" ./...

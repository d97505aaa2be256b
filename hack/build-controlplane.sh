#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and etcd from the Go module proxy at the pinned
# versions (hack/controlplane-versions.sh) into a cache that outlives work trees, and prints the
# directory that holds them. Reuses what is already there; safe to run concurrently.
#
#   JOBGUARD_CACHE_DIR  where to cache (default: ${XDG_CACHE_HOME:-$HOME/.cache}/jobguard)
#
# k8s.io/kubernetes cannot be `go install`ed: its go.mod replaces the staging modules (k8s.io/api,
# k8s.io/apiserver, ...) with local paths. A throwaway module that requires it and replaces every
# staging module with its published v0.X.Y release builds it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=controlplane-versions.sh
. "$here/controlplane-versions.sh"

cache=${JOBGUARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/jobguard}
bin="$cache/controlplane/kube-$KUBE_VERSION-etcd-$ETCD_VERSION/bin"
mkdir -p "$bin"
log() { printf 'build-controlplane: %s\n' "$*" >&2; }

# One build at a time per cache (the API server alone takes ~3 GB and 20 CPU-minutes).
exec 9>"$bin/.lock"
flock 9

have() { [ -x "$bin/$1" ] && "$bin/$1" --version >/dev/null 2>&1; }

export GOFLAGS="-buildvcs=false -trimpath"
export CGO_ENABLED=0

staging_version="v0.${KUBE_VERSION#v1.}" # v1.37.2 -> v0.37.2
kmaj=1
kmin=$(echo "$KUBE_VERSION" | cut -d. -f2)

if ! have kube-apiserver || ! have kube-controller-manager; then
  work="$cache/src/kubernetes-$KUBE_VERSION"
  mkdir -p "$work"
  cd "$work"
  if [ ! -f go.mod ] || ! grep -q "k8s.io/kubernetes $KUBE_VERSION" go.mod; then
    log "preparing module for k8s.io/kubernetes $KUBE_VERSION"
    rm -f go.mod go.sum
    go mod init jobguard.local/controlplane-build >/dev/null 2>&1
    kgomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    [ -f "$kgomod" ] || { log "could not download k8s.io/kubernetes $KUBE_VERSION"; exit 1; }
    {
      echo "require k8s.io/kubernetes $KUBE_VERSION"
      # Every staging module the kubernetes go.mod requires at v0.0.0 gets its published release.
      awk '$2 == "v0.0.0" && $1 ~ /^k8s\.io\// { print $1 }' "$kgomod" | sort -u |
        while read -r m; do echo "replace $m => $m $staging_version"; done
    } >>go.mod
    printf 'package main\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"\n)\n\nfunc main() {}\n' >tools.go
    go mod tidy >/dev/null
  fi
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=$kmaj -X k8s.io/component-base/version.gitMinor=$kmin -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION -X k8s.io/client-go/pkg/version.gitMajor=$kmaj -X k8s.io/client-go/pkg/version.gitMinor=$kmin"
  log "building kube-apiserver and kube-controller-manager $KUBE_VERSION (first time: 20-30 minutes on 2 cores)"
  go build -ldflags "$ldflags" -o "$bin/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
fi

if ! have etcd; then
  work="$cache/src/etcd-$ETCD_VERSION"
  mkdir -p "$work"
  cd "$work"
  if [ ! -f go.mod ] || ! grep -q "go.etcd.io/etcd/server/v3 $ETCD_VERSION" go.mod; then
    log "preparing module for etcd $ETCD_VERSION"
    rm -f go.mod go.sum
    go mod init jobguard.local/etcd-build >/dev/null 2>&1
    echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION" >>go.mod
    printf 'package main\n\nimport _ "go.etcd.io/etcd/server/v3"\n\nfunc main() {}\n' >tools.go
    go mod tidy >/dev/null
  fi
  log "building etcd $ETCD_VERSION"
  go build -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3
fi

echo "$bin"

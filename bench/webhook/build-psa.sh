#!/usr/bin/env bash
# Builds the official Pod Security Admission webhook (k8s.io/pod-security-admission/cmd/webhook) from
# the Go module proxy, at the version of k8s.io/pod-security-admission in go.mod, into a cache that
# outlives work trees, and prints the binary's path. Reuses a cached build.
#
#   JOBGUARD_CACHE_DIR  where to cache (default: ${XDG_CACHE_HOME:-$HOME/.cache}/jobguard)
#
# `go install module/cmd@version` works here (unlike for kube-apiserver): the published
# k8s.io/pod-security-admission module has no replace directives.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(awk '$1 == "k8s.io/pod-security-admission" { print $2 }' go.mod)
[ -n "$version" ] || { echo "build-psa: k8s.io/pod-security-admission not found in go.mod" >&2; exit 1; }
cache=${JOBGUARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/jobguard}
bin="$cache/psa-webhook/$version"
mkdir -p "$bin"
exec 9>"$bin/.lock"
flock 9
if ! [ -x "$bin/webhook" ] || ! "$bin/webhook" --help >/dev/null 2>&1; then
  kver="v1.${version#v0.}" # v0.37.2 -> v1.37.2
  kmin=$(echo "$kver" | cut -d. -f2)
  echo "build-psa: building k8s.io/pod-security-admission/cmd/webhook@$version (about a minute)" >&2
  GOFLAGS="-buildvcs=false -trimpath" CGO_ENABLED=0 GOBIN="$bin" go install \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$kver -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$kmin" \
    "k8s.io/pod-security-admission/cmd/webhook@$version"
fi
echo "$bin/webhook"

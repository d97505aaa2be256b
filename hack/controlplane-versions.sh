# Pinned versions of the control-plane binaries that the integration tests run.
# Sourced by hack/build-controlplane.sh; keep in step with the k8s.io/* modules in go.mod.
KUBE_VERSION=v1.37.2
ETCD_VERSION=v3.7.3

// Package testcluster runs a real Kubernetes control plane for jobguard's integration tests:
// etcd, kube-apiserver and, on request, kube-controller-manager, at the versions pinned in
// hack/controlplane-versions.sh. It is imported only from _test.go files.
//
// # Use
//
// One cluster per test package:
//
//	func TestMain(m *testing.M) {
//		testcluster.Main(m, testcluster.Options{ControllerManager: true})
//	}
//
//	func TestSomething(t *testing.T) {
//		c := testcluster.Shared(t) // starts the cluster on first use
//		client := kubernetes.NewForConfigOrDie(c.AdminConfig())
//		...
//	}
//
// A test that needs other options starts its own with Start (call Require first) and defers
// Stop. Tests share the cluster, so each should work in namespaces of its own.
//
// # What runs
//
// Every process listens only on 127.0.0.1, on ports chosen free at start (Start retries when a
// port is taken before a process binds it), and keeps its state in one temporary directory
// (Cluster.Dir): certificates (ECDSA P-256, TLS 1.2 or newer), etcd's data (without fsync),
// each process's log, the audit policy and log, and kubeconfigs. The API server runs with
// --authorization-mode=Node,RBAC, client-certificate authentication, service-account token
// signing, --allow-privileged=true, audit logging to Cluster.AuditLogPath (DefaultAuditPolicy
// unless Options.AuditPolicy) and --endpoint-reconciler-type=none (which a loopback advertise
// address needs). Clients get identities through AdminConfig (system:masters), ConfigFor and
// ServiceAccountConfig (impersonation), KubeconfigFor (a client certificate of its own: real
// authentication, also for kubectl) and ServiceAccountTokenConfig (a TokenRequest token).
//
// With Options.ControllerManager, kube-controller-manager runs DefaultControllers (the workload
// chain, garbage collection, namespaces, service accounts, ClusterRole aggregation), each with
// a service account of its own, so the audit log shows e.g.
// system:serviceaccount:kube-system:job-controller creating a Job's pods. Pods stay Pending:
// there are no nodes. Without the controller manager nothing creates service accounts, so the
// ServiceAccount admission plugin rejects pods; start it for tests that create pods, or pass
// --disable-admission-plugins=ServiceAccount in Options.ExtraAPIServerFlags.
//
// Start-up takes about 3 s on two cores (4 s with the controller manager), once the binaries are
// built; Cluster.StartupTime tells.
//
// # Binaries
//
// Start runs hack/build-controlplane.sh, which prints the directory of the binaries, building
// them from the Go module proxy first if they are not cached in
// ${JOBGUARD_CACHE_DIR:-$HOME/.cache/jobguard}. A first build takes 5 to 40 minutes, longer
// than go test's default 10-minute timeout: run the script before the tests (CI does), or give
// go test a longer -timeout.
//
// # Teardown
//
// Stop kills the processes (each runs in a process group of its own) and removes the directory.
// On Linux the processes also get SIGKILL from the kernel when the test binary dies without
// Stop (a panic, a -timeout, a kill), and the next Start removes directories whose test binary
// is gone.
//
// # Environment
//
//   - JOBGUARD_SKIP_INTEGRATION=1 skips (t.Skip, with this reason) every test that calls Shared
//     or Require. It is the only way these tests skip: missing binaries are built, and a cluster
//     that cannot start fails the tests. With CI=true the variable is ignored.
//   - JOBGUARD_TESTCLUSTER_KEEP=1 keeps the cluster directory after Stop, to read the logs.
//   - JOBGUARD_CACHE_DIR moves the binary cache (read by hack/build-controlplane.sh).
package testcluster

package testcluster

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// SkipEnv is the only way to skip the tests that need a cluster: JOBGUARD_SKIP_INTEGRATION=1.
// It is ignored when CI=true.
const SkipEnv = "JOBGUARD_SKIP_INTEGRATION"

// shared is the cluster of the test binary: Main records its options and stops it; the first
// Shared call starts it.
var shared struct {
	opts    *Options
	once    sync.Once
	cluster *Cluster
	err     error
}

// Main runs a package's tests with a shared cluster and exits; call it from TestMain:
//
//	func TestMain(m *testing.M) { testcluster.Main(m, testcluster.Options{}) }
//
// The cluster starts when a test first calls Shared, so a run of only the package's unit tests
// (go test -run TestParse) starts nothing. Main stops it after the tests. If a test panics or
// the test binary times out, the kernel kills the processes with the binary and the next Start
// removes the directory left behind.
func Main(m *testing.M, opts Options) {
	shared.opts = &opts
	code := m.Run()
	shared.cluster.Stop()
	os.Exit(code)
}

// Shared returns the package's cluster, starting it on first use with the options given to Main.
// It skips t only as Require does, and fails t, with the reason, when the cluster could not start
// (every later caller gets the same error without a second attempt).
func Shared(t testing.TB) *Cluster {
	t.Helper()
	Require(t)
	if shared.opts == nil {
		t.Fatal("testcluster.Shared: this package has no TestMain calling testcluster.Main(m, opts)")
	}
	first := false
	shared.once.Do(func() {
		first = true
		shared.cluster, shared.err = Start(*shared.opts)
	})
	if shared.err != nil {
		t.Fatalf("testcluster: the package's cluster did not start: %v", shared.err)
	}
	if first {
		t.Logf("testcluster: cluster up in %v at %s (files in %s)",
			shared.cluster.StartupTime().Round(10*time.Millisecond), shared.cluster.URL(), shared.cluster.Dir())
	}
	return shared.cluster
}

// Require skips t when JOBGUARD_SKIP_INTEGRATION=1 (and CI is not true), and fails it when the
// variable has a value that is not a boolean. Tests that Start a cluster of their own call it
// first; Shared calls it.
func Require(t testing.TB) {
	t.Helper()
	skip, msg, err := integrationDecision(os.Getenv)
	switch {
	case err != nil:
		t.Fatal(err)
	case skip:
		t.Skip(msg)
	case msg != "":
		t.Log(msg)
	}
}

// integrationDecision reads SkipEnv and CI: whether to skip, with the message to show.
func integrationDecision(getenv func(string) string) (skip bool, msg string, err error) {
	v := getenv(SkipEnv)
	if v == "" {
		return false, "", nil
	}
	want, err := strconv.ParseBool(v)
	if err != nil {
		return false, "", fmt.Errorf("%s=%q is not a boolean (use 1 to skip the tests that need a kube-apiserver)", SkipEnv, v)
	}
	if !want {
		return false, "", nil
	}
	if ci, _ := strconv.ParseBool(getenv("CI")); ci {
		return false, fmt.Sprintf("%s is ignored because CI=true: integration tests always run in CI", SkipEnv), nil
	}
	return true, fmt.Sprintf("%s=%s: skipping a test that needs a real kube-apiserver and etcd", SkipEnv, v), nil
}

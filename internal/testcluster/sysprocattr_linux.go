package testcluster

import "syscall"

// childSysProcAttr puts a child in its own process group, so Stop can kill it with everything it
// forked, and has the kernel SIGKILL it when the test binary dies (a panic, a test timeout, a
// kill -9), so no etcd or kube-apiserver outlives the tests.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

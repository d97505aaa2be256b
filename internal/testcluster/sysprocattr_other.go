//go:build unix && !linux

package testcluster

import "syscall"

// childSysProcAttr puts a child in its own process group, so Stop can kill it with everything it
// forked. Without Linux's parent-death signal a child outlives a test binary that dies without
// running Stop.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

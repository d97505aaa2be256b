package testcluster

// Hooks for the tests of package testcluster_test.

// PIDs returns the process ids of c's processes in start order.
func PIDs(c *Cluster) []int {
	pids := make([]int, 0, len(c.procs))
	for _, p := range c.procs {
		pids = append(pids, p.cmd.Process.Pid)
	}
	return pids
}

// PIDAlive is pidAlive.
var PIDAlive = pidAlive

// SweepStaleDirs is sweepStaleDirs.
var SweepStaleDirs = sweepStaleDirs

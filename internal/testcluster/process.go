package testcluster

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is one control-plane child: etcd, kube-apiserver or kube-controller-manager.
type process struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{} // closed once Wait has returned
	waitErr error         // valid after exited is closed
}

// spawner starts every child from one goroutine locked to its OS thread for the life of the
// test binary. Linux sends the parent-death signal when the thread that forked a child ends,
// not when the process does; Go may end idle threads, so a child forked from an arbitrary
// thread could be killed in the middle of a test. The spawner's thread never ends.
var spawner struct {
	once sync.Once
	reqs chan spawnRequest
}

type spawnRequest struct {
	cmd  *exec.Cmd
	done chan error
}

func startOnSpawnerThread(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnRequest)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread must outlive every child
			for r := range spawner.reqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	spawner.reqs <- spawnRequest{cmd: cmd, done: done}
	return <-done
}

// startProcess starts bin with args in its own process group, stdout and stderr going to
// logPath. The child is killed when the test binary dies (see childSysProcAttr).
func startProcess(name, bin string, args []string, logPath string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s: opening log: %w", name, err)
	}
	defer logFile.Close() // the child has its own descriptor once started

	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = childEnv(os.Environ())
	cmd.SysProcAttr = childSysProcAttr()
	if err := startOnSpawnerThread(cmd); err != nil {
		return nil, fmt.Errorf("%s: starting %s: %w", name, bin, err)
	}
	p := &process{name: name, logPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// childEnv drops variables that would silently reconfigure a child: etcd reads every ETCD_*
// variable as a flag, and the Kubernetes binaries honour KUBECONFIG.
func childEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if strings.HasPrefix(kv, "ETCD_") || strings.HasPrefix(kv, "KUBECONFIG=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// hasExited reports whether the process has ended.
func (p *process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// exitDescription says how the process ended, for error messages.
func (p *process) exitDescription() string {
	if p.waitErr == nil {
		return "exited with status 0"
	}
	return p.waitErr.Error()
}

// kill sends SIGKILL to the process group and waits (bounded) until the leader has been reaped.
// The control-plane state is throwaway, so there is nothing to shut down gracefully.
func (p *process) kill() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	if !p.hasExited() {
		// The group id is the child's pid (Setpgid with Pgid 0).
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		_ = p.cmd.Process.Kill()
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
	}
}

// logTail returns the last n lines of a log file, for error messages.
func logTail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	const window = 64 << 10
	if st, err := f.Stat(); err == nil && st.Size() > window {
		_, _ = f.Seek(st.Size()-window, io.SeekStart)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(reading log: %v)", err)
	}
	return lastLines(string(data), n)
}

// logMentionsPortConflict reports whether a child failed because a port was taken between our
// probe and its bind.
func logMentionsPortConflict(path string) bool {
	data, err := os.ReadFile(path)
	return err == nil && bytes.Contains(data, []byte("address already in use"))
}

// freePorts returns n distinct TCP ports on 127.0.0.1 that were free a moment ago. All n
// listeners are held open together so the kernel does not hand out one port twice; the caller
// retries if another process takes one before the child binds it.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port on 127.0.0.1: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// dirPrefix names the temporary directories of clusters; ownerFile in each holds the pid of the
// test binary that made it.
const (
	dirPrefix = "jobguard-testcluster-"
	ownerFile = "owner.pid"
)

// sweepStaleDirs removes cluster directories left behind by test binaries that died without
// running Stop (a panic, a timeout, a kill). Their processes are already gone: they were
// killed with their parent.
func sweepStaleDirs(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
	for _, dir := range dirs {
		data, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			// A directory that another test binary has just made has no owner file yet; only
			// an old one without an owner is abandoned.
			if st, serr := os.Stat(dir); serr == nil && time.Since(st.ModTime()) > time.Hour {
				_ = os.RemoveAll(dir)
			}
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || !pidAlive(pid) {
			_ = os.RemoveAll(dir)
		}
	}
}

// pidAlive reports whether pid names a live (not zombie) process.
func pidAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	// A killed child whose new parent does not reap it stays a zombie; it is dead all the same.
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no procfs: trust kill(2)
	}
	// The state follows the parenthesised command name, which may itself contain ") ".
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z' && stat[i+2] != 'X'
	}
	return true
}

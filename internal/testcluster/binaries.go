package testcluster

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

const (
	modulePath  = "github.com/jobguard/jobguard"
	buildScript = "hack/build-controlplane.sh"
)

// binaries are the control-plane executables of one pinned version set.
type binaries struct {
	Dir               string
	Etcd              string
	APIServer         string
	ControllerManager string
}

// The build script is run at most once per test binary: it is cheap when the binaries are
// cached (it only runs each with --version) but takes tens of minutes when they are not.
var resolved struct {
	once sync.Once
	bins binaries
	err  error
}

// resolveBinaries runs hack/build-controlplane.sh, which builds the pinned kube-apiserver,
// kube-controller-manager and etcd unless they are cached, and returns their paths.
func resolveBinaries() (binaries, error) {
	resolved.once.Do(func() {
		resolved.bins, resolved.err = runBuildScript()
	})
	return resolved.bins, resolved.err
}

func runBuildScript() (binaries, error) {
	root, err := moduleRoot()
	if err != nil {
		return binaries{}, err
	}
	script := filepath.Join(root, buildScript)
	cmd := exec.Command("bash", script)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	// The first build takes long: show its progress as it happens, and keep it for the error.
	cmd.Stderr = io.MultiWriter(os.Stderr, &stderr)
	if err := cmd.Run(); err != nil {
		return binaries{}, fmt.Errorf("%s failed (%v); its output ends with:\n%s",
			buildScript, err, lastLines(stderr.String(), 30))
	}
	dir := lastLine(stdout.String())
	if dir == "" {
		return binaries{}, fmt.Errorf("%s printed no binary directory", buildScript)
	}
	b := binaries{
		Dir:               dir,
		Etcd:              filepath.Join(dir, "etcd"),
		APIServer:         filepath.Join(dir, "kube-apiserver"),
		ControllerManager: filepath.Join(dir, "kube-controller-manager"),
	}
	for _, p := range []string{b.Etcd, b.APIServer, b.ControllerManager} {
		if st, err := os.Stat(p); err != nil || st.Mode()&0o111 == 0 {
			return binaries{}, fmt.Errorf("%s succeeded but %s is not an executable file", buildScript, p)
		}
	}
	return b, nil
}

// moduleRoot finds the jobguard module root: first from this source file's location (a normal
// build records absolute paths), then by walking up from the working directory (go test runs
// in the package directory; a -trimpath build records only import paths).
func moduleRoot() (string, error) {
	var starts []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, start := range starts {
		for dir := start; ; dir = filepath.Dir(dir) {
			if isJobguardRoot(dir) {
				return dir, nil
			}
			if parent := filepath.Dir(dir); parent == dir {
				break
			}
		}
	}
	return "", fmt.Errorf("cannot find the %s module root (with %s) above %s",
		modulePath, buildScript, strings.Join(starts, " or "))
}

func isJobguardRoot(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 && fields[0] == "module" {
			if fields[1] != modulePath {
				return false
			}
			_, err := os.Stat(filepath.Join(dir, buildScript))
			return !errors.Is(err, os.ErrNotExist)
		}
	}
	return false
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

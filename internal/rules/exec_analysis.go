package rules

import (
	"path"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/jobguard/jobguard/internal/cmdline"
	"github.com/jobguard/jobguard/internal/workload"
)

// execIndicator is one indicator found in something a container runs, with where it was found.
type execIndicator struct {
	cmdline.Indicator
	Container workload.Container
	// Where says what was analysed, e.g. `command`, `env "POOL"`, `script /scripts/run.sh from
	// ConfigMap shop/tools key run.sh`.
	Where string
	Path  string
}

// execIndicators analyses everything the workload's containers run, once per evaluation: the
// command line, lifecycle hooks and exec probes, environment values, and scripts the command runs
// from a mounted ConfigMap of the same input.
func execIndicators(ctx *Context, w *workload.Workload) []execIndicator {
	return ctx.Memo("exec-indicators", func() any { return analyseWorkload(ctx, w) }).([]execIndicator)
}

func analyseWorkload(ctx *Context, w *workload.Workload) []execIndicator {
	var out []execIndicator
	volumes := map[string]*corev1.Volume{}
	for i := range w.PodSpec.Volumes {
		volumes[w.PodSpec.Volumes[i].Name] = &w.PodSpec.Volumes[i]
	}
	for _, c := range w.Containers() {
		var opts *cmdline.Options // built for the first command line analysed
		options := func() *cmdline.Options {
			if opts == nil {
				opts = &cmdline.Options{Env: literalEnv(c.Container), HostMounts: hostMounts(c.Container, volumes)}
			}
			return opts
		}
		add := func(where, p string, inds []cmdline.Indicator) {
			for _, in := range inds {
				out = append(out, execIndicator{Indicator: in, Container: c, Where: where, Path: p})
			}
		}
		argv := c.Command
		if len(c.Args) > 0 {
			argv = append(c.Command[:len(c.Command):len(c.Command)], c.Args...)
		}
		if len(argv) > 0 {
			where, p := "command", c.Path+".command"
			if len(c.Command) == 0 {
				where, p = "args", c.Path+".args"
			}
			add(where, p, analyseArgv(argv, c.Container, volumes, options))
			if mountsConfigMap(c.Container, volumes) {
				for _, file := range cmdline.ScriptFiles(argv) {
					if script, from := configMapScript(ctx, w, c.Container, volumes, file); script != "" {
						add("script "+file+" from "+from, p, cmdline.AnalyzeFile(file, script, options()))
					}
				}
			}
		}
		for _, h := range execHandlers(c) {
			add(h.where, h.path, cmdline.AnalyzeWith(h.command, options()))
		}
		for i, e := range c.Env {
			p := c.Path + ".env[" + strconv.Itoa(i) + "]"
			switch {
			case e.Value != "":
				add("env "+quote(e.Name), p+".value", cmdline.AnalyzeEnv(e.Name, e.Value))
			case e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil:
				ref := e.ValueFrom.ConfigMapKeyRef
				if cm := ctx.Set.ConfigMap(w.Namespace(), ref.Name); cm != nil {
					if v, ok := cm.Data[ref.Key]; ok {
						add("env "+quote(e.Name)+" from ConfigMap "+w.Namespace()+"/"+ref.Name+" key "+ref.Key, p+".valueFrom", cmdline.AnalyzeEnv(e.Name, v))
					}
				}
			}
		}
	}
	return out
}

// mountsConfigMap reports whether the container mounts a ConfigMap (directly or projected), the
// only way a script it runs can come from the input.
func mountsConfigMap(c *corev1.Container, volumes map[string]*corev1.Volume) bool {
	for _, vm := range c.VolumeMounts {
		if v := volumes[vm.Name]; v != nil && len(configMapSources(v)) > 0 {
			return true
		}
	}
	return false
}

// argvCache holds analyses of command lines already seen: charts and controllers repeat the same
// command across many workloads. It is keyed by everything the analysis reads (argv, literal env,
// host mounts), bounded, and emptied when full. Indicators are values; callers only read them.
var argvCache = struct {
	sync.Mutex
	m map[string][]cmdline.Indicator
}{m: map[string][]cmdline.Indicator{}}

const argvCacheMax = 8192

// analyseArgv analyses the command line argv of container c; options builds the analysis options
// (c's literal env and host mounts), which only a cache miss needs. The key lists c's literal env
// entries and host mounts in order: the same lists give the same options.
func analyseArgv(argv []string, c *corev1.Container, volumes map[string]*corev1.Volume, options func() *cmdline.Options) []cmdline.Indicator {
	var b strings.Builder
	for _, a := range argv {
		b.WriteString(a)
		b.WriteByte(0)
	}
	b.WriteByte(1)
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			b.WriteString(e.Name)
			b.WriteByte(0)
			b.WriteString(e.Value)
			b.WriteByte(0)
		}
	}
	b.WriteByte(2)
	for _, vm := range c.VolumeMounts {
		if v := volumes[vm.Name]; v != nil && v.HostPath != nil {
			b.WriteString(vm.MountPath)
			b.WriteByte(0)
			b.WriteString(v.HostPath.Path)
			b.WriteByte(0)
			b.WriteString(vm.SubPath)
			b.WriteByte(0)
		}
	}
	key := b.String()
	argvCache.Lock()
	inds, ok := argvCache.m[key]
	argvCache.Unlock()
	if ok {
		return inds
	}
	inds = cmdline.AnalyzeWith(argv, options())
	argvCache.Lock()
	if len(argvCache.m) >= argvCacheMax {
		clear(argvCache.m)
	}
	argvCache.m[key] = inds
	argvCache.Unlock()
	return inds
}

type handler struct {
	where, path string
	command     []string
}

// execHandlers returns the exec commands of a container's lifecycle hooks and probes: code that runs
// in the container as surely as its command does.
func execHandlers(c workload.Container) []handler {
	var hs []handler
	if lc := c.Lifecycle; lc != nil {
		if lc.PostStart != nil && lc.PostStart.Exec != nil {
			hs = append(hs, handler{"lifecycle.postStart", c.Path + ".lifecycle.postStart.exec.command", lc.PostStart.Exec.Command})
		}
		if lc.PreStop != nil && lc.PreStop.Exec != nil {
			hs = append(hs, handler{"lifecycle.preStop", c.Path + ".lifecycle.preStop.exec.command", lc.PreStop.Exec.Command})
		}
	}
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
	}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}} {
		if p.probe != nil && p.probe.Exec != nil {
			hs = append(hs, handler{p.name, c.Path + "." + p.name + ".exec.command", p.probe.Exec.Command})
		}
	}
	return hs
}

func literalEnv(c *corev1.Container) map[string]string {
	if len(c.Env) == 0 {
		return nil
	}
	env := make(map[string]string, len(c.Env))
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
		}
	}
	return env
}

// hostMounts maps the container's mount paths to the host paths of hostPath volumes mounted there.
func hostMounts(c *corev1.Container, volumes map[string]*corev1.Volume) map[string]string {
	var m map[string]string
	for _, vm := range c.VolumeMounts {
		v := volumes[vm.Name]
		if v == nil || v.HostPath == nil {
			continue
		}
		if m == nil {
			m = map[string]string{}
		}
		m[vm.MountPath] = path.Join(v.HostPath.Path, vm.SubPath)
	}
	return m
}

// configMapScript returns the content of file when the container mounts it from a ConfigMap of the
// input (a configMap or projected volume, with or without items and subPath), and names the source.
func configMapScript(ctx *Context, w *workload.Workload, c *corev1.Container, volumes map[string]*corev1.Volume, file string) (string, string) {
	file = path.Clean(file)
	for _, vm := range c.VolumeMounts {
		v := volumes[vm.Name]
		if v == nil {
			continue
		}
		mount := path.Clean(vm.MountPath)
		var rel string
		switch {
		case vm.SubPath != "" && file == mount:
			rel = vm.SubPath
		case vm.SubPath == "" && strings.HasPrefix(file, mount+"/"):
			rel = strings.TrimPrefix(file, mount+"/")
		default:
			continue
		}
		for _, src := range configMapSources(v) {
			if key, ok := keyFor(src.items, rel); ok {
				if cm := ctx.Set.ConfigMap(w.Namespace(), src.name); cm != nil {
					if data, ok := cm.Data[key]; ok {
						return data, "ConfigMap " + w.Namespace() + "/" + src.name + " key " + key
					}
				}
			}
		}
	}
	return "", ""
}

type cmSource struct {
	name  string
	items []corev1.KeyToPath
}

func configMapSources(v *corev1.Volume) []cmSource {
	var out []cmSource
	if v.ConfigMap != nil {
		out = append(out, cmSource{v.ConfigMap.Name, v.ConfigMap.Items})
	}
	if v.Projected != nil {
		for _, s := range v.Projected.Sources {
			if s.ConfigMap != nil {
				out = append(out, cmSource{s.ConfigMap.Name, s.ConfigMap.Items})
			}
		}
	}
	return out
}

// keyFor maps a file path inside the volume to the ConfigMap key projected there.
func keyFor(items []corev1.KeyToPath, rel string) (string, bool) {
	if len(items) == 0 {
		return rel, !strings.Contains(rel, "/")
	}
	for _, it := range items {
		if path.Clean(it.Path) == rel {
			return it.Key, true
		}
	}
	return "", false
}

// execResults turns the workload's indicators of one class into results: one per container and
// per thing analysed, naming every piece of evidence found there.
func execResults(ctx *Context, w *workload.Workload, class cmdline.Class) []Result {
	var out []Result
	var last *execIndicator
	inds := execIndicators(ctx, w)
	for i := range inds {
		in := &inds[i]
		if in.Class != class {
			continue
		}
		if last != nil && last.Container.Path == in.Container.Path && last.Where == in.Where && last.Path == in.Path {
			out[len(out)-1].Message += "; " + evidenceClause(in)
			continue
		}
		last = in
		out = append(out, Result{
			Message:   string(in.Container.Type) + " " + quote(in.Container.Name) + " " + in.Where + ": " + evidenceClause(in),
			Path:      in.Path,
			Container: in.Container.Name,
			Image:     in.Container.Image,
		})
	}
	return out
}

// evidenceClause is "detail (evidence)"; cmdline already keeps evidence on one line of at most 200
// bytes.
func evidenceClause(in *execIndicator) string { return in.Detail + " (" + in.Evidence + ")" }

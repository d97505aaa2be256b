package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"k8s.io/pod-security-admission/api"

	"github.com/jobguard/jobguard/internal/config"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/workload"
)

// Annotations that suppress findings on the object that carries them.
const (
	AnnotationIgnore       = "jobguard.io/ignore"
	AnnotationIgnoreReason = "jobguard.io/ignore-reason"
)

// PSA namespace labels that choose the PSS level and version of a namespace.
const (
	LabelEnforce        = api.EnforceLevelLabel
	LabelEnforceVersion = api.EnforceVersionLabel
)

// Options configure an Engine.
type Options struct {
	Config *config.Config
	// PSS is the level and version used where a namespace says nothing. Zero value: restricted, latest.
	PSS api.LevelVersion
	// PSSLevelFixed and PSSVersionFixed make PSS win over namespace labels (the user set the flag).
	PSSLevelFixed, PSSVersionFixed bool
	// NamespaceLabels returns a namespace's labels, when known (e.g. from an informer). When nil,
	// Namespace objects of the input set are used.
	NamespaceLabels func(namespace string) (map[string]string, bool)
}

// Engine runs the enabled rules. It is safe for concurrent use.
type Engine struct {
	opts  Options
	cfg   *config.Config
	rules []*Rule
	// attack holds each rule's technique list (T1053.007 first), shared by its findings.
	attack map[*Rule][]string
}

// New returns an engine for the options. A config that names an unknown rule is an error.
func New(opts Options) (*Engine, error) {
	cfg := opts.Config
	if cfg == nil {
		cfg = &config.Config{}
	}
	if opts.PSS.Level == "" {
		opts.PSS.Level = api.LevelRestricted
	}
	if opts.PSS.Version == (api.Version{}) {
		opts.PSS.Version = api.LatestVersion()
	}
	for _, id := range cfg.Rules.Disabled {
		if Lookup(id) == nil {
			return nil, fmt.Errorf("config: rules.disabled: unknown rule %q (see `jobguard rules`)", id)
		}
	}
	for id := range cfg.Rules.Severity {
		if Lookup(id) == nil {
			return nil, fmt.Errorf("config: rules.severity: unknown rule %q (see `jobguard rules`)", id)
		}
	}
	e := &Engine{opts: opts, cfg: cfg, attack: map[*Rule][]string{}}
	for _, r := range All() {
		if !cfg.Disabled(r.ID) {
			e.rules = append(e.rules, r)
			a := appendUnique([]string{Technique}, r.Attack...)
			e.attack[r] = a[:len(a):len(a)] // full slice: an append by a caller copies
		}
	}
	return e, nil
}

// Rules returns the enabled rules.
func (e *Engine) Rules() []*Rule { return e.rules }

// PSSFor returns the PSS level and version that apply in a namespace: the flags when fixed, else the
// namespace's pod-security.kubernetes.io/enforce[-version] labels, else the defaults.
func (e *Engine) PSSFor(set *input.Set, namespace string) api.LevelVersion {
	lv := e.opts.PSS
	if e.opts.PSSLevelFixed && e.opts.PSSVersionFixed {
		return lv
	}
	var labels map[string]string
	if e.opts.NamespaceLabels != nil {
		labels, _ = e.opts.NamespaceLabels(namespace)
	} else if ns := set.Namespace(namespace); ns != nil {
		labels = ns.Labels
	}
	if !e.opts.PSSLevelFixed {
		if l, err := api.ParseLevel(labels[LabelEnforce]); err == nil {
			lv.Level = l
		}
	}
	if !e.opts.PSSVersionFixed {
		if v, err := api.ParseVersion(labels[LabelEnforceVersion]); err == nil {
			lv.Version = v
		}
	}
	return lv
}

// Evaluate judges one object of set (set may be nil) and returns its findings, suppressed ones
// included and marked. Objects that run no pods have no findings.
func (e *Engine) Evaluate(set *input.Set, obj *input.Object) []finding.Finding {
	out := e.EvaluateAppend(nil, set, obj)
	if len(out) == 0 {
		return nil
	}
	return out
}

// EvaluateAppend is Evaluate, appending the findings to dst: a caller that judges many objects
// reuses one buffer instead of allocating for each.
func (e *Engine) EvaluateAppend(dst []finding.Finding, set *input.Set, obj *input.Object) []finding.Finding {
	w := workload.From(obj.Obj)
	if w == nil {
		return dst
	}
	if set == nil {
		set = input.NewSet([]*input.Object{obj})
	}
	ctx := &Context{Object: obj, Set: set, Config: e.cfg, PSS: e.PSSFor(set, w.Namespace())}
	start := len(dst)
	for _, r := range e.rules {
		for _, res := range r.Check(ctx, w) {
			dst = append(dst, e.toFinding(r, obj, res))
		}
	}
	out := dst[start:]
	if len(out) == 0 {
		return dst
	}
	suppress(out, w, e.cfg)
	combine(out)
	return sortFindings(dst, start)
}

// compareFindings orders an object's findings: by severity (highest first), rule and path.
func compareFindings(a, b *finding.Finding) int {
	if a.Severity != b.Severity {
		return cmp.Compare(b.Severity, a.Severity)
	}
	if c := strings.Compare(a.Rule, b.Rule); c != 0 {
		return c
	}
	return strings.Compare(a.Resource.Path, b.Resource.Path)
}

// sortFindings sorts dst[start:] stably with compareFindings. Findings are large: it sorts their
// indices and moves each finding once, through the spare room after dst.
func sortFindings(dst []finding.Finding, start int) []finding.Finding {
	out := dst[start:]
	sorted := true
	for i := 1; i < len(out) && sorted; i++ {
		sorted = compareFindings(&out[i-1], &out[i]) <= 0
	}
	if sorted {
		return dst
	}
	var buf [64]int32
	idx := buf[:0]
	for i := range out {
		idx = append(idx, int32(i))
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return compareFindings(&out[a], &out[b]) })
	end := len(dst)
	for _, i := range idx {
		dst = append(dst, out[i])
	}
	copy(dst[start:end], dst[end:])
	clear(dst[end:])
	return dst[:end]
}

// EvaluateAll judges every object of set, in input order.
func (e *Engine) EvaluateAll(set *input.Set) []finding.Finding {
	var out []finding.Finding
	for _, o := range set.Objects {
		out = append(out, e.Evaluate(set, o)...)
	}
	return out
}

func (e *Engine) toFinding(r *Rule, obj *input.Object, res Result) finding.Finding {
	sev := r.Severity
	if res.Severity != 0 {
		sev = res.Severity
	}
	if s, ok := e.cfg.Rules.Severity[r.ID]; ok {
		sev = s
	}
	attack := e.attack[r] // every rule Evaluate runs got its list in New
	if len(res.Attack) > 0 {
		attack = appendUnique(append([]string(nil), attack...), res.Attack...)
	}
	resource := obj.Source
	resource.Path = res.Path
	if res.Path != "" {
		resource.Line = obj.LineOf(res.Path)
	}
	f := finding.Finding{
		Rule:         r.ID,
		Category:     r.Category,
		Severity:     sev,
		Title:        r.Title,
		Message:      res.Message,
		Resource:     resource,
		Container:    res.Container,
		Attack:       attack,
		ThreatMatrix: r.ThreatMatrix,
		Mitigations:  r.Mitigations,
		Remediation:  r.Remediation,
	}
	if res.Image != "" {
		if why, ok := e.cfg.ExemptImage(res.Image); ok {
			f.Suppressed, f.Suppression = true, why
		}
	}
	return f
}

// suppress marks findings suppressed by the object's annotations or the config's exemptions.
func suppress(fs []finding.Finding, w *workload.Workload, cfg *config.Config) {
	var ignored map[string]bool
	if list := w.Meta.Annotations[AnnotationIgnore]; list != "" {
		ignored = map[string]bool{}
		for _, id := range strings.Split(list, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ignored[id] = true
			}
		}
	}
	reason := w.Meta.Annotations[AnnotationIgnoreReason]
	exemptWhy, exempt := cfg.ExemptObject(w.Meta.Namespace, w.Meta.Name)
	for i := range fs {
		f := &fs[i]
		if f.Suppressed {
			continue
		}
		switch {
		case ignored[f.Rule] || ignored["*"] || ignored[string(f.Category)]:
			f.Suppressed = true
			f.Suppression = "annotation " + AnnotationIgnore
			if reason != "" {
				f.Suppression += ": " + reason
			}
		case exempt:
			f.Suppressed, f.Suppression = true, exemptWhy
		}
	}
}

func appendUnique(s []string, vs ...string) []string {
	for _, v := range vs {
		found := false
		for _, x := range s {
			if x == v {
				found = true
				break
			}
		}
		if !found {
			s = append(s, v)
		}
	}
	return s
}

// Package vap exports the jobguard rules that CEL can express as a Kubernetes
// ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding (admissionregistration.k8s.io/v1,
// built into the API server since Kubernetes 1.30), for clusters that want admission control
// without running jobguard's webhook.
//
// The policy matches CREATE and UPDATE of every workload kind (Pods, PodTemplates,
// ReplicationControllers, CronJobs, Jobs, Deployments, DaemonSets, StatefulSets, ReplicaSets, and
// ephemeral containers added to Pods), finds the pod spec by kind with a CEL variable, and has one
// validation per exported check. Updates that leave the pod spec (the whole spec of the object)
// alone are not judged again, as in the webhook. The config's exemptions (namespaces, names,
// images), disabled rules and severity overrides apply; the export's header says which rules are
// covered, which are not and why.
package vap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/internal/config"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/rules"
)

// Action is what the binding does with a failed validation.
type Action string

// Actions, as `--action` names them.
const (
	ActionDeny  Action = "deny"
	ActionWarn  Action = "warn"
	ActionAudit Action = "audit"
)

// Actions lists the valid actions.
var Actions = []Action{ActionDeny, ActionWarn, ActionAudit}

// DefaultName is the default name of the policy and its binding.
const DefaultName = "jobguard"

// Options configure an export.
type Options struct {
	// Config supplies allowedRegistries, exemptions, disabled rules and severity overrides. Nil is
	// the default config.
	Config *config.Config
	// MinSeverity selects the checks to export: those at or above it. Zero means high.
	MinSeverity finding.Severity
	// Action maps to the binding's validationActions. Empty means deny.
	Action Action
	// ExcludeNamespaces are left out by the binding's namespaceSelector.
	ExcludeNamespaces []string
	// Name names the policy and the binding. Empty means DefaultName.
	Name string
	// Version is jobguard's version, written into the header and an annotation.
	Version string
	// Command is the command line that made the export, for the header ("" leaves it out).
	Command string
}

// Skipped is a rule, or part of one, that the export leaves out, and why.
type Skipped struct {
	Rule   string
	Reason string
}

// Export is a rendered policy and binding with what they cover.
type Export struct {
	Policy  *admissionregistrationv1.ValidatingAdmissionPolicy
	Binding *admissionregistrationv1.ValidatingAdmissionPolicyBinding
	// Covered are the exported checks, in the order of the policy's validations.
	Covered []Check
	// NotExportable are rules CEL cannot express; BelowThreshold are checks under MinSeverity;
	// Disabled are rules the config disables.
	NotExportable  []Skipped
	BelowThreshold []Check
	Disabled       []string

	opts Options
}

// Build makes the export. Bad options are errors that name the option.
func Build(opts Options) (*Export, error) {
	if opts.Config == nil {
		opts.Config = &config.Config{}
	}
	if opts.MinSeverity == finding.SeverityNone {
		opts.MinSeverity = finding.SeverityHigh
	}
	if opts.MinSeverity < finding.SeverityInfo || opts.MinSeverity > finding.SeverityCritical {
		return nil, fmt.Errorf("min severity %s: want one of critical, high, medium, low, info", opts.MinSeverity)
	}
	if opts.Action == "" {
		opts.Action = ActionDeny
	}
	if !slices.Contains(Actions, opts.Action) {
		return nil, fmt.Errorf("action %q: want deny, warn or audit", opts.Action)
	}
	if opts.Name == "" {
		opts.Name = DefaultName
	}
	if errs := validation.IsDNS1123Subdomain(opts.Name); len(errs) > 0 {
		return nil, fmt.Errorf("name %q: %s", opts.Name, strings.Join(errs, "; "))
	}
	for _, ns := range opts.ExcludeNamespaces {
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return nil, fmt.Errorf("excluded namespace %q: %s", ns, strings.Join(errs, "; "))
		}
	}
	cfg := opts.Config
	for _, id := range cfg.Rules.Disabled {
		if rules.Lookup(id) == nil {
			return nil, fmt.Errorf("config: rules.disabled: unknown rule %q (see `jobguard rules`)", id)
		}
	}
	for id := range cfg.Rules.Severity {
		if rules.Lookup(id) == nil {
			return nil, fmt.Errorf("config: rules.severity: unknown rule %q (see `jobguard rules`)", id)
		}
	}

	byRule := map[string][]Check{}
	for _, c := range catalogue(cfg) {
		byRule[c.Rule] = append(byRule[c.Rule], c)
	}
	e := &Export{opts: opts}
	for _, r := range rules.All() {
		checks, exportable := byRule[r.ID]
		switch {
		case cfg.Disabled(r.ID):
			e.Disabled = append(e.Disabled, r.ID)
			continue
		case r.ID == "image-registry-not-allowed" && len(cfg.AllowedRegistries) == 0:
			e.NotExportable = append(e.NotExportable, Skipped{r.ID, "the config lists no allowedRegistries " +
				"(the rule does nothing then): pass --config with allowedRegistries"})
			continue
		case !exportable:
			reason := notExportedReason(r.ID)
			if reason == "" {
				reason = "CEL cannot express it"
			}
			e.NotExportable = append(e.NotExportable, Skipped{r.ID, reason})
			continue
		}
		for _, c := range checks {
			if s, ok := cfg.Rules.Severity[r.ID]; ok {
				c.Severity = s
			}
			if c.Severity >= opts.MinSeverity {
				e.Covered = append(e.Covered, c)
			} else {
				e.BelowThreshold = append(e.BelowThreshold, c)
			}
		}
	}
	if len(e.Covered) == 0 {
		return nil, fmt.Errorf("no exportable check is at or above severity %s (with this config): nothing to export", opts.MinSeverity)
	}
	e.Policy = e.policy()
	e.Binding = e.binding()
	return e, nil
}

// CoveredRules returns the IDs of the rules with at least one exported check, in policy order.
func (e *Export) CoveredRules() []string {
	var out []string
	for _, c := range e.Covered {
		if !slices.Contains(out, c.Rule) {
			out = append(out, c.Rule)
		}
	}
	return out
}

// Label and annotations the export puts on its objects.
const (
	AnnotationVersion     = "jobguard.io/version"
	AnnotationMinSeverity = "jobguard.io/min-severity"
	AnnotationRules       = "jobguard.io/rules"
	labelName             = "app.kubernetes.io/name"
	labelManagedBy        = "app.kubernetes.io/managed-by"
)

var variableRef = regexp.MustCompile(`variables\.([A-Za-z_][A-Za-z0-9_]*)`)

func (e *Export) policy() *admissionregistrationv1.ValidatingAdmissionPolicy {
	fail := admissionregistrationv1.Fail
	equivalent := admissionregistrationv1.Equivalent
	forbidden := metav1.StatusReasonForbidden
	ops := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}
	rule := func(group string, resources ...string) admissionregistrationv1.NamedRuleWithOperations {
		return admissionregistrationv1.NamedRuleWithOperations{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
			Operations: ops,
			Rule: admissionregistrationv1.Rule{
				APIGroups: []string{group}, APIVersions: []string{"*"}, Resources: resources,
			},
		}}
	}
	var validations []admissionregistrationv1.Validation
	used := map[string]bool{}
	for _, c := range e.Covered {
		validations = append(validations, admissionregistrationv1.Validation{
			Expression:        preferDoubleQuotes(c.expression),
			MessageExpression: preferDoubleQuotes(c.message),
			Message:           "jobguard rule " + c.Rule + " (" + c.Severity.String() + "): " + c.Summary,
			Reason:            &forbidden,
		})
		markUsed(used, c.expression, c.message)
	}
	vars := variables(e.opts.Config.Exemptions.Images)
	for i := len(vars) - 1; i >= 0; i-- {
		if used[vars[i].name] {
			markUsed(used, vars[i].expression)
		}
	}
	var pvars []admissionregistrationv1.Variable
	for _, v := range vars {
		if used[v.name] {
			pvars = append(pvars, admissionregistrationv1.Variable{Name: v.name, Expression: preferDoubleQuotes(v.expression)})
		}
	}
	return &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: e.meta(),
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: &fail,
			MatchConstraints: &admissionregistrationv1.MatchResources{
				MatchPolicy: &equivalent,
				ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{
					rule("", "pods", "pods/ephemeralcontainers", "podtemplates", "replicationcontrollers"),
					rule("apps", "daemonsets", "deployments", "replicasets", "statefulsets"),
					rule("batch", "cronjobs", "jobs"),
				},
			},
			MatchConditions: e.matchConditions(),
			Variables:       pvars,
			Validations:     validations,
		},
	}
}

func markUsed(used map[string]bool, exprs ...string) {
	for _, x := range exprs {
		for _, m := range variableRef.FindAllStringSubmatch(x, -1) {
			used[m[1]] = true
		}
	}
}

// matchConditions skip what the webhook does not judge either: updates that leave the pod spec
// alone, and the objects the config exempts.
func (e *Export) matchConditions() []admissionregistrationv1.MatchCondition {
	conds := []admissionregistrationv1.MatchCondition{{
		Name: "spec-changed",
		Expression: "request.operation != 'UPDATE' || (request.kind.kind == 'PodTemplate' ? " +
			"dyn(object).template != dyn(oldObject).template : dyn(object).spec != dyn(oldObject).spec)",
	}}
	ex := e.opts.Config.Exemptions
	if len(ex.Namespaces) > 0 {
		conds = append(conds, admissionregistrationv1.MatchCondition{
			Name:       "namespace-not-exempt",
			Expression: "!request.namespace.matches(" + celString(globRegexp(ex.Namespaces)) + ")",
		})
	}
	var qualified, plain []string
	for _, p := range ex.Names {
		if strings.Contains(p, "/") {
			qualified = append(qualified, p)
		} else {
			plain = append(plain, p)
		}
	}
	const name = "(has(object.metadata.name) ? object.metadata.name : '')"
	var terms []string
	if len(qualified) > 0 {
		terms = append(terms, "!(request.namespace + '/' + "+name+").matches("+celString(globRegexp(qualified))+")")
	}
	if len(plain) > 0 {
		terms = append(terms, "!"+name+".matches("+celString(globRegexp(plain))+")")
	}
	if len(terms) > 0 {
		conds = append(conds, admissionregistrationv1.MatchCondition{Name: "name-not-exempt", Expression: strings.Join(terms, " && ")})
	}
	for i := range conds {
		conds[i].Expression = preferDoubleQuotes(conds[i].Expression)
	}
	return conds
}

func (e *Export) meta() metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:   e.opts.Name,
		Labels: map[string]string{labelName: "jobguard", labelManagedBy: "jobguard"},
		Annotations: map[string]string{
			AnnotationVersion:     e.opts.Version,
			AnnotationMinSeverity: e.opts.MinSeverity.String(),
			AnnotationRules:       strings.Join(e.CoveredRules(), ","),
		},
	}
}

func (e *Export) binding() *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	action := map[Action]admissionregistrationv1.ValidationAction{
		ActionDeny: admissionregistrationv1.Deny, ActionWarn: admissionregistrationv1.Warn, ActionAudit: admissionregistrationv1.Audit,
	}[e.opts.Action]
	b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: e.meta(),
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        e.opts.Name,
			ValidationActions: []admissionregistrationv1.ValidationAction{action},
		},
	}
	if len(e.opts.ExcludeNamespaces) > 0 {
		ns := slices.Clone(e.opts.ExcludeNamespaces)
		slices.Sort(ns)
		b.Spec.MatchResources = &admissionregistrationv1.MatchResources{
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: slices.Compact(ns),
			}}},
		}
	}
	return b
}

// WriteYAML writes the header comment, the policy and the binding as one YAML stream.
func (e *Export) WriteYAML(w io.Writer) error {
	var buf bytes.Buffer
	buf.WriteString(e.Header())
	for i, obj := range []any{e.Policy, e.Binding} {
		y, err := renderYAML(obj)
		if err != nil {
			return err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(y)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// renderYAML renders an API object without the empty fields the Go types always carry
// (metadata.creationTimestamp, status).
func renderYAML(obj any) ([]byte, error) {
	js, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	if m == nil {
		return nil, errors.New("vap: empty object")
	}
	return yaml.Marshal(m)
}

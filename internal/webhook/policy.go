package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/jobguard/jobguard/internal/finding"
)

// Mode is one of the three ways the webhook acts on a finding, named like Pod Security Admission's.
type Mode string

const (
	// ModeEnforce denies the request.
	ModeEnforce Mode = "enforce"
	// ModeWarn returns a warning that kubectl shows to the user.
	ModeWarn Mode = "warn"
	// ModeAudit records audit annotations on the request's audit event.
	ModeAudit Mode = "audit"
)

// Modes lists the modes in the order the webhook applies them.
var Modes = []Mode{ModeEnforce, ModeWarn, ModeAudit}

// Namespace labels that override the cluster's lowest triggering severity of each mode for the objects
// of one namespace. Values are severities: critical, high, medium, low, info, or none (mode off).
const (
	LabelEnforce = "jobguard.io/enforce"
	LabelWarn    = "jobguard.io/warn"
	LabelAudit   = "jobguard.io/audit"
)

// Policy is the webhook's cluster policy.
type Policy struct {
	// Enforce, Warn and Audit are the cluster defaults: the lowest severity of an unsuppressed finding
	// that triggers each mode. SeverityNone switches a mode off. Namespace labels override them.
	Enforce, Warn, Audit finding.Severity
	// HonorIgnoreAnnotations lets the jobguard.io/ignore annotation of an object suppress its own
	// findings at admission. Off by default: whoever may create a CronJob may also annotate it, so an
	// annotation must not be a way around the webhook. Suppressions from the engine's config
	// (exempt names and images) always apply.
	HonorIgnoreAnnotations bool
	// Exempt lists requests the webhook lets through unjudged, and containers and pods whose findings
	// it ignores.
	Exempt Exemptions
	// JobCreators is ATT&CK mitigation M1018 (user account management) as policy: per namespace, the
	// users and groups allowed to create or change CronJobs and Jobs. The key "*" applies to every
	// namespace without an entry of its own. A namespace without an entry (and no "*") is not
	// restricted. The controllers that create Jobs and Pods for CronJobs and Jobs are always allowed
	// (see ImplicitJobCreators).
	JobCreators map[string]Subjects
}

// Exemptions are like Pod Security Admission's (usernames, runtime classes, namespaces) with images
// and service accounts added. Every entry is a glob pattern (path.Match: "*" matches any run of
// characters but "/").
type Exemptions struct {
	// Usernames: requests by these users are allowed without evaluation.
	Usernames []string
	// RuntimeClasses: pods (and templates) with these runtimeClassName values are allowed without
	// evaluation of their findings.
	RuntimeClasses []string
	// Namespaces: requests in these namespaces are allowed without evaluation.
	Namespaces []string
	// Images: findings about containers running these images are ignored.
	Images []string
	// ServiceAccounts ("namespace/name", or "name" for any namespace): findings of pods that run as
	// these service accounts are ignored.
	ServiceAccounts []string
}

// Subjects are the users and groups of a JobCreators entry (glob patterns, as in Exemptions).
type Subjects struct {
	Users  []string
	Groups []string
}

// ImplicitJobCreators are the usernames always allowed to create Jobs (and their Pods) whatever
// JobCreators says: the CronJob and Job controllers, under their own service accounts (kube-controller-
// manager --use-service-account-credentials, the default of kubeadm and most distributions) or under
// the controller manager's shared identity.
var ImplicitJobCreators = []string{
	"system:serviceaccount:kube-system:cronjob-controller",
	"system:serviceaccount:kube-system:job-controller",
	"system:kube-controller-manager",
}

// DefaultPolicy is the policy without a policy file: enforce critical, warn medium, audit low, no
// exemptions, no job-creator restrictions.
func DefaultPolicy() Policy {
	return Policy{Enforce: finding.SeverityCritical, Warn: finding.SeverityMedium, Audit: finding.SeverityLow}
}

// Validate checks every pattern and namespace name of the policy.
func (p *Policy) Validate() error {
	for _, sev := range []struct {
		name string
		v    finding.Severity
	}{{"enforce", p.Enforce}, {"warn", p.Warn}, {"audit", p.Audit}} {
		if sev.v < finding.SeverityNone || sev.v > finding.SeverityCritical {
			return fmt.Errorf("webhook.%s: invalid severity %d", sev.name, int(sev.v))
		}
	}
	lists := []struct {
		field string
		pats  []string
	}{
		{"exemptions.usernames", p.Exempt.Usernames},
		{"exemptions.runtimeClasses", p.Exempt.RuntimeClasses},
		{"exemptions.namespaces", p.Exempt.Namespaces},
		{"exemptions.images", p.Exempt.Images},
		{"exemptions.serviceAccounts", p.Exempt.ServiceAccounts},
	}
	for _, l := range lists {
		if err := checkPatterns("webhook."+l.field, l.pats); err != nil {
			return err
		}
	}
	for _, sa := range p.Exempt.ServiceAccounts {
		if strings.Count(sa, "/") > 1 {
			return fmt.Errorf("webhook.exemptions.serviceAccounts: %q: want namespace/name or name", sa)
		}
	}
	keys := make([]string, 0, len(p.JobCreators))
	for ns := range p.JobCreators {
		keys = append(keys, ns)
	}
	sort.Strings(keys)
	for _, ns := range keys {
		if ns != "*" {
			if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
				return fmt.Errorf("webhook.jobCreators: %q is not a namespace name or \"*\": %s", ns, strings.Join(msgs, "; "))
			}
		}
		s := p.JobCreators[ns]
		if err := checkPatterns("webhook.jobCreators."+ns+".users", s.Users); err != nil {
			return err
		}
		if err := checkPatterns("webhook.jobCreators."+ns+".groups", s.Groups); err != nil {
			return err
		}
	}
	return nil
}

func checkPatterns(field string, pats []string) error {
	for _, p := range pats {
		if strings.TrimSpace(p) == "" {
			return fmt.Errorf("%s: empty entry", field)
		}
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("%s: bad pattern %q: %w", field, p, err)
		}
	}
	return nil
}

// The policy file is one YAML document with a single top-level key, webhook:
//
//	webhook:
//	  enforce: critical        # lowest severity that denies; none = off
//	  warn: medium             # lowest severity that warns
//	  audit: low               # lowest severity recorded in audit annotations
//	  honorIgnoreAnnotations: false
//	  exemptions:
//	    usernames: ["system:serviceaccount:kube-system:*"]
//	    runtimeClasses: [kata]
//	    namespaces: [kube-system]
//	    images: ["registry.example.com/ops/*"]
//	    serviceAccounts: ["monitoring/node-exporter"]
//	  jobCreators:
//	    "*":  {groups: ["system:masters", "ci:deployers"]}
//	    shop: {users: [alice], groups: [shop-admins]}
//
// It is a section of its own so that it can later move into jobguard.yaml unchanged.
type policyFile struct {
	Webhook *policyYAML `yaml:"webhook"`
}

type policyYAML struct {
	Enforce                severityYAML            `yaml:"enforce"`
	Warn                   severityYAML            `yaml:"warn"`
	Audit                  severityYAML            `yaml:"audit"`
	HonorIgnoreAnnotations bool                    `yaml:"honorIgnoreAnnotations"`
	Exemptions             exemptionsYAML          `yaml:"exemptions"`
	JobCreators            map[string]subjectsYAML `yaml:"jobCreators"`
}

type exemptionsYAML struct {
	Usernames       []string `yaml:"usernames"`
	RuntimeClasses  []string `yaml:"runtimeClasses"`
	Namespaces      []string `yaml:"namespaces"`
	Images          []string `yaml:"images"`
	ServiceAccounts []string `yaml:"serviceAccounts"`
}

type subjectsYAML struct {
	Users  []string `yaml:"users"`
	Groups []string `yaml:"groups"`
}

// severityYAML is a severity that remembers whether it was given, and reports a bad value with its line.
type severityYAML struct {
	v   finding.Severity
	set bool
}

func (s *severityYAML) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a severity (critical, high, medium, low, info, none)", n.Line)
	}
	v, err := finding.ParseSeverity(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	s.v, s.set = v, true
	return nil
}

func (s severityYAML) or(def finding.Severity) finding.Severity {
	if s.set {
		return s.v
	}
	return def
}

// LoadPolicy reads a policy file (see ParsePolicy). An empty path returns DefaultPolicy.
func LoadPolicy(file string) (Policy, error) {
	if file == "" {
		return DefaultPolicy(), nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return Policy{}, fmt.Errorf("webhook policy: %w", err)
	}
	p, err := ParsePolicy(data)
	if err != nil {
		return Policy{}, fmt.Errorf("webhook policy %s: %w", file, err)
	}
	return p, nil
}

// ParsePolicy parses the YAML of a policy file: one document whose only key is webhook. Unknown keys
// and bad values are errors with their line, so a typo never silently weakens the policy. Severities
// that are not given keep DefaultPolicy's.
func ParsePolicy(data []byte) (Policy, error) {
	var f policyFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return Policy{}, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Policy{}, errors.New("want a single YAML document")
	}
	p := DefaultPolicy()
	if w := f.Webhook; w != nil {
		p.Enforce = w.Enforce.or(p.Enforce)
		p.Warn = w.Warn.or(p.Warn)
		p.Audit = w.Audit.or(p.Audit)
		p.HonorIgnoreAnnotations = w.HonorIgnoreAnnotations
		p.Exempt = Exemptions(w.Exemptions)
		if len(w.JobCreators) > 0 {
			p.JobCreators = make(map[string]Subjects, len(w.JobCreators))
			for ns, s := range w.JobCreators {
				p.JobCreators[ns] = Subjects(s)
			}
		}
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// matchAny returns the first pattern that matches s.
func matchAny(pats []string, s string) (string, bool) {
	for _, p := range pats {
		if ok, _ := path.Match(p, s); ok {
			return p, true
		}
	}
	return "", false
}

// jobCreators returns the allow-list that applies in a namespace, if any.
func (p *Policy) jobCreators(namespace string) (Subjects, bool) {
	if s, ok := p.JobCreators[namespace]; ok {
		return s, true
	}
	s, ok := p.JobCreators["*"]
	return s, ok
}

// allows reports whether a user may create or change CronJobs and Jobs under the allow-list.
func (s Subjects) allows(username string, groups []string) bool {
	for _, u := range ImplicitJobCreators {
		if u == username {
			return true
		}
	}
	if _, ok := matchAny(s.Users, username); ok {
		return true
	}
	for _, g := range groups {
		if _, ok := matchAny(s.Groups, g); ok {
			return true
		}
	}
	return false
}

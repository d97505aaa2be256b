// Package finding holds the model that every jobguard face reports in: a finding names a rule, a
// severity, the resource it was found on and where, and the ATT&CK context.
package finding

import (
	"fmt"
	"iter"
	"strings"
)

// Severity orders findings. The zero value is SeverityNone, below every real severity.
type Severity int

const (
	SeverityNone Severity = iota
	SeverityInfo
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"none", "info", "low", "medium", "high", "critical"}

// Severities lists the real severities from lowest to highest.
var Severities = []Severity{SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity accepts the lower-case names; "none" is allowed (e.g. --fail-on none).
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want one of critical, high, medium, low, info, none)", s)
}

func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Category groups rules. The values are part of the JSON contract.
type Category string

const (
	CategoryPodSecurity  Category = "pod-security"
	CategoryExecution    Category = "execution"
	CategoryHostAccess   Category = "host-access"
	CategoryJobBehaviour Category = "job-behaviour"
	CategoryDisguise     Category = "disguise"
	CategoryImage        Category = "image"
	CategoryIdentity     Category = "identity"
)

// Resource says which object a finding is about and where it came from. File and Line are set for
// manifests; Cluster and UID for objects read from a live cluster. Path is the JSON path of the
// offending field inside the object (e.g. spec.jobTemplate.spec.template.spec.containers[0].command).
type Resource struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	File       string `json:"file,omitempty"`
	Line       int    `json:"line,omitempty"`
	Path       string `json:"path,omitempty"`
	Cluster    string `json:"cluster,omitempty"`
	UID        string `json:"uid,omitempty"`
}

// Key identifies the object (not the field) a finding is about, for grouping.
func (r Resource) Key() string {
	return r.File + "\x00" + r.Cluster + "\x00" + r.APIVersion + "\x00" + r.Kind + "\x00" + r.Namespace + "\x00" + r.Name
}

// String is "Kind namespace/name" (or "Kind name" for cluster-scoped objects).
func (r Resource) String() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// Finding is one result of one rule on one object.
type Finding struct {
	Rule         string   `json:"rule"`
	Category     Category `json:"category"`
	Severity     Severity `json:"severity"`
	Title        string   `json:"title"`
	Message      string   `json:"message"`
	Resource     Resource `json:"resource"`
	Container    string   `json:"container,omitempty"`
	Attack       []string `json:"attack"`
	ThreatMatrix []string `json:"threatMatrix,omitempty"`
	Mitigations  []string `json:"mitigations"`
	Remediation  string   `json:"remediation,omitempty"`
	// Suppressed is true when an annotation or the config suppressed the finding; Suppression says why.
	Suppressed  bool   `json:"suppressed"`
	Suppression string `json:"suppression,omitempty"`
	// Escalation explains a severity raised by combined signals on the same workload.
	Escalation string `json:"escalation,omitempty"`
}

// Summary counts findings.
type Summary struct {
	Resources  int            `json:"resources"`
	Findings   int            `json:"findings"`
	Suppressed int            `json:"suppressed"`
	BySeverity map[string]int `json:"bySeverity"`
	// Errors counts inputs that could not be read; Incomplete is true when anything was not scanned.
	Errors     int  `json:"errors"`
	Incomplete bool `json:"incomplete"`
}

// Max returns the highest severity among unsuppressed findings (SeverityNone if there are none).
func Max(fs []Finding) Severity { return Batches{fs}.Max() }

// Batches is one list of findings kept as consecutive slices. A scan gathers its findings batch by
// batch from parallel workers; keeping the batches saves copying every finding once more into a
// single slice.
type Batches [][]Finding

// Len returns the number of findings.
func (b Batches) Len() int {
	n := 0
	for _, fs := range b {
		n += len(fs)
	}
	return n
}

// All yields the position and address of every finding, in order.
func (b Batches) All() iter.Seq2[int, *Finding] {
	return func(yield func(int, *Finding) bool) {
		i := 0
		for _, fs := range b {
			for j := range fs {
				if !yield(i, &fs[j]) {
					return
				}
				i++
			}
		}
	}
}

// Summarize counts unsuppressed findings by severity.
func (b Batches) Summarize(resources int) Summary {
	s := NewSummary(resources)
	for _, f := range b.All() {
		s.Add(f)
	}
	return s
}

// NewSummary returns the summary of no findings about resources objects.
func NewSummary(resources int) Summary {
	s := Summary{Resources: resources, BySeverity: map[string]int{}}
	for _, sev := range Severities {
		s.BySeverity[sev.String()] = 0
	}
	return s
}

// Add counts f: as suppressed, or as a finding of its severity.
func (s *Summary) Add(f *Finding) {
	if f.Suppressed {
		s.Suppressed++
		return
	}
	s.Findings++
	s.BySeverity[f.Severity.String()]++
}

// Max returns the highest severity among unsuppressed findings (SeverityNone if there are none).
func (b Batches) Max() Severity {
	m := SeverityNone
	for _, f := range b.All() {
		if !f.Suppressed && f.Severity > m {
			m = f.Severity
		}
	}
	return m
}

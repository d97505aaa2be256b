// Package rules is jobguard's one rule engine. Each rule lives in its own file and registers itself
// (like the checks of k8s.io/pod-security-admission/policy); the engine runs every enabled rule on
// every workload of an input, applies suppressions, and combines signals on the same workload.
// The scan, webhook, audit and watch faces all call Engine.Evaluate.
package rules

import (
	"k8s.io/pod-security-admission/api"

	"github.com/jobguard/jobguard/internal/config"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/workload"
)

// Technique is the ATT&CK technique every jobguard finding is about.
const Technique = "T1053.007"

// Rule is one check with its documentation. Everything but Check is data that `jobguard rules`,
// SARIF output and the docs are generated from.
type Rule struct {
	// ID is stable: suppressions, configs and SARIF results refer to it.
	ID       string
	Category finding.Category
	// Severity is the default; a Result may set its own, and the config may override it.
	Severity    finding.Severity
	Title       string
	Description string
	Remediation string
	// Attack lists ATT&CK technique IDs beyond T1053.007 (which every finding carries).
	Attack []string
	// ThreatMatrix lists Microsoft Threat Matrix for Kubernetes IDs (MS-TA9014 ...).
	ThreatMatrix []string
	// Mitigations lists ATT&CK mitigation IDs (M1018, M1026 ...).
	Mitigations []string
	// Check judges one workload.
	Check func(ctx *Context, w *workload.Workload) []Result
}

// Result is one thing a rule found on a workload.
type Result struct {
	// Message names the container and the offending value.
	Message string
	// Path is the JSON path of the offending field inside the object.
	Path string
	// Container is the container's name, when the result is about one container.
	Container string
	// Image is the container's image, so image exemptions apply.
	Image string
	// Severity overrides the rule's default when set (e.g. hostPath "/" is worse than /data).
	Severity finding.Severity
	// Attack adds technique IDs for this result.
	Attack []string
}

// Context is what a rule may read besides the workload.
type Context struct {
	// Object is the object being judged; Set is every object read with it (may hold only Object).
	Object *input.Object
	Set    *input.Set
	Config *config.Config
	// PSS is the Pod Security Standards level and version for the object's namespace.
	PSS api.LevelVersion

	// memo holds values computed once per evaluation and shared by several rules.
	memo map[string]any
}

// Memo returns the value stored under key for this evaluation, computing it on first use. Rules
// that read the same expensive analysis (e.g. what the containers run) share it this way. A
// Context belongs to one evaluation on one goroutine, so no locking is needed.
func (c *Context) Memo(key string, compute func() any) any {
	if v, ok := c.memo[key]; ok {
		return v
	}
	if c.memo == nil {
		c.memo = map[string]any{}
	}
	v := compute()
	c.memo[key] = v
	return v
}

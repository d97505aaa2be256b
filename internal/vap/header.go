package vap

import (
	"fmt"
	"sort"
	"strings"
)

// headerWidth is where the header's prose wraps.
const headerWidth = 100

// Header returns the YAML comment block that opens the export: the jobguard version, what the
// policy and binding do, the checks it covers (with their caveats), and the rules it leaves out
// and why. Every line starts with '#'.
func (e *Export) Header() string {
	var b strings.Builder
	line := func(s string) {
		if s == "" {
			b.WriteString("#\n")
			return
		}
		b.WriteString("# " + s + "\n")
	}
	para := func(indent, first, s string) {
		for i, l := range wrap(s, headerWidth-2-len(indent)) {
			if i == 0 {
				line(first + l)
			} else {
				line(indent + l)
			}
		}
	}
	o := e.opts
	version := o.Version
	if version == "" {
		version = "(unknown version)"
	}
	line(fmt.Sprintf("jobguard %s: ValidatingAdmissionPolicy export (admissionregistration.k8s.io/v1, Kubernetes 1.30 or newer).", version))
	if o.Command != "" {
		line("Made by: " + o.Command)
	}
	excluded := "none"
	if len(o.ExcludeNamespaces) > 0 {
		excluded = strings.Join(e.Binding.Spec.MatchResources.NamespaceSelector.MatchExpressions[0].Values, ", ")
	}
	para("", "", fmt.Sprintf("Policy and binding %q: validationActions %s; namespaces excluded by the binding: %s. "+
		"It judges CREATE and UPDATE of Pods (and their ephemeral containers), PodTemplates, ReplicationControllers, "+
		"CronJobs, Jobs, Deployments, DaemonSets, StatefulSets and ReplicaSets; an UPDATE that leaves the spec alone is "+
		"not judged again. The API server shows the first failed check of a request.",
		o.Name, e.Binding.Spec.ValidationActions[0], excluded))
	line("")
	line(fmt.Sprintf("Covered: %d checks of %d rules, at or above severity %s:", len(e.Covered), len(e.CoveredRules()), o.MinSeverity))
	width := 0
	for _, c := range e.Covered {
		width = max(width, len(c.ID))
	}
	for _, c := range e.Covered {
		first := fmt.Sprintf("  %-*s  %-8s  ", width, c.ID, c.Severity)
		text := c.Summary
		if c.Caveat != "" {
			text += ". Caveat: " + c.Caveat
		}
		para(strings.Repeat(" ", len(first)), first, text)
	}
	hasExec := false
	for _, c := range e.Covered {
		hasExec = hasExec || strings.HasPrefix(c.Rule, "exec-")
	}
	if hasExec {
		line("")
		para("", "", "The exec-* checks are the rules' simplest literal forms only: CEL sees the literal strings of "+
			"command, args, exec hooks and probes and literal env values, with no shell parsing (no quoting, "+
			"variables, encodings, scripts from ConfigMaps), so they are much weaker than jobguard's webhook and scan.")
	}
	if len(e.BelowThreshold) > 0 {
		line("")
		var parts []string
		for _, c := range e.BelowThreshold {
			parts = append(parts, c.ID+" ("+c.Severity.String()+")")
		}
		para("  ", "", "Below --min-severity "+o.MinSeverity.String()+", not exported: "+strings.Join(parts, ", ")+".")
	}
	if len(e.Disabled) > 0 {
		line("")
		para("  ", "", "Disabled by the config, not exported: "+strings.Join(e.Disabled, ", ")+".")
	}
	if len(e.NotExportable) > 0 {
		line("")
		line("Not exported, because CEL cannot express them:")
		// Rules with the same reason (the pss-* family) are listed together.
		var order []string
		byReason := map[string][]string{}
		for _, s := range e.NotExportable {
			if _, ok := byReason[s.Reason]; !ok {
				order = append(order, s.Reason)
			}
			byReason[s.Reason] = append(byReason[s.Reason], s.Rule)
		}
		for _, reason := range order {
			ids := byReason[reason]
			sort.Strings(ids)
			para("    ", "  ", strings.Join(ids, ", ")+": "+reason+".")
		}
	}
	line("")
	para("", "", "Not applied either: the rules' combinations (which raise job-history-disabled, job-ttl-immediate and "+
		"job-schedule-frequent when other signals are present) and the jobguard.io/ignore annotation. Config "+
		"exemptions (namespaces, names, images), disabled rules and severity overrides are applied.")
	return b.String()
}

// wrap splits s into lines of at most width bytes, at spaces (a longer word gets a line of its own).
func wrap(s string, width int) []string {
	var lines []string
	cur := ""
	for _, w := range strings.Fields(s) {
		switch {
		case cur == "":
			cur = w
		case len(cur)+1+len(w) <= width:
			cur += " " + w
		default:
			lines = append(lines, cur)
			cur = w
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

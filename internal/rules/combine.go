package rules

import (
	"fmt"

	"github.com/jobguard/jobguard/internal/finding"
)

// Combination raises the severity of some findings when another signal is present on the same
// workload. Combinations are data: `jobguard rules` prints them.
type Combination struct {
	ID          string
	Description string
	// Raises lists the rules whose findings are raised.
	Raises []string
	// To is the severity they are raised to.
	To finding.Severity
	// PartnerText documents Partner.
	PartnerText string
	// Partner says whether another finding on the workload is the signal that raises.
	Partner func(f *finding.Finding) bool
}

// Combinations are applied in order, only between unsuppressed findings of one workload.
var Combinations = []Combination{
	{
		ID: "anti-forensics-with-signal",
		Description: "Job history switched off or finished Jobs deleted at once hides what ran (T1070). " +
			"Alone it is a weak signal; together with evidence of what runs, a disguise, or a takeover " +
			"capability on the same workload it is treated as evidence of attack.",
		Raises:      []string{"job-history-disabled", "job-ttl-immediate"},
		To:          finding.SeverityCritical,
		PartnerText: "any execution or disguise finding, or any host-access, image or identity finding of high severity or above",
		Partner: func(f *finding.Finding) bool {
			switch f.Category {
			case finding.CategoryExecution, finding.CategoryDisguise:
				return f.Severity >= finding.SeverityLow
			case finding.CategoryHostAccess, finding.CategoryImage, finding.CategoryIdentity:
				return f.Severity >= finding.SeverityHigh
			}
			return false
		},
	},
	{
		ID: "frequent-schedule-with-takeover",
		Description: "A schedule every few minutes re-plants a container that can take over its node: " +
			"persistence that survives the container being killed.",
		Raises:      []string{"job-schedule-frequent"},
		To:          finding.SeverityHigh,
		PartnerText: "any host-access or identity finding of high severity or above",
		Partner: func(f *finding.Finding) bool {
			return (f.Category == finding.CategoryHostAccess || f.Category == finding.CategoryIdentity) && f.Severity >= finding.SeverityHigh
		},
	},
}

func combine(fs []finding.Finding) {
	for _, c := range Combinations {
		var partner *finding.Finding
		for i := range fs {
			if !fs[i].Suppressed && !contains(c.Raises, fs[i].Rule) && c.Partner(&fs[i]) {
				partner = &fs[i]
				break
			}
		}
		if partner == nil {
			continue
		}
		for i := range fs {
			f := &fs[i]
			if f.Suppressed || !contains(c.Raises, f.Rule) || f.Severity >= c.To {
				continue
			}
			f.Severity = c.To
			f.Escalation = fmt.Sprintf("raised to %s by combination %s: %s on the same workload (%s)", c.To, c.ID, partner.Rule, partner.Message)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

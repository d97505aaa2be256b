package scan

import (
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

func TestFilter(t *testing.T) {
	f := func(sev finding.Severity, suppressed bool) finding.Finding {
		return finding.Finding{Rule: sev.String(), Severity: sev, Suppressed: suppressed}
	}
	crit, high, low := finding.SeverityCritical, finding.SeverityHigh, finding.SeverityLow
	tests := []struct {
		name      string
		min       finding.Severity
		batches   finding.Batches
		wantKept  int
		wantLeft  int
		wantWorst finding.Severity
	}{
		{name: "no minimum keeps all", min: finding.SeverityNone, batches: finding.Batches{{f(low, false), f(high, false)}},
			wantKept: 2, wantWorst: high},
		{name: "info keeps all", min: finding.SeverityInfo, batches: finding.Batches{{f(low, false)}, nil, {f(crit, false)}},
			wantKept: 2, wantWorst: crit},
		{name: "high leaves low out", min: high, batches: finding.Batches{{f(low, false), f(high, false)}, {f(low, true)}},
			wantKept: 1, wantLeft: 2, wantWorst: high},
		{name: "left-out findings still count for the exit code", min: crit, batches: finding.Batches{{f(high, false), f(low, false)}},
			wantKept: 0, wantLeft: 2, wantWorst: high},
		{name: "suppressed findings do not", min: crit, batches: finding.Batches{{f(crit, true), f(high, true)}},
			wantKept: 1, wantLeft: 1, wantWorst: finding.SeverityNone},
		{name: "empty", min: high},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fl := filter{min: tt.min}
			kept := fl.keepAll(tt.batches)
			if kept.Len() != tt.wantKept || fl.left != tt.wantLeft || fl.worst != tt.wantWorst {
				t.Errorf("kept %d, left %d, worst %v; want %d, %d, %v", kept.Len(), fl.left, fl.worst, tt.wantKept, tt.wantLeft, tt.wantWorst)
			}
			for _, k := range kept.All() {
				if k.Severity < tt.min {
					t.Errorf("kept a %v finding below %v", k.Severity, tt.min)
				}
			}
		})
	}
	// A batch with nothing to leave out is returned as it is, not copied.
	b := []finding.Finding{f(crit, false), f(high, false)}
	fl := filter{min: high}
	if got := fl.keep(b); &got[0] != &b[0] {
		t.Error("keep copied a batch it kept whole")
	}
}

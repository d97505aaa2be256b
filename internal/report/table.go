package report

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"github.com/jobguard/jobguard/internal/finding"
)

// TableOptions tune WriteTable.
type TableOptions struct {
	// Color wraps severity words in ANSI colours. The CLI sets it when standard output is a
	// terminal and NO_COLOR is unset.
	Color bool
	// ShowSuppressed lists suppressed findings too (they are always counted).
	ShowSuppressed bool
}

const (
	// tableWidth is the width text is wrapped at; long words (paths, commands) may overflow it.
	tableWidth = 100
	// sevWidth is the width of the severity column ("CRITICAL").
	sevWidth = 8
	// indent is where a finding's text starts.
	indent = 2 + sevWidth + 2
)

var ansi = map[finding.Severity]string{
	finding.SeverityCritical: "\x1b[1;31m",
	finding.SeverityHigh:     "\x1b[31m",
	finding.SeverityMedium:   "\x1b[33m",
	finding.SeverityLow:      "\x1b[36m",
	finding.SeverityInfo:     "\x1b[2m",
}

const ansiReset = "\x1b[0m"

// WriteTable writes the findings for a person: grouped by object, the worst first inside each
// object, text wrapped at 100 columns, then one summary line and the inputs that could not be read.
// Suppressed findings are counted in the summary but listed only with opts.ShowSuppressed.
func WriteTable(w io.Writer, fs finding.Batches, m Meta, opts TableOptions) error {
	b := bufio.NewWriterSize(w, 64<<10)
	shown := make([]*finding.Finding, 0, fs.Len())
	for _, f := range fs.All() {
		if opts.ShowSuppressed || !f.Suppressed {
			shown = append(shown, f)
		}
	}
	for i, g := range groupByResource(shown) {
		if i > 0 {
			b.WriteByte('\n')
		}
		writeGroup(b, g, opts)
	}
	if len(shown) > 0 {
		b.WriteByte('\n')
	}
	b.WriteString(summaryLine(fs, m, opts.Color))
	b.WriteByte('\n')
	writeErrors(b, m)
	return b.Flush()
}

func writeGroup(b *bufio.Writer, g *group, opts TableOptions) {
	b.WriteString(g.res.String())
	switch {
	case g.res.File != "":
		b.WriteString("  (" + g.res.File + ")")
	case g.res.Cluster != "":
		b.WriteString("  (cluster " + g.res.Cluster + ")")
	}
	b.WriteByte('\n')
	for _, f := range g.findings {
		b.WriteString("  ")
		word := severityWords[f.Severity]
		if opts.Color && ansi[f.Severity] != "" {
			b.WriteString(ansi[f.Severity])
			b.WriteString(word)
			b.WriteString(ansiReset)
		} else {
			b.WriteString(word)
		}
		b.WriteString(spaces[:max(1, sevWidth+2-len(word))])
		title := f.Title
		if title == "" {
			title = f.Rule
		} else {
			title += " (" + f.Rule + ")"
		}
		writeWrapped(b, title, "", pad)
		writeWrapped(b, f.Message, pad, pad)
		if f.Escalation != "" {
			writeWrapped(b, f.Escalation, pad, pad)
		}
		if loc := location(f.Resource); loc != "" {
			// Not wrapped: a location is copied and clicked whole.
			b.WriteString(pad)
			b.WriteString("at ")
			b.WriteString(loc)
			b.WriteByte('\n')
		}
		if f.Suppressed {
			why := f.Suppression
			if why == "" {
				why = "yes"
			}
			writeWrapped(b, "suppressed: "+why, pad, pad)
		}
	}
}

// pad indents a finding's text; spaces is longer than any padding the table needs.
var (
	pad    = strings.Repeat(" ", indent)
	spaces = strings.Repeat(" ", 2*indent)
)

// severityWords are the severities as the table shows them ("CRITICAL").
var severityWords = func() map[finding.Severity]string {
	m := map[finding.Severity]string{finding.SeverityNone: strings.ToUpper(finding.SeverityNone.String())}
	for _, s := range finding.Severities {
		m[s] = strings.ToUpper(s.String())
	}
	return m
}()

// location is "file:line (path)", or the parts of it that are known.
func location(r finding.Resource) string {
	loc := r.File
	if loc != "" && r.Line > 0 {
		loc += ":" + strconv.Itoa(r.Line)
	}
	switch {
	case r.Path == "":
		return loc
	case loc == "":
		return r.Path
	default:
		return loc + " (" + r.Path + ")"
	}
}

// summaryLine is e.g. "12 findings (3 critical, 4 high, 5 medium) in 7 of 20 resources; 2 suppressed".
func summaryLine(fs finding.Batches, m Meta, color bool) string {
	s := fs.Summarize(m.Resources)
	affected := map[string]bool{}
	for _, f := range fs.All() {
		if !f.Suppressed {
			affected[f.Resource.Key()] = true
		}
	}
	var b strings.Builder
	if s.Findings == 0 {
		b.WriteString("No findings")
		if m.Resources > 0 {
			b.WriteString(" in " + plural(m.Resources, "resource"))
		}
		if s.Suppressed > 0 {
			b.WriteString("; " + strconv.Itoa(s.Suppressed) + " suppressed")
		}
		b.WriteString(".")
		return b.String()
	}
	b.WriteString(plural(s.Findings, "finding") + " (")
	first := true
	for i := len(finding.Severities) - 1; i >= 0; i-- {
		sev := finding.Severities[i]
		n := s.BySeverity[sev.String()]
		if n == 0 {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		b.WriteString(strconv.Itoa(n) + " ")
		if color {
			b.WriteString(ansi[sev] + sev.String() + ansiReset)
		} else {
			b.WriteString(sev.String())
		}
	}
	b.WriteString(") in ")
	if m.Resources >= len(affected) {
		b.WriteString(strconv.Itoa(len(affected)) + " of " + plural(m.Resources, "resource"))
	} else {
		b.WriteString(plural(len(affected), "resource"))
	}
	if s.Suppressed > 0 {
		b.WriteString("; " + strconv.Itoa(s.Suppressed) + " suppressed")
	}
	return b.String()
}

// writeErrors lists the inputs that could not be read.
func writeErrors(b textWriter, m Meta) {
	switch {
	case len(m.Errors) > 0:
		b.WriteString("\nCould not read " + plural(len(m.Errors), "input") + "; the scan is incomplete:\n")
		for _, e := range m.Errors {
			writeWrapped(b, e, "  ", "    ")
		}
	case m.Incomplete:
		b.WriteString("\nThe scan is incomplete: not every input could be read.\n")
	}
}

// Package report writes jobguard's findings and rule catalogue for people and machines: a text
// table for terminals, a JSON document with a stable schema (docs/report.schema.json), SARIF 2.1.0
// for code-scanning services, and the rule catalogue as a table, JSON, or the Markdown of
// docs/rules.md.
//
// Every writer is deterministic: the same findings give byte-identical output, so reports can be
// diffed and golden-tested.
package report

import (
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jobguard/jobguard/internal/finding"
)

// ToolName is the name reports give the tool.
const ToolName = "jobguard"

// InformationURI is the project's home page, given to SARIF consumers.
const InformationURI = "https://github.com/jobguard/jobguard"

// SchemaVersion identifies the JSON report schema. Fields may be added within a version; a field is
// never removed or changed in meaning without a new version.
const SchemaVersion = "jobguard.io/v1"

// Meta is what a report says about the run besides its findings.
type Meta struct {
	// ToolVersion is jobguard's version.
	ToolVersion string
	// Inputs are the paths (or cluster contexts) that were scanned.
	Inputs []string
	// Errors describe inputs that could not be read, one line each.
	Errors []string
	// Incomplete is true when something was not scanned. Reports also treat the run as incomplete
	// whenever Errors is not empty.
	Incomplete bool
	// Resources is how many objects were judged (0 when unknown).
	Resources int
}

// incomplete says whether the run missed anything.
func (m Meta) incomplete() bool { return m.Incomplete || len(m.Errors) > 0 }

// group is the findings about one object.
type group struct {
	res      finding.Resource // Path and Line are those of the first finding; use only the object fields
	findings []*finding.Finding
	minLine  int
}

// objectKey identifies the object a finding is about.
type objectKey struct{ file, cluster, apiVersion, kind, namespace, name string }

func keyOf(r *finding.Resource) objectKey {
	return objectKey{r.File, r.Cluster, r.APIVersion, r.Kind, r.Namespace, r.Name}
}

// groupByResource groups findings by object. Groups are ordered by file (cluster objects after
// files, by cluster), then by where the object's first finding is, then by namespace, kind and
// name; findings inside a group by severity (highest first), rule and path.
func groupByResource(fs []*finding.Finding) []*group {
	index := map[objectKey]*group{}
	var groups []*group
	var last *group
	for _, f := range fs {
		g := last
		if k := keyOf(&f.Resource); g == nil || keyOf(&g.res) != k {
			// A scan's findings come object by object: the map is only asked when the object
			// changes.
			if g = index[k]; g == nil {
				g = &group{res: f.Resource, minLine: f.Resource.Line}
				index[k] = g
				groups = append(groups, g)
			}
			last = g
		}
		if f.Resource.Line > 0 && (g.minLine == 0 || f.Resource.Line < g.minLine) {
			g.minLine = f.Resource.Line
		}
		g.findings = append(g.findings, f)
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if (a.res.File == "") != (b.res.File == "") {
			return a.res.File != "" // files first
		}
		if a.res.File != b.res.File {
			return a.res.File < b.res.File
		}
		if a.res.Cluster != b.res.Cluster {
			return a.res.Cluster < b.res.Cluster
		}
		if a.minLine != b.minLine {
			return a.minLine < b.minLine
		}
		if a.res.Namespace != b.res.Namespace {
			return a.res.Namespace < b.res.Namespace
		}
		if a.res.Kind != b.res.Kind {
			return a.res.Kind < b.res.Kind
		}
		if a.res.Name != b.res.Name {
			return a.res.Name < b.res.Name
		}
		return a.res.APIVersion < b.res.APIVersion
	})
	for _, g := range groups {
		sortFindings(g.findings)
	}
	return groups
}

// sortFindings orders findings by severity (highest first), rule, path, container and message.
func sortFindings(fs []*finding.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.Resource.Path != b.Resource.Path {
			return a.Resource.Path < b.Resource.Path
		}
		if a.Container != b.Container {
			return a.Container < b.Container
		}
		return a.Message < b.Message
	})
}

// severityMeaning says what each severity asks of the reader. It is printed by the rule catalogue
// and the docs.
var severityMeaning = map[finding.Severity]string{
	finding.SeverityCritical: "Evidence of an attack: an indicator of what a container runs (download-and-run, " +
		"reverse shell, miner, escape, credential theft), a disguise, or anti-forensics together with another signal. " +
		"Act now: find out who created the workload and what it has already run.",
	finding.SeverityHigh: "A capability that gives node or cluster takeover (privileged, hostPath /, a runtime " +
		"socket, a cluster-admin token) without evidence of malice. Fix before the workload is deployed.",
	finding.SeverityMedium: "A restricted Pod Security Standards gap, or a weak signal alone (a frequent schedule, " +
		"a mutable image tag, job history switched off). Fix soon.",
	finding.SeverityLow: "A hardening gap or a weak signal: harmless alone, worth a look together with " +
		"other findings on the same workload.",
	finding.SeverityInfo: "Context for a reviewer; no action is needed because of it alone.",
}

// sarifLevel maps a severity to a SARIF result level.
func sarifLevel(s finding.Severity) string {
	switch {
	case s >= finding.SeverityHigh:
		return "error"
	case s == finding.SeverityMedium:
		return "warning"
	default:
		return "note"
	}
}

// securitySeverity maps a severity to the CVSS-like score that code-scanning services rank by.
func securitySeverity(s finding.Severity) string {
	switch s {
	case finding.SeverityCritical:
		return "9.5"
	case finding.SeverityHigh:
		return "8.0"
	case finding.SeverityMedium:
		return "5.5"
	case finding.SeverityLow:
		return "3.0"
	default:
		return "1.0"
	}
}

// plural returns "n word" with an "s" unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// textWriter is what the text writers write to: a *bufio.Writer or a *bytes.Buffer.
type textWriter interface {
	io.StringWriter
	io.ByteWriter
}

// writeWrapped writes s wrapped to the table width; the first line follows first, the others
// follow rest.
func writeWrapped(b textWriter, s, first, rest string) {
	wrapTo(b, s, first, rest, tableWidth-indent)
}

// wrapTo writes s broken into lines of at most width runes at spaces, each ended by a line break;
// the first line follows first, the others follow rest. A word longer than width stays whole on
// its own line; existing line breaks are kept and runs of spaces become one.
func wrapTo(b textWriter, s, first, rest string, width int) {
	lines := 0
	prefix := func() {
		if lines == 0 {
			b.WriteString(first)
		} else {
			b.WriteString(rest)
		}
		lines++
	}
	for para := range strings.SplitSeq(s, "\n") {
		n, started := 0, false
		for w := range strings.FieldsSeq(para) {
			wl := utf8.RuneCountInString(w)
			if started && n+1+wl > width {
				b.WriteByte('\n')
				started, n = false, 0
			}
			if started {
				b.WriteByte(' ')
				n++
			} else {
				prefix()
				started = true
			}
			b.WriteString(w)
			n += wl
		}
		if !started {
			prefix()
		}
		b.WriteByte('\n')
	}
}

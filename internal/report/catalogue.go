package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/rules"
)

// categoryTitle and categoryIntro document each category in the rule catalogue.
var categoryTitle = map[finding.Category]string{
	finding.CategoryExecution:    "Execution",
	finding.CategoryHostAccess:   "Host access",
	finding.CategoryJobBehaviour: "Job behaviour",
	finding.CategoryDisguise:     "Disguise",
	finding.CategoryImage:        "Image",
	finding.CategoryIdentity:     "Identity",
	finding.CategoryPodSecurity:  "Pod security",
}

var categoryIntro = map[finding.Category]string{
	finding.CategoryExecution: "What the containers of a workload run: commands, arguments and scripts " +
		"that fetch and execute code, open remote shells or otherwise act as an attacker's payload.",
	finding.CategoryHostAccess: "Ways out of the container onto its node: privileged mode, host " +
		"namespaces, host paths, added capabilities.",
	finding.CategoryJobBehaviour: "How a workload is scheduled and kept: schedules, history limits, " +
		"clean-up of finished jobs, restarts and deadlines.",
	finding.CategoryDisguise: "Workloads that pass themselves off as something they are not, such as " +
		"names, labels or namespaces that imitate system components.",
	finding.CategoryImage: "Where the images of a workload come from and how they are pinned.",
	finding.CategoryIdentity: "The Kubernetes identity a workload runs as: its service account, the " +
		"token mounted into its pods and the permissions bound to it.",
	finding.CategoryPodSecurity: "The Pod Security Standards (baseline and restricted) at the level " +
		"that applies to the workload's namespace.",
}

func title(c finding.Category) string {
	if t, ok := categoryTitle[c]; ok {
		return t
	}
	return string(c)
}

// ruleAttack is every ATT&CK technique a rule's findings carry: T1053.007 first.
func ruleAttack(r *rules.Rule) []string {
	return appendNew([]string{rules.Technique}, r.Attack...)
}

// attackURL links an ATT&CK technique (T1053.007) or mitigation (M1026) ID to its page, or returns
// "" for IDs of another form.
func attackURL(id string) string {
	isDigits := func(s string) bool {
		if s == "" {
			return false
		}
		for _, r := range s {
			if r < '0' || r > '9' {
				return false
			}
		}
		return true
	}
	if len(id) < 2 {
		return ""
	}
	switch id[0] {
	case 'T':
		tech, sub, hasSub := strings.Cut(id[1:], ".")
		if !isDigits(tech) || (hasSub && !isDigits(sub)) {
			return ""
		}
		if hasSub {
			return "https://attack.mitre.org/techniques/T" + tech + "/" + sub + "/"
		}
		return "https://attack.mitre.org/techniques/T" + tech + "/"
	case 'M':
		if !isDigits(id[1:]) {
			return ""
		}
		return "https://attack.mitre.org/mitigations/" + id + "/"
	}
	return ""
}

// mdLinks renders IDs as Markdown links where they have a page.
func mdLinks(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if u := attackURL(id); u != "" {
			out[i] = "[" + id + "](" + u + ")"
		} else {
			out[i] = id
		}
	}
	return strings.Join(out, ", ")
}

// ruleHelpText is a rule's help as plain text (SARIF help.text).
func ruleHelpText(r *rules.Rule) string {
	var b strings.Builder
	b.WriteString(r.Description)
	b.WriteString("\n\nRemediation: ")
	b.WriteString(r.Remediation)
	b.WriteString("\n\nATT&CK: ")
	b.WriteString(strings.Join(ruleAttack(r), ", "))
	if len(r.Mitigations) > 0 {
		b.WriteString("\nMitigations: " + strings.Join(r.Mitigations, ", "))
	}
	if len(r.ThreatMatrix) > 0 {
		b.WriteString("\nThreat Matrix for Kubernetes: " + strings.Join(r.ThreatMatrix, ", "))
	}
	return b.String()
}

// ruleHelpMarkdown is a rule's help as Markdown (SARIF help.markdown and docs/rules.md).
func ruleHelpMarkdown(r *rules.Rule) string {
	var b strings.Builder
	b.WriteString(r.Description)
	b.WriteString("\n\n**Remediation:** ")
	b.WriteString(r.Remediation)
	b.WriteString("\n\n**ATT&CK:** ")
	b.WriteString(mdLinks(ruleAttack(r)))
	if len(r.Mitigations) > 0 {
		b.WriteString("<br>\n**Mitigations:** " + mdLinks(r.Mitigations))
	}
	if len(r.ThreatMatrix) > 0 {
		b.WriteString("<br>\n**Threat Matrix for Kubernetes:** " + strings.Join(r.ThreatMatrix, ", "))
	}
	return b.String()
}

// WriteRulesTable writes the rule catalogue for a person: one line per rule, then the combinations
// that raise severities and what each severity means.
func WriteRulesTable(w io.Writer, rs []*rules.Rule) error {
	return writeRulesTable(w, rs, rules.Combinations)
}

func writeRulesTable(w io.Writer, rs []*rules.Rule, combos []rules.Combination) error {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tSEVERITY\tCATEGORY\tTITLE\tATT&CK")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Category, r.Title, strings.Join(ruleAttack(r), ","))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n" + plural(len(rs), "rule") + ". Descriptions and remediations: docs/rules.md, or the JSON output.\n")

	if len(combos) > 0 {
		b.WriteString("\nCombinations: signals that raise severities when they meet on one workload\n")
		for _, c := range combos {
			b.WriteString("\n  " + c.ID + "\n")
			writeWrapped(&b, "raises "+strings.Join(c.Raises, ", ")+" to "+c.To.String(), "    ", "      ")
			writeWrapped(&b, "when the workload also has "+c.PartnerText, "    ", "      ")
			writeWrapped(&b, c.Description, "    ", "    ")
		}
	}

	b.WriteString("\nSeverities\n\n")
	for i := len(finding.Severities) - 1; i >= 0; i-- {
		s := finding.Severities[i]
		name := s.String()
		writeWrapped(&b, severityMeaning[s], "  "+name+strings.Repeat(" ", sevWidth+2-len(name)), strings.Repeat(" ", indent))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// Rule catalogue JSON.
type jsonCatalogue struct {
	SchemaVersion string            `json:"schemaVersion"`
	Rules         []jsonRule        `json:"rules"`
	Combinations  []jsonCombination `json:"combinations"`
	Severities    []jsonSeverity    `json:"severities"`
}

type jsonRule struct {
	ID           string           `json:"id"`
	Category     finding.Category `json:"category"`
	Severity     finding.Severity `json:"severity"`
	Title        string           `json:"title"`
	Attack       []string         `json:"attack"`
	ThreatMatrix []string         `json:"threatMatrix"`
	Mitigations  []string         `json:"mitigations"`
	Description  string           `json:"description"`
	Remediation  string           `json:"remediation"`
}

type jsonCombination struct {
	ID          string           `json:"id"`
	Description string           `json:"description"`
	Raises      []string         `json:"raises"`
	To          finding.Severity `json:"to"`
	Partner     string           `json:"partner"`
}

type jsonSeverity struct {
	Name             string `json:"name"`
	Meaning          string `json:"meaning"`
	SARIFLevel       string `json:"sarifLevel"`
	SecuritySeverity string `json:"securitySeverity"`
}

// WriteRulesJSON writes the rule catalogue as JSON: {"schemaVersion", "rules": [{id, category,
// severity, title, attack, threatMatrix, mitigations, description, remediation}], "combinations":
// [{id, description, raises, to, partner}], "severities": [{name, meaning, sarifLevel,
// securitySeverity}]}. A rule's attack list starts with T1053.007, as its findings' do.
func WriteRulesJSON(w io.Writer, rs []*rules.Rule) error {
	return writeRulesJSON(w, rs, rules.Combinations)
}

func writeRulesJSON(w io.Writer, rs []*rules.Rule, combos []rules.Combination) error {
	c := jsonCatalogue{
		SchemaVersion: SchemaVersion,
		Rules:         make([]jsonRule, 0, len(rs)),
		Combinations:  make([]jsonCombination, 0, len(combos)),
	}
	for _, r := range rs {
		c.Rules = append(c.Rules, jsonRule{
			ID:           r.ID,
			Category:     r.Category,
			Severity:     r.Severity,
			Title:        r.Title,
			Attack:       ruleAttack(r),
			ThreatMatrix: nonNil(r.ThreatMatrix),
			Mitigations:  nonNil(r.Mitigations),
			Description:  r.Description,
			Remediation:  r.Remediation,
		})
	}
	for _, cb := range combos {
		c.Combinations = append(c.Combinations, jsonCombination{
			ID:          cb.ID,
			Description: cb.Description,
			Raises:      nonNil(cb.Raises),
			To:          cb.To,
			Partner:     cb.PartnerText,
		})
	}
	for i := len(finding.Severities) - 1; i >= 0; i-- {
		s := finding.Severities[i]
		c.Severities = append(c.Severities, jsonSeverity{
			Name:             s.String(),
			Meaning:          severityMeaning[s],
			SARIFLevel:       sarifLevel(s),
			SecuritySeverity: securitySeverity(s),
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(c)
}

// RulesMarkdown returns the content of docs/rules.md for the rules: the severities, an index, one
// section per category with every rule (anchored by its ID, so docs/rules.md#host-privileged links
// to a rule), and the combinations.
func RulesMarkdown(rs []*rules.Rule) string {
	return rulesMarkdown(rs, rules.Combinations)
}

func rulesMarkdown(rs []*rules.Rule, combos []rules.Combination) string {
	var b strings.Builder
	b.WriteString("<!-- Code generated by jobguard's report.RulesMarkdown from the rule registry. DO NOT EDIT. -->\n\n")
	b.WriteString("# jobguard rules\n\n")
	b.WriteString("jobguard judges every workload that runs pods (CronJobs, Jobs, DaemonSets, Deployments and the " +
		"other pod controllers, and bare Pods) with the rules below. Every finding carries the ATT&CK technique " +
		"[T1053.007](" + attackURL(rules.Technique) + ") (Scheduled Task/Job: Container Orchestration Job) " +
		"and the techniques its rule lists.\n\n")
	b.WriteString("A finding is suppressed on one object by the annotation `" + rules.AnnotationIgnore +
		"`, whose value is a comma-separated list of rule IDs, categories, or `*`; `" + rules.AnnotationIgnoreReason +
		"` says why. The config file can exempt namespaces, names and images, disable rules or change their " +
		"severity. Suppressed findings stay in JSON and SARIF output, marked as suppressed.\n\n")

	b.WriteString("## Severities\n\n")
	b.WriteString("| Severity | Meaning | SARIF level | security-severity |\n")
	b.WriteString("| --- | --- | --- | --- |\n")
	for i := len(finding.Severities) - 1; i >= 0; i-- {
		s := finding.Severities[i]
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", s, mdCell(severityMeaning[s]), sarifLevel(s), securitySeverity(s))
	}

	b.WriteString("\n## Index\n\n")
	b.WriteString("| Rule | Severity | Category | Title |\n")
	b.WriteString("| --- | --- | --- | --- |\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s |\n", r.ID, r.ID, r.Severity, r.Category, mdCell(r.Title))
	}

	var cats []finding.Category
	byCat := map[finding.Category][]*rules.Rule{}
	documented := map[string]bool{}
	for _, r := range rs {
		documented[r.ID] = true
		if byCat[r.Category] == nil {
			cats = append(cats, r.Category)
		}
		byCat[r.Category] = append(byCat[r.Category], r)
	}
	for _, c := range cats {
		b.WriteString("\n## " + title(c) + "\n\n")
		if intro := categoryIntro[c]; intro != "" {
			b.WriteString(intro + " Category `" + string(c) + "`.\n")
		} else {
			b.WriteString("Category `" + string(c) + "`.\n")
		}
		for _, r := range byCat[c] {
			b.WriteString("\n### " + r.ID + "\n\n")
			fmt.Fprintf(&b, "**%s**: severity **%s**.\n\n", r.Title, r.Severity)
			b.WriteString(ruleHelpMarkdown(r))
			b.WriteString("\n")
		}
	}

	if len(combos) > 0 {
		b.WriteString("\n## Combinations\n\n")
		b.WriteString("Some signals are weak alone and strong together. When an unsuppressed finding of one of the " +
			"rules below meets a partner finding on the same workload, its severity is raised and the finding " +
			"says why (`escalation` in JSON).\n")
		for _, c := range combos {
			b.WriteString("\n### " + c.ID + "\n\n")
			b.WriteString(c.Description + "\n\n")
			raises := make([]string, len(c.Raises))
			for i, id := range c.Raises {
				if documented[id] {
					raises[i] = "[`" + id + "`](#" + id + ")"
				} else {
					raises[i] = "`" + id + "`"
				}
			}
			b.WriteString("- Raises: " + strings.Join(raises, ", ") + " to **" + c.To.String() + "**\n")
			b.WriteString("- When the same workload also has: " + c.PartnerText + "\n")
		}
	}
	return b.String()
}

// mdCell makes text safe inside a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

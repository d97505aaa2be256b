package report

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"strings"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/rules"
)

// SARIF constants.
const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	// srcRoot is the uriBaseId of relative file paths: the directory the scan was run from.
	srcRoot = "%SRCROOT%"
	// fingerprintKey names jobguard's partial fingerprint. Its value is stable across runs for the
	// same rule, object and field, wherever the object moves inside its file.
	fingerprintKey = "jobguardFinding/v1"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifMessage struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string             `json:"id"`
	Name                 string             `json:"name"`
	ShortDescription     sarifMessage       `json:"shortDescription"`
	FullDescription      sarifMessage       `json:"fullDescription"`
	Help                 sarifMessage       `json:"help"`
	DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
	Properties           sarifRuleProps     `json:"properties"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags             []string `json:"tags"`
	SecuritySeverity string   `json:"security-severity"`
	Precision        string   `json:"precision"`
	Severity         string   `json:"severity"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string       `json:"level"`
	Message sarifMessage `json:"message"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           *int               `json:"ruleIndex,omitempty"`
	Level               string             `json:"level"`
	Message             sarifMessage       `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          sarifResultProps   `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

type sarifResultProps struct {
	Severity     string   `json:"severity"`
	Category     string   `json:"category"`
	Container    string   `json:"container,omitempty"`
	Path         string   `json:"path,omitempty"`
	Cluster      string   `json:"cluster,omitempty"`
	UID          string   `json:"uid,omitempty"`
	Attack       []string `json:"attack,omitempty"`
	ThreatMatrix []string `json:"threatMatrix,omitempty"`
	Escalation   string   `json:"escalation,omitempty"`
}

// WriteSARIF writes the findings as a SARIF 2.1.0 log with one run. Every rule in rs is described
// in tool.driver.rules (a finding of a rule missing from rs adds that rule when it is registered).
// Suppressed findings are kept, with a suppression: "inSource" for the jobguard.io/ignore
// annotation, "external" for the config. Findings from manifests carry a physical location
// relative to %SRCROOT%; findings from a live cluster only a logical one ("Kind/namespace/name").
func WriteSARIF(w io.Writer, fs finding.Batches, m Meta, rs []*rules.Rule) error {
	driver := sarifDriver{
		Name:           ToolName,
		Version:        m.ToolVersion,
		InformationURI: InformationURI,
		Rules:          make([]sarifRule, 0, len(rs)),
	}
	index := map[string]int{}
	addRule := func(r *rules.Rule) {
		if r == nil {
			return
		}
		if _, dup := index[r.ID]; dup {
			return
		}
		index[r.ID] = len(driver.Rules)
		driver.Rules = append(driver.Rules, sarifRuleOf(r))
	}
	for _, r := range rs {
		addRule(r)
	}
	for _, f := range fs.All() {
		if _, ok := index[f.Rule]; !ok {
			addRule(rules.Lookup(f.Rule))
		}
	}

	inv := sarifInvocation{ExecutionSuccessful: !m.incomplete()}
	for _, e := range m.Errors {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level:   "error",
			Message: sarifMessage{Text: e},
		})
	}
	if m.Incomplete && len(m.Errors) == 0 {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level:   "warning",
			Message: sarifMessage{Text: "The scan is incomplete: not every input could be read."},
		})
	}

	// The log is encoded without its results, which are then written into the empty array one by
	// one, so a large log is never held whole.
	log := sarifLog{
		Schema:  sarifSchema,
		Version: sarifVersion,
		Runs: []sarifRun{{
			Tool:        sarifTool{Driver: driver},
			Invocations: []sarifInvocation{inv},
			Results:     []sarifResult{},
		}},
	}
	var doc bytes.Buffer
	enc := json.NewEncoder(&doc)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(log); err != nil {
		return err
	}
	const empty = `"results": []`
	at := bytes.LastIndex(doc.Bytes(), []byte(empty))
	if at < 0 || fs.Len() == 0 {
		_, err := w.Write(doc.Bytes())
		return err
	}
	lineStart := bytes.LastIndexByte(doc.Bytes()[:at], '\n') + 1
	outer := string(doc.Bytes()[lineStart:at]) // the indentation of "results"
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(doc.Bytes()[:at+len(empty)-1])
	buf := make([]byte, 0, 4096)
	first := true
	for _, f := range fs.All() {
		res := sarifResultOf(*f)
		if i, ok := index[f.Rule]; ok {
			res.RuleIndex = &i
		}
		buf = buf[:0]
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, '\n')
		buf = append(buf, outer...)
		buf = append(buf, "  "...)
		buf = appendSARIFResult(buf, &res, outer+"  ")
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	bw.WriteString("\n" + outer + "]")
	bw.Write(doc.Bytes()[at+len(empty):])
	return bw.Flush()
}

func sarifRuleOf(r *rules.Rule) sarifRule {
	tags := []string{"security", string(r.Category)}
	tags = appendNew(tags, ruleAttack(r)...)
	return sarifRule{
		ID:               r.ID,
		Name:             camelName(r.ID),
		ShortDescription: sarifMessage{Text: r.Title},
		FullDescription:  sarifMessage{Text: r.Description},
		Help: sarifMessage{
			Text:     ruleHelpText(r),
			Markdown: ruleHelpMarkdown(r),
		},
		DefaultConfiguration: sarifConfiguration{Level: sarifLevel(r.Severity)},
		Properties: sarifRuleProps{
			Tags:             tags,
			SecuritySeverity: securitySeverity(r.Severity),
			Precision:        precision(r.Category),
			Severity:         r.Severity.String(),
		},
	}
}

// precision is how sure a rule's findings are: checks of declared fields are exact, judgements of
// what a command does or what a name means are heuristics.
func precision(c finding.Category) string {
	switch c {
	case finding.CategoryExecution, finding.CategoryDisguise:
		return "medium"
	default:
		return "high"
	}
}

func sarifResultOf(f finding.Finding) sarifResult {
	text := f.Message
	if text == "" {
		text = f.Title
	}
	if text == "" {
		text = f.Rule
	}
	if f.Escalation != "" {
		text += " (" + f.Escalation + ")"
	}
	res := sarifResult{
		RuleID:              f.Rule,
		Level:               sarifLevel(f.Severity),
		Message:             sarifMessage{Text: text},
		PartialFingerprints: map[string]string{fingerprintKey: fingerprint(f)},
		Properties: sarifResultProps{
			Severity:     f.Severity.String(),
			Category:     string(f.Category),
			Container:    f.Container,
			Path:         f.Resource.Path,
			Cluster:      f.Resource.Cluster,
			UID:          f.Resource.UID,
			Attack:       f.Attack,
			ThreatMatrix: f.ThreatMatrix,
			Escalation:   f.Escalation,
		},
	}
	loc := sarifLocation{LogicalLocations: []sarifLogicalLocation{{
		Name:               f.Resource.Name,
		FullyQualifiedName: qualifiedName(f.Resource),
		Kind:               "resource",
	}}}
	if al, ok := artifactLocation(f.Resource.File); ok {
		pl := &sarifPhysicalLocation{ArtifactLocation: al}
		if f.Resource.Line > 0 {
			pl.Region = &sarifRegion{StartLine: f.Resource.Line}
		}
		loc.PhysicalLocation = pl
	}
	res.Locations = []sarifLocation{loc}
	if f.Suppressed {
		kind := "external"
		if strings.HasPrefix(f.Suppression, "annotation "+rules.AnnotationIgnore) {
			kind = "inSource"
		}
		res.Suppressions = []sarifSuppression{{Kind: kind, Status: "accepted", Justification: f.Suppression}}
	}
	return res
}

// qualifiedName is "Kind/namespace/name", or "Kind/name" for cluster-scoped objects.
func qualifiedName(r finding.Resource) string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// fingerprint hashes what identifies a finding across runs: the rule, the object and the field.
// Line numbers are left out so that a finding keeps its identity when lines move.
func fingerprint(f finding.Finding) string {
	h := sha256.New()
	io.WriteString(h, f.Rule)
	h.Write([]byte{0})
	io.WriteString(h, f.Resource.Key())
	h.Write([]byte{0})
	io.WriteString(h, f.Resource.Path)
	h.Write([]byte{0})
	io.WriteString(h, f.Container)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// artifactLocation turns a file name into a SARIF artifact location: relative paths become
// forward-slash URI references based on %SRCROOT%, absolute paths file:// URIs. Standard input and
// other pseudo-files ("-", "<stdin>") have no artifact location.
func artifactLocation(file string) (sarifArtifactLocation, bool) {
	if file == "" || file == "-" || strings.HasPrefix(file, "<") {
		return sarifArtifactLocation{}, false
	}
	slashed := filepath.ToSlash(file)
	if filepath.IsAbs(file) || strings.HasPrefix(slashed, "/") {
		u := url.URL{Scheme: "file", Path: path.Clean(slashed)}
		return sarifArtifactLocation{URI: u.String()}, true
	}
	if isDrivePath(slashed) {
		u := url.URL{Scheme: "file", Path: "/" + path.Clean(slashed)}
		return sarifArtifactLocation{URI: u.String()}, true
	}
	u := url.URL{Path: path.Clean(slashed)}
	return sarifArtifactLocation{URI: u.String(), URIBaseID: srcRoot}, true
}

// isDrivePath reports whether p starts with a Windows drive ("C:/"), whatever system reads it.
func isDrivePath(p string) bool {
	if len(p) < 3 || p[1] != ':' || p[2] != '/' {
		return false
	}
	c := p[0] | 0x20
	return c >= 'a' && c <= 'z'
}

// camelName turns a rule ID ("host-privileged") into the identifier SARIF wants as a rule name
// ("HostPrivileged").
func camelName(id string) string {
	var b strings.Builder
	up := true
	for _, r := range id {
		if r == '-' || r == '_' || r == '.' || r == ' ' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}

// appendNew appends the values of vs that s does not hold yet.
func appendNew(s []string, vs ...string) []string {
	for _, v := range vs {
		found := false
		for _, x := range s {
			if x == v {
				found = true
				break
			}
		}
		if !found {
			s = append(s, v)
		}
	}
	return s
}

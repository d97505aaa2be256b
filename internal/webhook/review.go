package webhook

import (
	"encoding/json"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/rules"
	"github.com/jobguard/jobguard/internal/workload"
)

// Audit annotation keys. The API server prefixes each with the webhook's name (which must have at least
// three dot-separated segments), so with a webhook named validate.jobguard.io the audit event carries
// validate.jobguard.io/findings. A key with a slash of its own would be dropped by the API server.
const (
	AuditFindings    = "findings"
	AuditMaxSeverity = "max-severity"
	AuditExempt      = "exempt"
	AuditJobCreators = "job-creators"
)

// JobCreatorsRule is the rule label of job-creators policy decisions in metrics and logs.
const JobCreatorsRule = "job-creators"

// Limits of what a response carries, so kubectl and the audit log stay readable: the API server keeps
// about 4 KiB of warnings per request (16 x 240 bytes fit).
const (
	maxMessageBytes  = 2048
	maxItemBytes     = 512
	maxWarnings      = 16
	maxWarningBytes  = 240
	maxAuditFindings = 32
)

// Decisions, as logged.
const (
	decisionAllowed   = "allowed"
	decisionDenied    = "denied"
	decisionExempt    = "exempt"
	decisionSkipped   = "skipped"
	decisionUnchanged = "unchanged"
	decisionBad       = "bad-request"
)

// outcome is a judged request: the response and what the log says about it.
type outcome struct {
	resp     *admissionv1.AdmissionResponse
	decision string
	name     string
	rules    []string
	reason   string
}

// intercepted lists the group/resource pairs the webhook judges (CREATE and UPDATE). The webhook
// configuration should send exactly these; anything else is allowed unjudged.
var intercepted = map[string]bool{
	"/pods":                   true,
	"/podtemplates":           true,
	"/replicationcontrollers": true,
	"batch/cronjobs":          true,
	"batch/jobs":              true,
	"apps/deployments":        true,
	"apps/daemonsets":         true,
	"apps/statefulsets":       true,
	"apps/replicasets":        true,
}

// Judged reports whether the webhook judges a request for the resource, subresource and operation.
func Judged(group, resource, subresource string, op admissionv1.Operation) bool {
	if op != admissionv1.Create && op != admissionv1.Update {
		return false
	}
	if !intercepted[group+"/"+resource] {
		return false
	}
	return subresource == "" || group == "" && resource == "pods" && subresource == "ephemeralcontainers" && op == admissionv1.Update
}

// levels are the lowest severities that trigger each mode in one namespace.
type levels struct {
	enforce, warn, audit finding.Severity
}

func (l levels) triggers(m Mode, s finding.Severity) bool {
	var min finding.Severity
	switch m {
	case ModeEnforce:
		min = l.enforce
	case ModeWarn:
		min = l.warn
	case ModeAudit:
		min = l.audit
	}
	return min != finding.SeverityNone && s >= min
}

// review judges one request. It never fails: a request it cannot judge is denied with a reason.
func (h *Handler) review(req *admissionv1.AdmissionRequest, dryRun bool) outcome {
	out := outcome{name: req.Name}
	if !Judged(req.Resource.Group, req.Resource.Resource, req.SubResource, req.Operation) {
		out.resp, out.decision = &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}, decisionSkipped
		return out
	}
	ns, user := req.Namespace, req.UserInfo.Username
	if p, ok := matchAny(h.policy.Exempt.Namespaces, ns); ok {
		return h.exempt(req, out, "namespace", "namespace "+ns+" is exempt ("+p+")", dryRun)
	}
	if p, ok := matchAny(h.policy.Exempt.Usernames, user); ok {
		return h.exempt(req, out, "username", "user "+user+" is exempt ("+p+")", dryRun)
	}

	obj, w, err := decodeObject(req.Kind, req.Object.Raw, ns, req.Name)
	if err != nil {
		out.decision, out.reason = decisionBad, err.Error()
		out.resp = deny(req.UID, http.StatusBadRequest, metav1.StatusReasonBadRequest, "jobguard cannot judge this "+req.Kind.Kind+": "+err.Error())
		return out
	}
	if w == nil {
		// A kind jobguard does not decode, or an object without a pod template: nothing to judge.
		out.resp, out.decision = &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}, decisionSkipped
		return out
	}
	out.name = obj.Source.Name
	if req.Operation == admissionv1.Update && req.SubResource == "" {
		if old, oldW, err := decodeObject(req.Kind, req.OldObject.Raw, ns, req.Name); err == nil && oldW != nil && !judgedChange(old.Obj, obj.Obj) {
			out.resp, out.decision = &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}, decisionUnchanged
			return out
		}
	}

	var labels map[string]string
	if h.namespaces != nil {
		labels, _ = h.namespaces.Labels(ns)
	}
	lv := h.levels(ns, labels)

	var j judgement
	if req.Resource.Group == "batch" && (req.Resource.Resource == "cronjobs" || req.Resource.Resource == "jobs") {
		if s, ok := h.policy.jobCreators(ns); ok && !s.allows(user, req.UserInfo.Groups) {
			verb := "create"
			if req.Operation == admissionv1.Update {
				verb = "change"
			}
			j.jobCreators = "user " + user + " may not " + verb + " " + req.Kind.Kind + "s in namespace " + ns + " (jobguard job-creators policy)"
		}
	}
	if rc := w.PodSpec.RuntimeClassName; rc != nil {
		if p, ok := matchAny(h.policy.Exempt.RuntimeClasses, *rc); ok {
			j.exempt = "runtime class " + *rc + " is exempt (" + p + ")"
			h.metrics.observeExemption("runtime-class", dryRun)
		}
	}
	if j.exempt == "" {
		j.findings = h.activeFindings(h.engine.Evaluate(nil, obj), w, &j, dryRun)
	}
	return h.decide(req, out, obj, lv, &j, dryRun)
}

// judgement is what was found about one object before the modes are applied.
type judgement struct {
	findings    []finding.Finding
	jobCreators string
	exempt      string
	exemptCount int
	exemptWhy   []string
}

func (h *Handler) exempt(req *admissionv1.AdmissionRequest, out outcome, reason, why string, dryRun bool) outcome {
	h.metrics.observeExemption(reason, dryRun)
	out.decision, out.reason = decisionExempt, why
	out.resp = &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true, AuditAnnotations: map[string]string{AuditExempt: why}}
	return out
}

// decodeObject decodes the object of a request as kind, with the request's namespace (authoritative:
// the API server has already checked that they agree) and a name for messages.
func decodeObject(kind metav1.GroupVersionKind, raw []byte, namespace, reqName string) (*input.Object, *workload.Workload, error) {
	if len(raw) == 0 {
		return nil, nil, errString("the request has no object")
	}
	apiVersion := kind.Version
	if kind.Group != "" {
		apiVersion = kind.Group + "/" + kind.Version
	}
	decode := input.Decode
	if utf8.Valid(raw) {
		// The request body was decoded as JSON whole (handler.go), so raw is valid JSON.
		decode = input.DecodeValid
	}
	v, err := decode(apiVersion, kind.Kind, raw)
	if err != nil {
		return nil, nil, err
	}
	w := workload.From(v)
	if w == nil {
		return nil, nil, nil
	}
	if namespace != "" {
		w.Meta.Namespace = namespace
	}
	name := w.Meta.Name
	if name == "" {
		name = reqName
	}
	if name == "" && w.Meta.GenerateName != "" {
		name = w.Meta.GenerateName + "<generated>"
	}
	obj := &input.Object{
		Source: finding.Resource{APIVersion: apiVersion, Kind: kind.Kind, Namespace: w.Meta.Namespace, Name: name, UID: string(w.Meta.UID)},
		Obj:    v,
	}
	return obj, w, nil
}

type errString string

func (e errString) Error() string { return string(e) }

// levels applies a namespace's jobguard.io/{enforce,warn,audit} labels to the cluster defaults. A label
// with a bad value is ignored (the default applies) and logged, at most once per namespace and label
// every few minutes.
func (h *Handler) levels(ns string, labels map[string]string) levels {
	lv := levels{enforce: h.policy.Enforce, warn: h.policy.Warn, audit: h.policy.Audit}
	for _, l := range []struct {
		key string
		dst *finding.Severity
	}{{LabelEnforce, &lv.enforce}, {LabelWarn, &lv.warn}, {LabelAudit, &lv.audit}} {
		v, ok := labels[l.key]
		if !ok {
			continue
		}
		s, err := finding.ParseSeverity(v)
		if err != nil {
			if h.labelWarn.allow(ns+"\x00"+l.key, time.Now()) {
				h.log.Warn("jobguard webhook: namespace label has an invalid value; using the cluster default",
					"namespace", ns, "label", l.key, "value", truncate(v, 64), "default", l.dst.String())
			}
			continue
		}
		*l.dst = s
	}
	return lv
}

// activeFindings drops the findings that do not count at admission: suppressed ones (but not those
// suppressed by the object's own annotation, unless the policy honours it), and those of exempt images
// and service accounts.
func (h *Handler) activeFindings(fs []finding.Finding, w *workload.Workload, j *judgement, dryRun bool) []finding.Finding {
	if len(fs) == 0 {
		return nil
	}
	saExempt := ""
	if len(h.policy.Exempt.ServiceAccounts) > 0 {
		sa := w.ServiceAccount()
		for _, p := range h.policy.Exempt.ServiceAccounts {
			subject := sa
			if strings.Contains(p, "/") {
				subject = w.Namespace() + "/" + sa
			}
			if ok, _ := path.Match(p, subject); ok {
				saExempt = "service account " + w.Namespace() + "/" + sa + " (" + p + ")"
				break
			}
		}
	}
	var images map[string]string
	out := fs[:0:0]
	imageCount := 0
	for _, f := range fs {
		if f.Suppressed && (h.policy.HonorIgnoreAnnotations || !strings.HasPrefix(f.Suppression, "annotation "+rules.AnnotationIgnore)) {
			continue
		}
		if saExempt != "" {
			j.exemptCount++
			continue
		}
		if f.Container != "" && len(h.policy.Exempt.Images) > 0 {
			if images == nil {
				images = containerImages(w)
			}
			if _, ok := matchAny(h.policy.Exempt.Images, images[f.Container]); ok {
				j.exemptCount++
				imageCount++
				continue
			}
		}
		f.Suppressed, f.Suppression = false, ""
		out = append(out, f)
	}
	if saExempt != "" && j.exemptCount > 0 {
		j.exemptWhy = append(j.exemptWhy, saExempt)
		h.metrics.observeExemption("service-account", dryRun)
	}
	if imageCount > 0 {
		j.exemptWhy = append(j.exemptWhy, "exempt images")
		h.metrics.observeExemption("image", dryRun)
	}
	return out
}

func containerImages(w *workload.Workload) map[string]string {
	cs := w.Containers()
	m := make(map[string]string, len(cs))
	for _, c := range cs {
		m[c.Name] = c.Image
	}
	return m
}

// decide applies the modes to a judgement and builds the response.
func (h *Handler) decide(req *admissionv1.AdmissionRequest, out outcome, obj *input.Object, lv levels, j *judgement, dryRun bool) outcome {
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}
	audit := map[string]string{}
	var denyItems, warnings []string
	seen := map[Mode]map[string]bool{ModeEnforce: {}, ModeWarn: {}, ModeAudit: {}}
	count := func(m Mode, rule string) {
		if !seen[m][rule] {
			seen[m][rule] = true
			h.metrics.observeDecision(rule, m, dryRun)
		}
	}

	if j.jobCreators != "" {
		audit[AuditJobCreators] = j.jobCreators
		count(ModeAudit, JobCreatorsRule)
		// The job-creators policy is not a finding: it denies whatever the findings, unless enforcement
		// is switched off in the namespace (or cluster-wide, e.g. while rolling jobguard out), in which
		// case it warns.
		if lv.enforce != finding.SeverityNone {
			denyItems = append(denyItems, j.jobCreators)
			count(ModeEnforce, JobCreatorsRule)
		} else if lv.warn != finding.SeverityNone {
			warnings = append(warnings, "jobguard: "+j.jobCreators)
			count(ModeWarn, JobCreatorsRule)
		}
	}
	if j.exempt != "" || len(j.exemptWhy) > 0 {
		why := j.exempt
		if len(j.exemptWhy) > 0 {
			why = strconv.Itoa(j.exemptCount) + " findings ignored: " + strings.Join(j.exemptWhy, ", ")
		}
		audit[AuditExempt] = why
		out.reason = why
	}

	var audited []finding.Finding
	warnedOut := 0
	for i := range j.findings {
		f := &j.findings[i]
		denied := lv.triggers(ModeEnforce, f.Severity)
		if denied {
			denyItems = append(denyItems, f.Rule+" ("+f.Severity.String()+"): "+f.Message)
			count(ModeEnforce, f.Rule)
		} else if lv.triggers(ModeWarn, f.Severity) {
			// Denied findings are in the denial message already.
			if len(warnings) < maxWarnings-1 {
				warnings = append(warnings, "jobguard: "+f.Rule+" ("+f.Severity.String()+"): "+f.Message)
			} else {
				warnedOut++
			}
			count(ModeWarn, f.Rule)
		}
		if lv.triggers(ModeAudit, f.Severity) {
			audited = append(audited, *f)
			count(ModeAudit, f.Rule)
		}
		out.rules = appendOnce(out.rules, f.Rule)
	}
	if warnedOut > 0 {
		warnings = append(warnings, "jobguard: and "+strconv.Itoa(warnedOut)+" more findings (run `jobguard scan` on the manifest for all of them)")
	}
	for i, s := range warnings {
		warnings[i] = sanitize(s, maxWarningBytes)
	}
	resp.Warnings = warnings
	if len(audited) > 0 {
		audit[AuditFindings] = auditSummary(audited)
		audit[AuditMaxSeverity] = finding.Max(audited).String()
	}
	if len(audit) > 0 {
		resp.AuditAnnotations = audit
	}
	if j.jobCreators != "" {
		out.rules = append([]string{JobCreatorsRule}, out.rules...)
	}

	out.decision = decisionAllowed
	if len(denyItems) > 0 {
		resp.Allowed = false
		resp.Result = &metav1.Status{
			Status:  metav1.StatusFailure,
			Code:    http.StatusForbidden,
			Reason:  metav1.StatusReasonForbidden,
			Message: denialMessage(obj.Source, denyItems),
		}
		out.decision = decisionDenied
	} else if j.exempt != "" {
		out.decision = decisionExempt
	}
	out.resp = resp
	return out
}

// denialMessage is "jobguard denied Kind ns/name: item; item; ... and N more", at most maxMessageBytes.
func denialMessage(r finding.Resource, items []string) string {
	var b strings.Builder
	b.WriteString("jobguard denied ")
	b.WriteString(sanitize(r.String(), 256))
	b.WriteString(": ")
	for i, it := range items {
		it = sanitize(it, maxItemBytes)
		sep := ""
		if i > 0 {
			sep = "; "
		}
		// Keep room for the "and N more" tail.
		if i > 0 && b.Len()+len(sep)+len(it) > maxMessageBytes-32 {
			b.WriteString("; and " + strconv.Itoa(len(items)-i) + " more")
			break
		}
		b.WriteString(sep)
		b.WriteString(it)
	}
	return b.String()
}

// auditSummary is the JSON list of the rules found, each with its highest severity and its count,
// highest severity first.
func auditSummary(fs []finding.Finding) string {
	type entry struct {
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		Count    int    `json:"count"`
		sev      finding.Severity
	}
	var es []*entry
	byRule := map[string]*entry{}
	for _, f := range fs {
		e := byRule[f.Rule]
		if e == nil {
			e = &entry{Rule: f.Rule}
			byRule[f.Rule] = e
			es = append(es, e)
		}
		e.Count++
		if f.Severity > e.sev {
			e.sev = f.Severity
		}
	}
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].sev != es[j].sev {
			return es[i].sev > es[j].sev
		}
		return es[i].Rule < es[j].Rule
	})
	if len(es) > maxAuditFindings {
		es = es[:maxAuditFindings]
	}
	for _, e := range es {
		e.Severity = e.sev.String()
	}
	b, _ := json.Marshal(es)
	return string(b)
}

// sanitize makes s one printable line (control characters and invalid UTF-8 become spaces) of at most
// max bytes, cut at a rune boundary with an ellipsis.
func sanitize(s string, max int) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= utf8.RuneSelf {
			clean = false
			break
		}
	}
	if !clean {
		var b strings.Builder
		b.Grow(len(s))
		for _, r := range s {
			if r == utf8.RuneError || !unicode.IsPrint(r) {
				r = ' '
			}
			b.WriteRune(r)
		}
		s = b.String()
	}
	return truncate(s, max)
}

// truncate cuts s to at most max bytes at a rune boundary, ending in "…" when cut.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const ell = "…"
	cut := max - len(ell)
	if cut < 0 {
		cut = 0
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ell
}

func appendOnce(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

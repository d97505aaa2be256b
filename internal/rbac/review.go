package rbac

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/workload"
)

// Well-known groups and users.
const (
	GroupMasters         = "system:masters"
	GroupAuthenticated   = "system:authenticated"
	GroupUnauthenticated = "system:unauthenticated"
	GroupServiceAccounts = "system:serviceaccounts"
	UserAnonymous        = "system:anonymous"
)

// DefaultAdminGroups and DefaultAdminRoles are the administrators of ReviewOptions left empty:
// members of system:masters (whom the API server allows everything without asking RBAC), and
// whoever a ClusterRoleBinding gives cluster-admin.
var (
	DefaultAdminGroups = []string{GroupMasters}
	DefaultAdminRoles  = []string{"cluster-admin"}
)

// Annotations that suppress review findings on a binding or workload, as they do for scan.
const (
	annotationIgnore       = "jobguard.io/ignore"
	annotationIgnoreReason = "jobguard.io/ignore-reason"
	// bootstrapLabel marks the API server's own default bindings.
	bootstrapLabel = "kubernetes.io/bootstrapping"
)

// technique is the ATT&CK technique every jobguard finding carries first.
const technique = "T1053.007"

// ReviewOptions configure Review. The zero value reviews with the default administrators.
type ReviewOptions struct {
	// AdminGroups are groups whose members are administrators (nil: DefaultAdminGroups).
	AdminGroups []string
	// AdminUsers are administrators by user name; "system:serviceaccount:NS:NAME" names a service
	// account.
	AdminUsers []string
	// AdminRoles are ClusterRoles whose holders through a ClusterRoleBinding are administrators
	// (nil: DefaultAdminRoles). An empty non-nil slice makes nobody an administrator that way.
	AdminRoles []string
	// IncludeSystem reviews the control plane's own identities too: users and groups named
	// "system:..." and kube-system service accounts bound by the API server's default bindings
	// (labelled kubernetes.io/bootstrapping=rbac-defaults). By default they count as administrators.
	IncludeSystem bool
	// DefaultClusterRoles adds the API server's default ClusterRoles (DefaultClusterRoles) that the
	// input does not hold, so that bindings to edit, admin or cluster-admin in manifests are judged
	// as a cluster would. Leave it off for the objects of a live cluster, which has its own.
	DefaultClusterRoles bool
	// Unreadable, when set, reports the kinds of role that could not be read ("Role" in a namespace,
	// or in every namespace with namespace "", and "ClusterRole"): bindings to such roles are not
	// reported as bindings to missing roles.
	Unreadable func(kind, namespace string) bool
}

// ReviewResult is what Review found.
type ReviewResult struct {
	Findings []finding.Finding
	// Bindings and Workloads count what was reviewed.
	Bindings, Workloads int
	// Model is the model the review was made on.
	Model *Model
	// DefaultRoles names the default ClusterRoles that were added (DefaultClusterRoles) and that a
	// binding references.
	DefaultRoles []string
}

// capability is a kind of power the review looks for.
type capability int

const (
	capWorkloads capability = iota
	capEscalateBind
	capImpersonate
	capToken
	capSecrets
	capNodesProxy
	capAdmission
	numCaps
)

// capWhat says what a capability allows, for messages about service accounts.
var capWhat = [numCaps]string{
	capWorkloads:    "create or change workloads",
	capEscalateBind: "escalate or bind roles",
	capImpersonate:  "impersonate",
	capToken:        "create service account tokens",
	capSecrets:      "read Secrets",
	capNodesProxy:   "reach the kubelet API (nodes/proxy)",
	capAdmission:    "change admission control",
}

// capRule is the rule of the findings of a capability (for subjects that are not public).
var capRule = [numCaps]string{
	capWorkloads:    RuleWorkloadCreator,
	capEscalateBind: RuleEscalateBind,
	capImpersonate:  RuleImpersonate,
	capToken:        RuleTokenRequest,
	capSecrets:      RuleReadSecrets,
	capNodesProxy:   RuleNodesProxy,
	capAdmission:    RuleAdmissionControl,
}

// probe is one request the review asks WhoCan about. clusterOnly marks requests that only a
// cluster-wide grant answers (cluster-scoped resources).
type probe struct {
	cap         capability
	verb        string
	ref         ResourceRef
	clusterOnly bool
}

// WorkloadResources are the resources whose create, update or patch runs pods (and the pod
// subresources that run code in existing pods: exec, attach, ephemeral containers).
var WorkloadResources = []ResourceRef{
	{APIGroup: "batch", Resource: "cronjobs"},
	{APIGroup: "batch", Resource: "jobs"},
	{APIGroup: "", Resource: "pods"},
	{APIGroup: "apps", Resource: "deployments"},
	{APIGroup: "apps", Resource: "daemonsets"},
	{APIGroup: "apps", Resource: "statefulsets"},
	{APIGroup: "apps", Resource: "replicasets"},
	{APIGroup: "", Resource: "replicationcontrollers"},
	{APIGroup: "", Resource: "podtemplates"},
}

var probes = func() []probe {
	var ps []probe
	add := func(c capability, clusterOnly bool, group, resource, sub string, verbs ...string) {
		for _, v := range verbs {
			ps = append(ps, probe{cap: c, verb: v, ref: ResourceRef{APIGroup: group, Resource: resource, Subresource: sub}, clusterOnly: clusterOnly})
		}
	}
	for _, r := range WorkloadResources {
		add(capWorkloads, false, r.APIGroup, r.Resource, "", "create", "update", "patch")
	}
	add(capWorkloads, false, "", "pods", "ephemeralcontainers", "update", "patch")
	add(capWorkloads, false, "", "pods", "exec", "create")
	add(capWorkloads, false, "", "pods", "attach", "create")

	const rbacGroup = rbacv1.GroupName
	add(capEscalateBind, false, rbacGroup, "roles", "", "escalate", "bind")
	add(capEscalateBind, true, rbacGroup, "clusterroles", "", "escalate")
	// A RoleBinding's bind check asks about the referenced ClusterRole in the binding's namespace.
	add(capEscalateBind, false, rbacGroup, "clusterroles", "", "bind")

	add(capImpersonate, true, "", "users", "", "impersonate")
	add(capImpersonate, true, "", "groups", "", "impersonate")
	add(capImpersonate, false, "", "serviceaccounts", "", "impersonate")

	add(capToken, false, "", "serviceaccounts", "token", "create")
	add(capSecrets, false, "", "secrets", "", "get", "list", "watch")
	add(capNodesProxy, true, "", "nodes", "proxy", "get", "create")

	const admission = "admissionregistration.k8s.io"
	for _, r := range []string{"validatingwebhookconfigurations", "mutatingwebhookconfigurations",
		"validatingadmissionpolicies", "validatingadmissionpolicybindings",
		"mutatingadmissionpolicies", "mutatingadmissionpolicybindings"} {
		add(capAdmission, true, admission, r, "", "create", "update", "patch", "delete", "deletecollection")
	}
	return ps
}()

// scopes is where a subject has a capability: cluster-wide, or in some namespaces.
type scopes struct {
	cluster bool
	ns      map[string]bool
}

func (s *scopes) add(ns string) {
	if ns == "" {
		s.cluster = true
		return
	}
	if s.ns == nil {
		s.ns = make(map[string]bool)
	}
	s.ns[ns] = true
}

func (s *scopes) any() bool { return s.cluster || len(s.ns) > 0 }

func (s *scopes) covers(ns string) bool { return s.cluster || ns != "" && s.ns[ns] }

func (s *scopes) merge(o *scopes) {
	if o.cluster {
		s.cluster = true
	}
	for ns := range o.ns {
		s.add(ns)
	}
}

// powers is what a subject (or an identity with its groups) may do.
type powers [numCaps]scopes

// closure adds what creating workloads implies: a pod in a namespace can mount every Secret and
// a token of every service account there.
func (p *powers) closure() {
	w := &p[capWorkloads]
	for _, c := range []capability{capSecrets, capToken} {
		p[c].merge(w)
	}
}

// bindingRef identifies a binding.
type bindingRef struct{ kind, namespace, name string }

// accKey groups grants: one capability, one binding, one subject (indexes in the model).
type accKey struct {
	cap     capability
	binding int32 // index in Model.bindings
	sid     int32 // index in Model.subjectList
}

// acc is what one binding grants one subject of one capability.
type acc struct {
	accKey
	ref     bindingRef
	subject Subject
	perms   []perm  // verbs per resource, in probe order
	rules   []int32 // indexes of the matching rules in the role's effective rules
	grants  []Grant // one per rule, filled when probing is done
	// lastProbe is the number of the last probe that added to perms.
	lastProbe int
}

type perm struct {
	resource string
	verbs    []string
}

func (a *acc) addPerm(verb, resource string) {
	for i := range a.perms {
		if a.perms[i].resource == resource {
			if !slices.Contains(a.perms[i].verbs, verb) {
				a.perms[i].verbs = append(a.perms[i].verbs, verb)
			}
			return
		}
	}
	a.perms = append(a.perms, perm{resource: resource, verbs: []string{verb}})
}

// reviewer holds the state of one review.
type reviewer struct {
	opts    ReviewOptions
	objs    *Objects
	model   *Model
	accs    map[accKey]*acc
	order   []*acc
	powers  map[Subject]*powers
	admins  map[Subject]bool
	system  map[Subject]bool
	adminGr map[string]bool
	adminUs map[string]bool
	// namespaces seen anywhere in the input, and service accounts known in each.
	namespaces map[string]bool
	accounts   map[string]map[string]bool
}

// Review judges the RBAC objects of objs (with their workloads and ServiceAccounts as context)
// against ATT&CK M1018: who, besides administrators, can create or change workloads, and who has a
// path to that (escalate/bind, impersonate, token requests, Secrets, nodes/proxy, admission
// control, running pods as a more powerful service account); and which workloads run as a service
// account that can itself create workloads. The findings come in a stable order; report writers
// sort them for display.
func Review(objs []*input.Object, opts ReviewOptions) *ReviewResult {
	r := &reviewer{
		opts:       opts,
		objs:       Collect(objs),
		accs:       make(map[accKey]*acc),
		powers:     make(map[Subject]*powers),
		admins:     make(map[Subject]bool),
		system:     make(map[Subject]bool),
		namespaces: make(map[string]bool),
		accounts:   make(map[string]map[string]bool),
	}
	var defaults []string
	if opts.DefaultClusterRoles {
		defaults = r.objs.AddDefaultClusterRoles()
	}
	r.model = r.objs.Model(Options{})
	if r.opts.AdminGroups == nil {
		r.opts.AdminGroups = DefaultAdminGroups
	}
	if r.opts.AdminRoles == nil {
		r.opts.AdminRoles = DefaultAdminRoles
	}
	r.adminGr = setOf(r.opts.AdminGroups)
	r.adminUs = setOf(r.opts.AdminUsers)
	r.findAdmins()
	r.probe()
	r.collectAccounts(objs)

	res := &ReviewResult{Model: r.model, Bindings: len(r.objs.RoleBindings) + len(r.objs.ClusterRoleBindings), DefaultRoles: defaults}
	var fs []finding.Finding
	fs = append(fs, r.grantFindings()...)
	fs = append(fs, r.powerfulAccountFindings()...)
	wf, n := r.workloadFindings(objs)
	res.Workloads = n
	fs = append(fs, wf...)
	fs = append(fs, r.problemFindings()...)
	res.Findings = fs
	return res
}

func setOf(s []string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

// publicKind says whether s is everyone ("anonymous": unauthenticated requests; "authenticated":
// every user and service account), or "".
func publicKind(s Subject) string {
	switch {
	case s.Kind == KindGroup && s.Name == GroupUnauthenticated, s.Kind == KindUser && s.Name == UserAnonymous:
		return "anonymous"
	case s.Kind == KindGroup && s.Name == GroupAuthenticated:
		return "authenticated"
	}
	return ""
}

// broad reports whether s is a group of many identities that no one chose one by one.
func broad(s Subject) bool {
	if publicKind(s) != "" {
		return true
	}
	return s.Kind == KindGroup && (s.Name == GroupServiceAccounts || strings.HasPrefix(s.Name, GroupServiceAccounts+":"))
}

// userName is the user name a subject authenticates as ("" for groups).
func userName(s Subject) string {
	switch s.Kind {
	case KindUser:
		return s.Name
	case KindServiceAccount:
		u, _ := ServiceAccountUser(s.Namespace, s.Name)
		return u
	}
	return ""
}

// findAdmins records the holders of admin roles and the control plane's identities.
func (r *reviewer) findAdmins() {
	adminRoles := setOf(r.opts.AdminRoles)
	for _, b := range r.objs.ClusterRoleBindings {
		boot := b.Labels[bootstrapLabel] == "rbac-defaults"
		isAdmin := b.RoleRef.Kind == KindClusterRole && adminRoles[b.RoleRef.Name]
		for _, s := range b.Subjects {
			subj, ok := normalSubject(s, "")
			if !ok || broad(subj) {
				continue
			}
			if isAdmin {
				r.admins[subj] = true
			}
			if boot && systemIdentity(subj) {
				r.system[subj] = true
			}
		}
	}
	for _, b := range r.objs.RoleBindings {
		if b.Labels[bootstrapLabel] != "rbac-defaults" {
			continue
		}
		for _, s := range b.Subjects {
			if subj, ok := normalSubject(s, b.Namespace); ok && !broad(subj) && systemIdentity(subj) {
				r.system[subj] = true
			}
		}
	}
}

// systemIdentity reports whether s is named like a control-plane identity.
func systemIdentity(s Subject) bool {
	if s.Kind == KindServiceAccount {
		return s.Namespace == "kube-system"
	}
	return strings.HasPrefix(s.Name, "system:")
}

// normalSubject is the model's view of a binding subject; ok is false for subjects that match
// nobody.
func normalSubject(s rbacv1.Subject, bindingNS string) (Subject, bool) {
	switch s.Kind {
	case KindUser, KindGroup:
		return Subject{Kind: s.Kind, Name: s.Name}, s.Name != ""
	case KindServiceAccount:
		ns := s.Namespace
		if ns == "" {
			ns = bindingNS
		}
		return Subject{Kind: s.Kind, Name: s.Name, Namespace: ns}, ns != "" && s.Name != ""
	}
	return Subject{}, false
}

// isAdmin reports whether s is an administrator (or, unless IncludeSystem, a control-plane
// identity): its grants are not findings.
func (r *reviewer) isAdmin(s Subject) bool {
	if broad(s) {
		return false
	}
	if r.admins[s] || (!r.opts.IncludeSystem && r.system[s]) {
		return true
	}
	if s.Kind == KindGroup {
		return r.adminGr[s.Name]
	}
	return r.adminUs[userName(s)]
}

// probe asks every probe and records, per capability, binding and subject, what is granted.
// Requests that can carry a name (all but creating a workload) are also asked with every name the
// rules restrict them to: patching the one CronJob "nightly" runs code as surely as patching any.
func (r *reviewer) probe() {
	n := 0
	for _, p := range probes {
		n++
		r.record(n, p, p.ref.Request(p.verb, ""), p.ref.String(), false)
		if p.cap != capWorkloads || (p.verb == "create" && p.ref.Subresource == "") {
			continue // escalate, bind, impersonate, tokens and Secrets restricted by name are the safe forms
		}
		for _, name := range r.model.resourceNames(p.ref) {
			req := p.ref.Request(p.verb, "")
			req.Name = name
			n++
			r.record(n, p, req, p.ref.String()+" named "+strconv.Quote(name), true)
		}
	}
	m := r.model
	for _, a := range r.order {
		slices.Sort(a.rules)
		b := &m.bindings[a.binding]
		role := &m.roles[b.role]
		a.grants = make([]Grant, len(a.rules))
		for i, k := range a.rules {
			m.fillGrant(&a.grants[i], b, role, int(k), &a.subject)
		}
	}
	slices.SortFunc(r.order, func(a, b *acc) int {
		return cmp.Or(cmp.Compare(a.cap, b.cap), cmp.Compare(m.bindings[a.binding].rank, m.bindings[b.binding].rank), cmp.Compare(a.sid, b.sid))
	})
}

// record adds what the model grants for req, probe number n. With namedOnly, only rules
// restricted by resourceNames count (the others answered the unnamed request already).
func (r *reviewer) record(n int, p probe, req Request, res string, namedOnly bool) {
	m := r.model
	m.eachHit(&req, func(bi, sid, k int32) {
		b := &m.bindings[bi]
		if p.clusterOnly && b.kind != KindClusterRoleBinding {
			return
		}
		if namedOnly && len(m.roles[b.role].rules[k].rule.ResourceNames) == 0 {
			return
		}
		key := accKey{cap: p.cap, binding: bi, sid: sid}
		a := r.accs[key]
		if a == nil {
			a = &acc{accKey: key, ref: bindingRef{b.kind, b.namespace, b.name}, subject: m.subjectList[sid]}
			r.accs[key] = a
			r.order = append(r.order, a)
			pw := r.powers[a.subject]
			if pw == nil {
				pw = new(powers)
				r.powers[a.subject] = pw
			}
			ns := ""
			if b.kind == KindRoleBinding {
				ns = b.namespace
			}
			pw[p.cap].add(ns)
		}
		if a.lastProbe != n {
			a.lastProbe = n
			a.addPerm(p.verb, res)
		}
		if !slices.Contains(a.rules, k) {
			a.rules = append(a.rules, k)
		}
	})
}

// eachHit calls fn for every binding subject (by index) that a rule (by index in the binding's
// role) grants req, as WhoCan would list them (with req.Namespace "": in every scope), without
// building answers.
func (m *Model) eachHit(req *Request, fn func(binding, sid, rule int32)) {
	resource := req.IsResourceRequest()
	entries := m.candidates(req)
	var matched []int32
	for i := 0; i < len(entries); {
		ri := m.entries[entries[i]].role
		r := &m.roles[ri]
		matched = matched[:0]
		for ; i < len(entries) && m.entries[entries[i]].role == ri; i++ {
			if k := m.entries[entries[i]].rule; RuleAllows(&r.rules[k].rule, req) {
				matched = append(matched, k)
			}
		}
		if len(matched) == 0 {
			continue
		}
		for _, bi := range r.bindings {
			b := &m.bindings[bi]
			if int(bi) >= m.clusterScoped && (!resource || req.Namespace != "" && b.namespace != req.Namespace) {
				continue
			}
			for _, sid := range b.sid {
				if sid < 0 {
					continue
				}
				for _, k := range matched {
					fn(bi, sid, k)
				}
			}
		}
	}
}

// resourceNames returns, sorted, the resourceNames of the rules that may match requests on ref.
func (m *Model) resourceNames(ref ResourceRef) []string {
	req := ref.Request("", "")
	var out []string
	for _, e := range m.candidates(&req) {
		rule := &m.roles[m.entries[e].role].rules[m.entries[e].rule].rule
		for _, n := range rule.ResourceNames {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return out
}

// grantFindings reports every grant of a capability to a subject that is not an administrator.
func (r *reviewer) grantFindings() []finding.Finding {
	var out []finding.Finding
	for _, a := range r.order {
		if r.isAdmin(a.subject) {
			continue
		}
		id := capRule[a.cap]
		sev := reviewRule(id).Severity
		escalation := ""
		pub := publicKind(a.subject)
		switch {
		case a.cap == capWorkloads && pub == "anonymous":
			id, sev = RuleAnonymousWorkloads, finding.SeverityCritical
		case a.cap == capWorkloads && pub == "authenticated":
			id, sev = RuleAuthenticatedWorkloads, finding.SeverityCritical
		case a.cap == capWorkloads && a.ref.kind == KindRoleBinding:
			sev = finding.SeverityMedium
		case pub != "":
			sev = finding.SeverityCritical
			escalation = "raised to critical: granted to " + describePublic(pub)
		}
		var b strings.Builder
		b.WriteString(describeSubject(a.subject))
		b.WriteString(" can ")
		b.WriteString(describePerms(a.perms))
		b.WriteString(" ")
		b.WriteString(describeScope(a.ref.namespace))
		b.WriteString(" through ")
		b.WriteString(describeChain(a.ref, a.grants))
		f := r.bindingFinding(id, sev, a.ref, a.subject, b.String())
		f.Escalation = escalation
		out = append(out, f)
	}
	return out
}

func describePublic(kind string) string {
	if kind == "anonymous" {
		return "anonymous users"
	}
	return "every authenticated user"
}

// describeSubject renders a subject for messages, saying who a broad group is.
func describeSubject(s Subject) string {
	var d string
	switch s.Kind {
	case KindServiceAccount:
		d = "ServiceAccount " + strconv.Quote(s.Namespace+"/"+s.Name)
	default:
		d = s.Kind + " " + strconv.Quote(s.Name)
	}
	switch {
	case s.Kind == KindGroup && s.Name == GroupAuthenticated:
		d += " (every authenticated user and service account)"
	case publicKind(s) == "anonymous":
		d += " (anonymous requests)"
	case s.Kind == KindGroup && s.Name == GroupServiceAccounts:
		d += " (every service account)"
	case s.Kind == KindGroup && strings.HasPrefix(s.Name, GroupServiceAccounts+":"):
		d += " (every service account of namespace " + strconv.Quote(strings.TrimPrefix(s.Name, GroupServiceAccounts+":")) + ")"
	}
	return d
}

// describePerms renders verbs per resource, resources with the same verbs together:
// "create, update, patch cronjobs.batch, jobs.batch; create pods/exec".
func describePerms(perms []perm) string {
	var groups []string
	done := make([]bool, len(perms))
	for i := range perms {
		if done[i] {
			continue
		}
		res := []string{perms[i].resource}
		for j := i + 1; j < len(perms); j++ {
			if !done[j] && slices.Equal(perms[i].verbs, perms[j].verbs) {
				res = append(res, perms[j].resource)
				done[j] = true
			}
		}
		groups = append(groups, strings.Join(perms[i].verbs, ", ")+" "+strings.Join(res, ", "))
	}
	return strings.Join(groups, "; ")
}

func describeScope(ns string) string {
	if ns == "" {
		return "cluster-wide"
	}
	return "in namespace " + strconv.Quote(ns)
}

// describeChain renders `RoleBinding "ns/name" -> ClusterRole "edit" (rules[3], rules[5] via
// aggregated ClusterRole "x")`.
func describeChain(b bindingRef, grants []Grant) string {
	var s strings.Builder
	s.WriteString(b.kind)
	s.WriteString(" ")
	if b.namespace != "" {
		s.WriteString(strconv.Quote(b.namespace + "/" + b.name))
	} else {
		s.WriteString(strconv.Quote(b.name))
	}
	if len(grants) == 0 {
		return s.String()
	}
	s.WriteString(" -> ")
	s.WriteString(grants[0].RoleKind)
	s.WriteString(" ")
	s.WriteString(strconv.Quote(grants[0].Role))
	s.WriteString(" (")
	var via []string
	for i, g := range grants {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString("rules[" + strconv.Itoa(g.RuleIndex) + "]")
		if len(g.ViaAggregation) > 0 {
			if v := g.ViaAggregation[len(g.ViaAggregation)-1]; !slices.Contains(via, v) {
				via = append(via, v)
			}
		}
	}
	if len(via) > 0 {
		s.WriteString(" aggregated from ClusterRole ")
		for i, v := range via {
			if i > 0 {
				s.WriteString(", ")
			}
			s.WriteString(strconv.Quote(v))
		}
	}
	s.WriteString(")")
	return s.String()
}

// bindingFinding makes a finding about a subject of a binding, located at that subject.
func (r *reviewer) bindingFinding(id string, sev finding.Severity, b bindingRef, s Subject, msg string) finding.Finding {
	res := finding.Resource{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: b.kind, Namespace: b.namespace, Name: b.name}
	var annotations map[string]string
	if src := r.objs.Source(b.kind, b.namespace, b.name); src != nil {
		res = src.Source
		res.Namespace = b.namespace // a defaulted namespace
		if i := subjectIndex(src.Obj, s, b.namespace); i >= 0 {
			res.Path = "subjects[" + strconv.Itoa(i) + "]"
			res.Line = src.LineOf(res.Path)
		}
		if m := src.Meta(); m != nil {
			annotations = m.Annotations
		}
	}
	f := newFinding(id, sev, res, msg)
	suppress(&f, annotations)
	return f
}

// subjectIndex returns the index of the first subject of a binding object that is s, or -1.
func subjectIndex(obj any, s Subject, bindingNS string) int {
	var subjects []rbacv1.Subject
	switch v := obj.(type) {
	case *rbacv1.RoleBinding:
		subjects = v.Subjects
	case *rbacv1.ClusterRoleBinding:
		subjects = v.Subjects
		bindingNS = ""
	}
	for i, x := range subjects {
		if n, ok := normalSubject(x, bindingNS); ok && n == s {
			return i
		}
	}
	return -1
}

func newFinding(id string, sev finding.Severity, res finding.Resource, msg string) finding.Finding {
	ri := reviewRule(id)
	attack := make([]string, 0, 1+len(ri.Attack))
	attack = append(attack, technique)
	attack = append(attack, ri.Attack...)
	return finding.Finding{
		Rule:        ri.ID,
		Category:    ri.Category,
		Severity:    sev,
		Title:       ri.Title,
		Message:     msg,
		Resource:    res,
		Attack:      attack,
		Mitigations: ri.Mitigations,
		Remediation: ri.Remediation,
	}
}

// suppress marks f suppressed when the object's jobguard.io/ignore annotation lists its rule, its
// category or "*".
func suppress(f *finding.Finding, annotations map[string]string) {
	v, ok := annotations[annotationIgnore]
	if !ok {
		return
	}
	for _, id := range strings.Split(v, ",") {
		id = strings.TrimSpace(id)
		if id == f.Rule || id == "*" || id == string(f.Category) {
			f.Suppressed = true
			f.Suppression = "annotation " + annotationIgnore
			if reason := annotations[annotationIgnoreReason]; reason != "" {
				f.Suppression += ": " + reason
			}
			return
		}
	}
}

// collectAccounts gathers the namespaces of the input and the service accounts known in each:
// ServiceAccount objects, service accounts named by bindings, and "default" everywhere.
func (r *reviewer) collectAccounts(objs []*input.Object) {
	addNS := func(ns string) {
		if ns != "" {
			r.namespaces[ns] = true
		}
	}
	addSA := func(ns, name string) {
		if ns == "" || name == "" {
			return
		}
		addNS(ns)
		m := r.accounts[ns]
		if m == nil {
			m = make(map[string]bool)
			r.accounts[ns] = m
		}
		m[name] = true
	}
	for _, o := range objs {
		if o == nil {
			continue
		}
		switch v := o.Obj.(type) {
		case *corev1.ServiceAccount:
			addSA(cmp.Or(v.Namespace, DefaultNamespace), v.Name)
		case *corev1.Namespace:
			addNS(v.Name)
		default:
			if w := workload.From(o.Obj); w != nil {
				addNS(w.Namespace())
			}
		}
	}
	for _, ns := range r.model.scopes {
		addNS(ns)
	}
	for _, s := range r.model.subjectList {
		if s.Kind == KindServiceAccount {
			addSA(s.Namespace, s.Name)
		}
	}
	for ns := range r.namespaces {
		addSA(ns, "default")
	}
}

// identityPowers is what the service account ns/name may do with its groups, without what that
// implies (see powers.closure).
func (r *reviewer) identityPowers(ns, name string) *powers {
	user, groups := ServiceAccountUser(ns, name)
	p := new(powers)
	r.mergePowers(p, Subject{Kind: KindServiceAccount, Namespace: ns, Name: name})
	r.mergePowers(p, Subject{Kind: KindUser, Name: user})
	for _, g := range groups {
		r.mergePowers(p, Subject{Kind: KindGroup, Name: g})
	}
	return p
}

// subjectPowers is what a subject may do on its own bindings (and, for service accounts, its
// groups'; every authenticated identity also has what system:authenticated has), with what that
// implies.
func (r *reviewer) subjectPowers(s Subject) *powers {
	var p *powers
	if rest, ok := strings.CutPrefix(s.Name, serviceAccountPrefix); ok && s.Kind == KindUser {
		if ns, name, ok := strings.Cut(rest, ":"); ok {
			p = r.identityPowers(ns, name)
		}
	}
	switch {
	case p != nil:
	case s.Kind == KindServiceAccount:
		p = r.identityPowers(s.Namespace, s.Name)
	default:
		p = new(powers)
		r.mergePowers(p, s)
		if publicKind(s) != "anonymous" {
			r.mergePowers(p, Subject{Kind: KindGroup, Name: GroupAuthenticated})
		}
	}
	p.closure()
	return p
}

func (r *reviewer) mergePowers(p *powers, s Subject) {
	q := r.powers[s]
	if q == nil {
		return
	}
	for c := range p {
		p[c].merge(&q[c])
	}
}

// extra describes what s may do beyond c, or "".
func extra(s, c *powers) string {
	var parts []string
	for cp := range numCaps {
		ss, cs := &s[cp], &c[cp]
		var where []string
		if ss.cluster && !cs.cluster {
			where = append(where, "cluster-wide")
		} else if !cs.cluster {
			var nss []string
			for ns := range ss.ns {
				if !cs.ns[ns] {
					nss = append(nss, ns)
				}
			}
			if len(nss) > 0 {
				slices.Sort(nss)
				where = append(where, "in "+plural(len(nss), "namespace")+" "+quoteList(nss, 3))
			}
		}
		if len(where) > 0 {
			parts = append(parts, capWhat[cp]+" "+strings.Join(where, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// quoteList quotes up to max items and says how many more there are.
func quoteList(items []string, max int) string {
	var b strings.Builder
	for i, it := range items {
		if i == max {
			b.WriteString(" and " + strconv.Itoa(len(items)-max) + " more")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(it))
	}
	return b.String()
}

// maxAccounts caps how many service accounts one message names.
const maxAccounts = 3

// powerfulAccountFindings reports subjects that can run workloads where a service account that
// may do more than they can is available to run as.
func (r *reviewer) powerfulAccountFindings() []finding.Finding {
	type memoKey struct {
		s     Subject
		scope string
	}
	memo := make(map[memoKey][]string)
	accountPowers := make(map[Subject]*powers)
	var nsList []string
	for ns := range r.namespaces {
		nsList = append(nsList, ns)
	}
	slices.Sort(nsList)

	var out []finding.Finding
	for _, a := range r.order {
		if a.cap != capWorkloads || r.isAdmin(a.subject) || publicKind(a.subject) == "anonymous" {
			continue
		}
		key := memoKey{a.subject, a.ref.namespace}
		found, ok := memo[key]
		if !ok {
			mine := r.subjectPowers(a.subject)
			where := nsList
			if a.ref.namespace != "" {
				where = []string{a.ref.namespace}
			}
			for _, ns := range where {
				names := make([]string, 0, len(r.accounts[ns]))
				for n := range r.accounts[ns] {
					names = append(names, n)
				}
				slices.Sort(names)
				for _, n := range names {
					sa := Subject{Kind: KindServiceAccount, Namespace: ns, Name: n}
					if sa == a.subject {
						continue
					}
					p := accountPowers[sa]
					if p == nil {
						p = r.identityPowers(ns, n)
						accountPowers[sa] = p
					}
					if more := extra(p, mine); more != "" {
						found = append(found, strconv.Quote(ns+"/"+n)+" ("+more+")")
					}
				}
			}
			memo[key] = found
		}
		if len(found) == 0 {
			continue
		}
		var b strings.Builder
		b.WriteString(describeSubject(a.subject))
		b.WriteString(" can ")
		b.WriteString(describePerms(a.perms))
		b.WriteString(" ")
		b.WriteString(describeScope(a.ref.namespace))
		b.WriteString(" through ")
		b.WriteString(describeChain(a.ref, a.grants))
		b.WriteString(", so it can run pods as ")
		if len(found) == 1 {
			b.WriteString("service account ")
		} else {
			b.WriteString(strconv.Itoa(len(found)) + " service accounts that may do more than it: ")
		}
		for i, f := range found {
			if i == maxAccounts {
				b.WriteString("; and " + strconv.Itoa(len(found)-i) + " more")
				break
			}
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(f)
		}
		if len(found) == 1 {
			b.WriteString(", which may do more than it")
		}
		out = append(out, r.bindingFinding(RulePowerfulServiceAccount, finding.SeverityHigh, a.ref, a.subject, b.String()))
	}
	return out
}

// maxBindings caps how many bindings one workload message names.
const maxBindings = 3

// workloadFindings reports workloads whose service account can create or change workloads, and
// returns how many workloads the input holds.
func (r *reviewer) workloadFindings(objs []*input.Object) ([]finding.Finding, int) {
	// The workload grants of each subject.
	bySubject := make(map[Subject][]*acc)
	for _, a := range r.order {
		if a.cap == capWorkloads {
			bySubject[a.subject] = append(bySubject[a.subject], a)
		}
	}
	var out []finding.Finding
	n := 0
	for _, o := range objs {
		if o == nil {
			continue
		}
		w := workload.From(o.Obj)
		if w == nil {
			continue
		}
		n++
		ns, name := w.Namespace(), w.ServiceAccount()
		user, groups := ServiceAccountUser(ns, name)
		keys := []Subject{{Kind: KindServiceAccount, Namespace: ns, Name: name}, {Kind: KindUser, Name: user}}
		for _, g := range groups {
			keys = append(keys, Subject{Kind: KindGroup, Name: g})
		}
		var grants []*acc
		for _, k := range keys {
			grants = append(grants, bySubject[k]...)
		}
		if len(grants) == 0 {
			continue
		}
		var b strings.Builder
		b.WriteString("pod runs as service account " + strconv.Quote(ns+"/"+name))
		if w.PodSpec.ServiceAccountName == "" && w.PodSpec.DeprecatedServiceAccount == "" {
			b.WriteString(" (none set: the namespace's default)")
		}
		b.WriteString(", which can ")
		for i, a := range grants {
			if i == maxBindings {
				b.WriteString("; and " + strconv.Itoa(len(grants)-i) + " more grants")
				break
			}
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(describePerms(a.perms))
			b.WriteString(" ")
			b.WriteString(describeScope(a.ref.namespace))
			b.WriteString(" through ")
			b.WriteString(describeChain(a.ref, a.grants))
			if a.subject.Kind != KindServiceAccount {
				b.WriteString(" (subject " + a.subject.String() + ")")
			}
		}
		res := o.Source
		res.Namespace = ns
		switch {
		case w.PodSpec.ServiceAccountName != "":
			res.Path = w.SpecPath + ".serviceAccountName"
		case w.PodSpec.DeprecatedServiceAccount != "":
			res.Path = w.SpecPath + ".serviceAccount"
		default:
			res.Path = w.SpecPath
		}
		res.Line = o.LineOf(res.Path)
		f := newFinding(RuleWorkloadPlantsJobs, finding.SeverityHigh, res, b.String())
		suppress(&f, w.Meta.Annotations)
		out = append(out, f)
	}
	return out, n
}

// problemFindings reports what NewModel found wrong with the RBAC objects.
func (r *reviewer) problemFindings() []finding.Finding {
	var out []finding.Finding
	for _, p := range r.model.Problems() {
		if !r.opts.IncludeSystem && r.objs.Bootstrap(p.Kind, p.Namespace, p.Name) {
			continue // the API server's own objects are as it means them
		}
		src := r.objs.Source(p.Kind, p.Namespace, p.Name)
		if p.Field == "roleRef" && r.opts.Unreadable != nil && src != nil {
			var ref rbacv1.RoleRef
			switch v := src.Obj.(type) {
			case *rbacv1.RoleBinding:
				ref = v.RoleRef
			case *rbacv1.ClusterRoleBinding:
				ref = v.RoleRef
			}
			ns := p.Namespace
			if ref.Kind == KindClusterRole {
				ns = ""
			}
			if r.opts.Unreadable(ref.Kind, ns) || (ns != "" && r.opts.Unreadable(ref.Kind, "")) {
				continue // the role may exist; it could not be read
			}
		}
		res := finding.Resource{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: p.Kind, Namespace: p.Namespace, Name: p.Name, Path: p.Field}
		var annotations map[string]string
		if src != nil {
			res = src.Source
			res.Namespace = p.Namespace
			res.Path = p.Field
			res.Line = src.LineOf(p.Field)
			if m := src.Meta(); m != nil {
				annotations = m.Annotations
			}
		}
		msg := p.Message
		if p.Field != "" {
			msg = p.Field + ": " + msg
		}
		f := newFinding(RuleMisconfiguration, finding.SeverityLow, res, msg)
		suppress(&f, annotations)
		out = append(out, f)
	}
	return out
}

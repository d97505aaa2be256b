package rbac

import (
	"cmp"
	"slices"
	"strings"
)

const serviceAccountPrefix = "system:serviceaccount:"

// Allows reports whether the RBAC authorizer allows the user with the given name and groups to
// make req, as a SubjectAccessReview with the same attributes would (the groups are used as given:
// the API server adds system:authenticated and the service account groups at authentication, not
// here; see ServiceAccountUser). Grants lists every chain that allows it, in the order the
// authorizer visits them: ClusterRoleBindings, then RoleBindings in req.Namespace, each in input
// order, with the first subject of each binding that matches the user.
func (m *Model) Allows(user string, groups []string, req Request) (bool, []Grant) {
	if m == nil {
		return false, nil
	}
	ns := req.Namespace
	if !req.IsResourceRequest() {
		ns = ""
	}
	var cands []subjectRef
	add := func(key string) {
		for _, c := range m.subjects[key] {
			if m.bindings[c.binding].role >= 0 && m.applies(c.binding, ns) {
				cands = append(cands, c)
			}
		}
	}
	add(userKey(user))
	for _, g := range groups {
		add(groupKey(g))
	}
	if rest, ok := strings.CutPrefix(user, serviceAccountPrefix); ok {
		// "system:serviceaccount:NS:NAME" is a ServiceAccount NAME in NS, for every split of the rest
		// at a colon (valid names have no colon, so that is one split).
		for i := 1; i < len(rest); i++ {
			if rest[i] == ':' {
				add(saKey(rest[:i], rest[i+1:]))
			}
		}
	}
	if len(cands) == 0 {
		return false, nil
	}
	slices.SortFunc(cands, func(a, b subjectRef) int {
		if c := cmp.Compare(a.binding, b.binding); c != 0 {
			return c
		}
		return cmp.Compare(a.subject, b.subject)
	})

	var grants []Grant
	last := int32(-1)
	for _, c := range cands {
		if c.binding == last {
			continue // a later subject of a binding already seen
		}
		last = c.binding
		b := &m.bindings[c.binding]
		r := &m.roles[b.role]
		for k := range r.rules {
			if RuleAllows(&r.rules[k].rule, &req) {
				grants = append(grants, m.grant(b, r, k, b.subjects[c.subject]))
			}
		}
	}
	return len(grants) > 0, grants
}

// applies reports whether binding bi takes part in a request in namespace ns ("" = cluster-wide).
func (m *Model) applies(bi int32, ns string) bool {
	return int(bi) < m.clusterScoped || ns != "" && m.bindings[bi].namespace == ns
}

func (m *Model) grant(b *binding, r *role, k int, s Subject) Grant {
	var g Grant
	m.fillGrant(&g, b, r, k, &s)
	return g
}

// fillGrant writes a grant in place (a Grant is large: WhoCan fills thousands).
func (m *Model) fillGrant(g *Grant, b *binding, r *role, k int, s *Subject) {
	g.Binding = b.name
	g.BindingKind = b.kind
	g.BindingNamespace = b.namespace
	g.Role = r.name
	g.RoleKind = r.kind
	g.RuleIndex = k
	g.Rule = &r.rules[k].rule
	g.Subject = *s
	g.ViaAggregation = r.rules[k].via
}

// WhoCan lists every subject that is granted req, one Answer per subject and scope, sorted by
// subject (kind, namespace, name) then scope ("" first), each with its grants sorted by binding
// (ClusterRoleBindings first, then by namespace and name) and rule index.
//
// With req.Namespace set, the answers are the subjects allowed req in that namespace: cluster-wide
// through ClusterRoleBindings (Answer.Namespace "") or through RoleBindings in that namespace
// (Answer.Namespace = req.Namespace). With req.Namespace "", WhoCan answers for all namespaces at
// once: every ClusterRoleBinding grant (Answer.Namespace "") and every RoleBinding grant, each in its
// binding's namespace. A grant in a namespace allows only requests in that namespace, so for a
// cluster-scoped resource only the cluster-wide answers count. Non-resource requests are granted
// by ClusterRoleBindings only.
//
// Subjects are reported as bound: a Group is not expanded into its members, and a user is not
// reported for its groups' grants. A rule restricted by resourceNames answers only requests that
// carry one of those names (leave req.Name empty to ask about create, list or deletecollection).
func (m *Model) WhoCan(req Request) []Answer {
	if m == nil {
		return nil
	}
	resource := req.IsResourceRequest()
	entries := m.candidates(&req)

	// The rules of each role that match, and one hit per (subject, scope, binding) granted through
	// them; sorted, the hits group into answers in order.
	type span struct{ off, n int32 }
	var ruleBuf []int32
	matched := make(map[int32]span)
	var hits []hit
	for i := 0; i < len(entries); {
		ri := m.entries[entries[i]].role
		r := &m.roles[ri]
		off := int32(len(ruleBuf))
		for ; i < len(entries) && m.entries[entries[i]].role == ri; i++ {
			k := m.entries[entries[i]].rule
			if RuleAllows(&r.rules[k].rule, &req) {
				ruleBuf = append(ruleBuf, k)
			}
		}
		if int32(len(ruleBuf)) == off {
			continue
		}
		matched[ri] = span{off, int32(len(ruleBuf)) - off}
		for _, bi := range r.bindings {
			b := &m.bindings[bi]
			if int(bi) >= m.clusterScoped && (!resource || req.Namespace != "" && b.namespace != req.Namespace) {
				continue
			}
			for _, sid := range b.sid {
				if sid >= 0 {
					hits = append(hits, hit{sid, b.scope, b.rank})
				}
			}
		}
	}
	if len(hits) == 0 {
		return nil
	}
	m.sortHits(hits)

	nAnswers, nGrants := 0, 0
	for i, h := range hits {
		if i == 0 || h.subject != hits[i-1].subject || h.scope != hits[i-1].scope {
			nAnswers++
		}
		nGrants += int(matched[m.bindings[m.byRank[h.rank]].role].n)
	}
	answers := make([]Answer, 0, nAnswers)
	grants := make([]Grant, nGrants)
	start, j := 0, 0
	for i, h := range hits {
		b := &m.bindings[m.byRank[h.rank]]
		r := &m.roles[b.role]
		s := &m.subjectList[h.subject]
		sp := matched[b.role]
		for _, k := range ruleBuf[sp.off : sp.off+sp.n] {
			m.fillGrant(&grants[j], b, r, int(k), s)
			j++
		}
		if i+1 == len(hits) || hits[i+1].subject != h.subject || hits[i+1].scope != h.scope {
			answers = append(answers, Answer{Subject: *s, Namespace: m.scopes[h.scope], Grants: grants[start:j:j]})
			start = j
		}
	}
	return answers
}

// hit is a subject granted a request through a binding (by its rank), in a scope.
type hit struct{ subject, scope, rank int32 }

// sortHits sorts hits by subject, scope and binding rank: as packed uint64 keys when the model's
// numbers fit in 64 bits (always, short of millions of bindings and namespaces), else by
// comparing fields.
func (m *Model) sortHits(hits []hit) {
	sb, rb := m.scopeBits, m.rankBits
	if sb+rb+m.subjectBits > 64 {
		slices.SortFunc(hits, func(a, b hit) int {
			return cmp.Or(cmp.Compare(a.subject, b.subject), cmp.Compare(a.scope, b.scope), cmp.Compare(a.rank, b.rank))
		})
		return
	}
	keys := make([]uint64, len(hits))
	for i, h := range hits {
		keys[i] = (uint64(h.subject)<<sb|uint64(h.scope))<<rb | uint64(h.rank)
	}
	slices.Sort(keys)
	for i, k := range keys {
		hits[i] = hit{subject: int32(k >> (sb + rb)), scope: int32(k >> rb & (1<<sb - 1)), rank: int32(k & (1<<rb - 1))}
	}
}

// candidates returns, sorted and without duplicates, the rule entries that may match req: those
// naming its resource (or "resource/subresource"), "*", or "*/subresource"; for a non-resource
// request those naming its URL or a URL ending in "*". Callers check each with RuleAllows.
func (m *Model) candidates(req *Request) []int32 {
	var lists [3][]int32
	if req.IsResourceRequest() {
		combined := req.Resource
		if req.Subresource != "" {
			combined += "/" + req.Subresource
		}
		lists[0] = m.byResource[combined]
		if combined != "*" {
			lists[1] = m.byResource["*"]
		}
		if req.Subresource != "" && combined != "*/"+req.Subresource {
			lists[2] = m.byResource["*/"+req.Subresource]
		}
	} else {
		lists[0] = m.byURL[req.NonResourceURL]
		lists[1] = m.urlWildcards
	}
	return mergeSorted(lists[:])
}

// mergeSorted merges increasing lists into one increasing list without duplicates.
func mergeSorted(lists [][]int32) []int32 {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := make([]int32, 0, n)
	pos := make([]int, len(lists))
	for {
		best := -1
		var v int32
		for i, l := range lists {
			if pos[i] < len(l) && (best < 0 || l[pos[i]] < v) {
				best, v = i, l[pos[i]]
			}
		}
		if best < 0 {
			return out
		}
		for i, l := range lists {
			if pos[i] < len(l) && l[pos[i]] == v {
				pos[i]++
			}
		}
		out = append(out, v)
	}
}

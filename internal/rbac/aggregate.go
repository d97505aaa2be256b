package rbac

import (
	"slices"
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// aggregated is an aggregated ClusterRole being resolved.
type aggregated struct {
	role     int32
	selected [][]int32 // per selector, the matching ClusterRoles (not itself) in name order
	keys     []string  // rule keys of its current effective rules
}

// aggregate resolves aggregated ClusterRoles like the clusterrole-aggregation controller: the
// rules of an aggregated ClusterRole become, replacing its own, the rules of the ClusterRoles its
// selectors match (selector by selector, matching roles in name order, skipping itself), without
// duplicates. The controller reads the selected roles' stored rules, which for aggregated roles are
// what it wrote, so chains resolve to the steady state the controller reaches. In a cycle of
// aggregated roles that state depends on the order of the controller's work; the model takes the
// smallest one: what the roles of the cycle gather from roles outside it.
func (m *Model) aggregate(crs map[int32]*rbacv1.ClusterRole, opts Options) {
	if opts.StoredAggregation {
		return
	}
	byName := make([]int32, 0, len(crs))
	for i := range crs {
		byName = append(byName, i)
	}
	slices.SortFunc(byName, func(a, b int32) int { return strings.Compare(m.roles[a].name, m.roles[b].name) })

	// Posting lists of ClusterRoles by label key, in name order, to narrow selector matching.
	withKey := make(map[string][]int32)
	for _, i := range byName {
		for k := range crs[i].Labels {
			withKey[k] = append(withKey[k], i)
		}
	}

	var aggs []*aggregated
	aggOf := make(map[int32]*aggregated)
	for _, i := range byName {
		cr := crs[i]
		if cr.AggregationRule == nil {
			continue
		}
		a := &aggregated{role: i}
		ok := true
		for si := range cr.AggregationRule.ClusterRoleSelectors {
			sel, err := metav1.LabelSelectorAsSelector(&cr.AggregationRule.ClusterRoleSelectors[si])
			if err != nil {
				m.problem(KindClusterRole, "", cr.Name, "aggregationRule.clusterRoleSelectors["+strconv.Itoa(si)+"]",
					"invalid selector (%v): the aggregation controller leaves the role's stored rules as they are", err)
				ok = false
				break
			}
			a.selected = append(a.selected, selectRoles(sel, byName, withKey, crs, i))
		}
		if !ok {
			continue
		}
		aggs = append(aggs, a)
		aggOf[i] = a
		m.roles[i].rules = nil
	}
	if len(aggs) == 0 {
		return
	}

	baseKeys := make(map[int32][]string)
	keys := func(ri int32) []string {
		if a := aggOf[ri]; a != nil {
			return a.keys
		}
		ks, ok := baseKeys[ri]
		if !ok {
			rules := m.roles[ri].rules
			ks = make([]string, len(rules))
			for k := range rules {
				ks[k] = ruleKey(&rules[k].rule)
			}
			baseKeys[ri] = ks
		}
		return ks
	}
	// Gauss-Seidel iteration from empty aggregated rules: each pass recomputes every aggregated role
	// from the current rules of the roles it selects; rule sets only grow, so this reaches the least
	// fixpoint, in at most one pass per link of the longest chain (plus one to see nothing changed).
	for pass := 0; pass <= len(aggs)+1; pass++ {
		changed := false
		for _, a := range aggs {
			rules, ks := m.gather(a, keys)
			if !slices.Equal(ks, a.keys) || !sameVia(rules, m.roles[a.role].rules) {
				changed = true
			}
			m.roles[a.role].rules, a.keys = rules, ks
		}
		if !changed {
			break
		}
	}

	m.reportCycles(aggs, aggOf)
	for _, a := range aggs {
		stored := crs[a.role].Rules
		if len(stored) == 0 {
			continue
		}
		sk := make([]string, len(stored))
		for i := range stored {
			sk[i] = ruleKey(&stored[i])
		}
		if !sameSet(sk, a.keys) {
			m.problem(KindClusterRole, "", m.roles[a.role].name, "rules",
				"aggregated ClusterRole stores %d rules that differ from the %d rules the aggregation controller gathers from the ClusterRoles it selects; the model uses the gathered rules",
				len(stored), len(a.keys))
		}
	}
}

// selectRoles returns the ClusterRoles (except self) that sel matches, in name order.
func selectRoles(sel labels.Selector, byName []int32, withKey map[string][]int32, crs map[int32]*rbacv1.ClusterRole, self int32) []int32 {
	candidates := byName
	if reqs, _ := sel.Requirements(); len(reqs) > 0 {
		for _, r := range reqs {
			switch r.Operator() {
			case selection.In, selection.Equals, selection.DoubleEquals, selection.Exists:
				if c := withKey[r.Key()]; len(c) < len(candidates) {
					candidates = c
				}
			}
		}
	}
	var out []int32
	for _, i := range candidates {
		if i != self && sel.Matches(labels.Set(crs[i].Labels)) {
			out = append(out, i)
		}
	}
	return out
}

// gather computes the rules of an aggregated role from the current rules of the roles it selects.
func (m *Model) gather(a *aggregated, keysOf func(int32) []string) ([]effectiveRule, []string) {
	var rules []effectiveRule
	var keys []string
	self := m.roles[a.role].name
	seen := make(map[string]bool)
	for _, sel := range a.selected {
		for _, ri := range sel {
			src := &m.roles[ri]
			ks := keysOf(ri)
			for k := range src.rules {
				key := ks[k]
				if slices.Contains(src.rules[k].via, self) {
					// The rule came to src through this role (a cycle): this role has it from
					// where src got it, so keep that shorter path.
					continue
				}
				if seen[key] {
					continue
				}
				seen[key] = true
				via := make([]string, 1+len(src.rules[k].via))
				via[0] = src.name
				copy(via[1:], src.rules[k].via)
				rules = append(rules, effectiveRule{rule: src.rules[k].rule, via: via})
				keys = append(keys, key)
			}
		}
	}
	return rules, keys
}

func sameVia(a, b []effectiveRule) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !slices.Equal(a[i].via, b[i].via) {
			return false
		}
	}
	return true
}

func sameSet(a, b []string) bool {
	in := make(map[string]bool, len(a))
	for _, k := range a {
		in[k] = true
	}
	for _, k := range b {
		if !in[k] {
			return false
		}
	}
	inB := make(map[string]bool, len(b))
	for _, k := range b {
		inB[k] = true
	}
	for _, k := range a {
		if !inB[k] {
			return false
		}
	}
	return true
}

// ruleKey identifies a rule for deduplication the way the controller compares rules: field by
// field and in order, with a missing list equal to an empty one.
func ruleKey(r *rbacv1.PolicyRule) string {
	var b strings.Builder
	for _, list := range [...][]string{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs} {
		b.WriteString(strconv.Itoa(len(list)))
		b.WriteByte(':')
		for _, s := range list {
			b.WriteString(strconv.Itoa(len(s)))
			b.WriteByte(':')
			b.WriteString(s)
		}
		b.WriteByte(';')
	}
	return b.String()
}

// reportCycles reports each cycle of aggregated ClusterRoles selecting each other once.
func (m *Model) reportCycles(aggs []*aggregated, aggOf map[int32]*aggregated) {
	const (
		unvisited = iota
		onStack
		done
	)
	state := make(map[int32]int, len(aggs))
	var stack []int32
	var visit func(a *aggregated)
	visit = func(a *aggregated) {
		state[a.role] = onStack
		stack = append(stack, a.role)
		for _, sel := range a.selected {
			for _, ri := range sel {
				b := aggOf[ri]
				if b == nil {
					continue
				}
				switch state[ri] {
				case unvisited:
					visit(b)
				case onStack:
					start := slices.Index(stack, ri)
					names := make([]string, 0, len(stack)-start+1)
					for _, s := range stack[start:] {
						names = append(names, m.roles[s].name)
					}
					names = append(names, m.roles[ri].name)
					m.problem(KindClusterRole, "", m.roles[ri].name, "aggregationRule",
						"aggregation cycle %s: the aggregation controller's result depends on the order it works in; the model uses only the rules gathered from outside the cycle",
						strings.Join(names, " -> "))
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[a.role] = done
	}
	for _, a := range aggs {
		if state[a.role] == unvisited {
			visit(a)
		}
	}
}

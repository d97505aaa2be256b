package rules

import (
	"fmt"
	"sort"
	"sync"
)

var (
	registryMu sync.Mutex
	registry   = map[string]*Rule{}
	sorted     []*Rule
)

// Register adds a rule. Rules register from init functions; a duplicate or incomplete rule is a
// programming error and panics at start-up, never at scan time.
func Register(r *Rule) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if r.ID == "" || r.Title == "" || r.Category == "" || r.Severity == 0 || r.Check == nil || r.Description == "" || r.Remediation == "" {
		panic(fmt.Sprintf("rules: incomplete rule %q", r.ID))
	}
	if _, dup := registry[r.ID]; dup {
		panic(fmt.Sprintf("rules: duplicate rule %q", r.ID))
	}
	registry[r.ID] = r
	sorted = nil
}

// All returns every registered rule, ordered by category then ID.
func All() []*Rule {
	registryMu.Lock()
	defer registryMu.Unlock()
	if sorted == nil {
		sorted = make([]*Rule, 0, len(registry))
		for _, r := range registry {
			sorted = append(sorted, r)
		}
		sort.Slice(sorted, func(i, j int) bool {
			ci, cj := categoryOrder[sorted[i].Category], categoryOrder[sorted[j].Category]
			if ci != cj {
				return ci < cj
			}
			return sorted[i].ID < sorted[j].ID
		})
	}
	return sorted
}

// Lookup returns the rule with the ID, or nil.
func Lookup(id string) *Rule {
	registryMu.Lock()
	defer registryMu.Unlock()
	return registry[id]
}

package rules

import "github.com/jobguard/jobguard/internal/finding"

// Categories in the order rules are listed and documented.
var Categories = []finding.Category{
	finding.CategoryExecution,
	finding.CategoryHostAccess,
	finding.CategoryJobBehaviour,
	finding.CategoryDisguise,
	finding.CategoryImage,
	finding.CategoryIdentity,
	finding.CategoryPodSecurity,
}

var categoryOrder = func() map[finding.Category]int {
	m := map[finding.Category]int{}
	for i, c := range Categories {
		m[c] = i
	}
	return m
}()

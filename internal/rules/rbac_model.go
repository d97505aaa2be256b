package rules

import (
	"runtime"
	"sync"
	"weak"

	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/rbac"
)

// The identity rules judge RBAC with the same model as `jobguard who-can` and `jobguard rbac
// review`, so the three agree. The model is built once per input set (on first use, by whichever
// rule evaluation gets there first) and kept while the set lives.

// rbacView is the model of one input set's RBAC objects.
type rbacView struct {
	model *rbac.Model
	// builtin names the API server's default ClusterRoles (rbac.DefaultClusterRoles) added because
	// the input lacks them.
	builtin map[string]bool
	// order ranks bindings as the input lists them: ClusterRoleBindings, then RoleBindings.
	order map[string]int
	// n is the number of RBAC objects the view was built from, to notice objects added later.
	n int
	// powers caches serviceAccountPower by "namespace/name".
	powers sync.Map
}

// rbacEntry caches the view of one set.
type rbacEntry struct {
	mu   sync.Mutex
	view *rbacView
}

// rbacViews maps weak pointers to input sets to their *rbacEntry. An entry is removed when its
// set is garbage collected, so long-running faces (webhook, watch) do not accumulate models.
var rbacViews sync.Map

// rbacViewOf returns the RBAC view of set, building it on first use or when RBAC objects were
// added to the set since. set must not be nil.
func rbacViewOf(set *input.Set) *rbacView {
	key := weak.Make(set)
	v, ok := rbacViews.Load(key)
	if !ok {
		var loaded bool
		v, loaded = rbacViews.LoadOrStore(key, &rbacEntry{})
		if !loaded {
			runtime.AddCleanup(set, func(k weak.Pointer[input.Set]) { rbacViews.Delete(k) }, key)
		}
	}
	e := v.(*rbacEntry)
	n := rbacCount(set)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.view == nil || e.view.n != n {
		e.view = newRBACView(set, n)
	}
	return e.view
}

func rbacCount(s *input.Set) int {
	return len(s.Roles) + len(s.ClusterRoles) + len(s.RoleBindings) + len(s.ClusterRoleBindings)
}

func newRBACView(set *input.Set, n int) *rbacView {
	objs := rbac.CollectSet(set)
	v := &rbacView{builtin: map[string]bool{}, order: map[string]int{}, n: n}
	have := map[string]bool{}
	for _, cr := range objs.ClusterRoles {
		have[cr.Name] = true
	}
	objs.AddDefaultClusterRoles()
	for _, cr := range objs.ClusterRoles {
		if !have[cr.Name] {
			v.builtin[cr.Name] = true
		}
	}
	for _, b := range objs.ClusterRoleBindings {
		v.order[bindingKey(rbac.KindClusterRoleBinding, "", b.Name)] = len(v.order)
	}
	for _, b := range objs.RoleBindings {
		v.order[bindingKey(rbac.KindRoleBinding, b.Namespace, b.Name)] = len(v.order)
	}
	v.model = objs.Model(rbac.Options{})
	return v
}

func bindingKey(kind, namespace, name string) string { return kind + "/" + namespace + "/" + name }

package rules

import (
	"runtime"
	"sync"
	"weak"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/rbac"
)

// The identity rules judge RBAC with the same model as `jobguard who-can` and `jobguard rbac
// review`, so the three agree. The model is built once per input set (on first use, by whichever
// rule evaluation gets there first) and kept while the set lives.

// rbacView is the model of one input set's RBAC objects.
type rbacView struct {
	model *rbac.Model
	// builtin names the Kubernetes default ClusterRoles added because the input lacks them.
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
	for _, name := range []string{"cluster-admin", "admin", "edit"} {
		if !have[name] {
			objs.ClusterRoles = append(objs.ClusterRoles, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: builtinRoleRules[name]})
			v.builtin[name] = true
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

// builtinRoleRules are the parts of Kubernetes' default cluster-admin, admin and edit ClusterRoles
// that the identity rules look at, to judge bindings to them when the input does not hold them.
var builtinRoleRules = func() map[string][]rbacv1.PolicyRule {
	write := []string{"create", "delete", "deletecollection", "patch", "update"}
	edit := []rbacv1.PolicyRule{
		{Verbs: write, APIGroups: []string{""}, Resources: []string{"pods", "replicationcontrollers", "secrets", "serviceaccounts", "configmaps"}},
		{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{""}, Resources: []string{"pods", "secrets", "serviceaccounts", "configmaps"}},
		{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "serviceaccounts/token"}},
		{Verbs: []string{"impersonate"}, APIGroups: []string{""}, Resources: []string{"serviceaccounts"}},
		{Verbs: write, APIGroups: []string{"apps"}, Resources: []string{"daemonsets", "deployments", "replicasets", "statefulsets"}},
		{Verbs: write, APIGroups: []string{"batch"}, Resources: []string{"cronjobs", "jobs"}},
	}
	admin := append(append([]rbacv1.PolicyRule(nil), edit...),
		rbacv1.PolicyRule{Verbs: append([]string{"get", "list", "watch"}, write...), APIGroups: []string{rbacv1.GroupName}, Resources: []string{"roles", "rolebindings"}})
	return map[string][]rbacv1.PolicyRule{
		"cluster-admin": {
			{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
			{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
		},
		"admin": admin,
		"edit":  edit,
	}
}()

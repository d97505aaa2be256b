package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/jobguard/jobguard/internal/input"
)

// DefaultNamespace is the namespace given to a Role or RoleBinding of a manifest that names none,
// as `kubectl apply` does with a context without a namespace (and as jobguard's workload view does
// for workloads).
const DefaultNamespace = "default"

// Objects are the RBAC objects of an input, each with the input.Object it came from (so a finding
// can point at a file and line, or a cluster object's UID).
type Objects struct {
	Roles               []*rbacv1.Role
	ClusterRoles        []*rbacv1.ClusterRole
	RoleBindings        []*rbacv1.RoleBinding
	ClusterRoleBindings []*rbacv1.ClusterRoleBinding

	sources map[string]*input.Object // roleKey(kind, namespace, name) -> object (the last one wins)
}

// Collect picks the Roles, ClusterRoles, RoleBindings and ClusterRoleBindings out of objs. A Role
// or RoleBinding without a namespace is taken to be in DefaultNamespace; the input object is not
// changed (the returned object is a shallow copy with the namespace set).
func Collect(objs []*input.Object) *Objects {
	o := &Objects{sources: make(map[string]*input.Object)}
	for _, obj := range objs {
		if obj != nil {
			o.add(obj)
		}
	}
	return o
}

// CollectSet is Collect for the RBAC objects an input.Set has indexed (without their sources).
func CollectSet(s *input.Set) *Objects {
	o := &Objects{sources: make(map[string]*input.Object)}
	if s == nil {
		return o
	}
	for _, r := range s.Roles {
		o.Roles = append(o.Roles, defaultRole(r))
	}
	o.ClusterRoles = append(o.ClusterRoles, s.ClusterRoles...)
	for _, b := range s.RoleBindings {
		o.RoleBindings = append(o.RoleBindings, defaultRoleBinding(b))
	}
	o.ClusterRoleBindings = append(o.ClusterRoleBindings, s.ClusterRoleBindings...)
	return o
}

func (o *Objects) add(obj *input.Object) {
	switch v := obj.Obj.(type) {
	case *rbacv1.Role:
		if v == nil {
			return
		}
		v = defaultRole(v)
		o.Roles = append(o.Roles, v)
		o.sources[roleKey(KindRole, v.Namespace, v.Name)] = obj
	case *rbacv1.ClusterRole:
		if v == nil {
			return
		}
		o.ClusterRoles = append(o.ClusterRoles, v)
		o.sources[roleKey(KindClusterRole, "", v.Name)] = obj
	case *rbacv1.RoleBinding:
		if v == nil {
			return
		}
		v = defaultRoleBinding(v)
		o.RoleBindings = append(o.RoleBindings, v)
		o.sources[roleKey(KindRoleBinding, v.Namespace, v.Name)] = obj
	case *rbacv1.ClusterRoleBinding:
		if v == nil {
			return
		}
		o.ClusterRoleBindings = append(o.ClusterRoleBindings, v)
		o.sources[roleKey(KindClusterRoleBinding, "", v.Name)] = obj
	}
}

func defaultRole(r *rbacv1.Role) *rbacv1.Role {
	if r == nil || r.Namespace != "" {
		return r
	}
	c := *r
	c.Namespace = DefaultNamespace
	return &c
}

func defaultRoleBinding(b *rbacv1.RoleBinding) *rbacv1.RoleBinding {
	if b == nil || b.Namespace != "" {
		return b
	}
	c := *b
	c.Namespace = DefaultNamespace
	return &c
}

// Len is the number of RBAC objects.
func (o *Objects) Len() int {
	return len(o.Roles) + len(o.ClusterRoles) + len(o.RoleBindings) + len(o.ClusterRoleBindings)
}

// Model builds the model of the objects.
func (o *Objects) Model(opts Options) *Model {
	return NewModelWithOptions(o.Roles, o.ClusterRoles, o.RoleBindings, o.ClusterRoleBindings, opts)
}

// Source returns the input object of the Role, ClusterRole, RoleBinding or ClusterRoleBinding
// kind namespace/name (namespace "" for cluster-scoped kinds), or nil when it was not collected
// from an input object.
func (o *Objects) Source(kind, namespace, name string) *input.Object {
	if o == nil {
		return nil
	}
	return o.sources[roleKey(kind, namespace, name)]
}

// Bootstrap reports whether the object kind namespace/name is one of the API server's own
// defaults (labelled kubernetes.io/bootstrapping=rbac-defaults), such as the system:node
// ClusterRoleBinding, which has no subjects on purpose (the Node authorizer serves kubelets).
func (o *Objects) Bootstrap(kind, namespace, name string) bool {
	src := o.Source(kind, namespace, name)
	if src == nil {
		return false
	}
	m := src.Meta()
	return m != nil && m.Labels[bootstrapLabel] == "rbac-defaults"
}

package input

import (
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Set is every object read together (one scan's files, or one cluster), indexed for rules that need
// context beyond the object they judge.
type Set struct {
	Objects []*Object

	configMaps          map[string]*corev1.ConfigMap
	namespaces          map[string]*corev1.Namespace
	Roles               []*rbacv1.Role
	ClusterRoles        []*rbacv1.ClusterRole
	RoleBindings        []*rbacv1.RoleBinding
	ClusterRoleBindings []*rbacv1.ClusterRoleBinding
	ServiceAccounts     []*corev1.ServiceAccount
}

// NewSet indexes objs.
func NewSet(objs []*Object) *Set {
	s := &Set{Objects: objs, configMaps: map[string]*corev1.ConfigMap{}, namespaces: map[string]*corev1.Namespace{}}
	for _, o := range objs {
		s.index(o)
	}
	return s
}

// Add appends and indexes one object.
func (s *Set) Add(o *Object) {
	s.Objects = append(s.Objects, o)
	s.index(o)
}

func (s *Set) index(o *Object) {
	switch v := o.Obj.(type) {
	case *corev1.ConfigMap:
		s.configMaps[v.Namespace+"/"+v.Name] = v
	case *corev1.Namespace:
		s.namespaces[v.Name] = v
	case *corev1.ServiceAccount:
		s.ServiceAccounts = append(s.ServiceAccounts, v)
	case *rbacv1.Role:
		s.Roles = append(s.Roles, v)
	case *rbacv1.ClusterRole:
		s.ClusterRoles = append(s.ClusterRoles, v)
	case *rbacv1.RoleBinding:
		s.RoleBindings = append(s.RoleBindings, v)
	case *rbacv1.ClusterRoleBinding:
		s.ClusterRoleBindings = append(s.ClusterRoleBindings, v)
	}
}

// ConfigMap returns the ConfigMap namespace/name of the input, or nil.
func (s *Set) ConfigMap(namespace, name string) *corev1.ConfigMap {
	if s == nil {
		return nil
	}
	return s.configMaps[namespace+"/"+name]
}

// Namespace returns the Namespace object of the input, or nil.
func (s *Set) Namespace(name string) *corev1.Namespace {
	if s == nil {
		return nil
	}
	return s.namespaces[name]
}

// HasRBAC reports whether the input holds any RBAC object, so rules can tell "no binding" from
// "nothing known".
func (s *Set) HasRBAC() bool {
	return s != nil && len(s.Roles)+len(s.ClusterRoles)+len(s.RoleBindings)+len(s.ClusterRoleBindings) > 0
}

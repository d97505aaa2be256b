// Package rbacsource reads what jobguard's RBAC faces (who-can, rbac review) judge from a live
// cluster: Roles, ClusterRoles, RoleBindings and ClusterRoleBindings, page by page, and for the
// review also the workloads and ServiceAccounts. A kind the user may not list is a Gap that names
// the missing permission; the caller decides whether it can answer without it (who-can cannot,
// the review reports itself incomplete).
package rbacsource

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/rbac"
)

// DefaultPageSize is the list page size when Options.PageSize is 0.
const DefaultPageSize = 500

// Options choose what List reads.
type Options struct {
	// Namespace limits Roles, RoleBindings, workloads and ServiceAccounts to one namespace; ""
	// reads every namespace. ClusterRoles and ClusterRoleBindings are always read.
	Namespace string
	// PageSize is the number of objects per list request (DefaultPageSize when <= 0).
	PageSize int64
	// Workloads also reads every workload kind and the ServiceAccounts (for the review).
	// Workloads controlled by another workload (a CronJob's Jobs, a Deployment's ReplicaSets and
	// Pods) are left out: their pod template, and so their service account, is their owner's.
	Workloads bool
	// ContextName names the cluster in the objects' sources (the kubeconfig context).
	ContextName string
	// ClusterOnly reads ClusterRoles and ClusterRoleBindings only: enough for questions about
	// cluster-scoped resources and non-resource URLs, which RoleBindings never grant.
	ClusterOnly bool
}

// Gap is a kind the user may not list: what it reads is incomplete without it.
type Gap struct {
	Kind      string // e.g. ClusterRole
	Resource  string // e.g. clusterroles.rbac.authorization.k8s.io
	Namespace string // "" when listed in every namespace or cluster-scoped
	// Message is the API server's answer.
	Message string
}

// Error renders the missing permission:
// `missing permission "list" on clusterroles.rbac.authorization.k8s.io cluster-wide (...)`.
func (g Gap) Error() string {
	scope := "cluster-wide"
	if g.Namespace != "" {
		scope = "in namespace " + g.Namespace
	}
	s := fmt.Sprintf("missing permission %q on %s %s", "list", g.Resource, scope)
	if g.Message != "" {
		s += " (" + g.Message + ")"
	}
	return s
}

// RBAC reports whether the gap is of an RBAC kind (without which RBAC answers are wrong).
func (g Gap) RBAC() bool {
	switch g.Kind {
	case rbac.KindRole, rbac.KindClusterRole, rbac.KindRoleBinding, rbac.KindClusterRoleBinding:
		return true
	}
	return false
}

// Result is what List read.
type Result struct {
	Objects []*input.Object
	Gaps    []Gap
}

// Unreadable reports whether objects of kind in namespace could not be read (namespace "" asks
// about cluster-scoped kinds or every namespace); it fits rbac.ReviewOptions.Unreadable.
func (r *Result) Unreadable(kind, namespace string) bool {
	for _, g := range r.Gaps {
		if g.Kind == kind && (g.Namespace == "" || g.Namespace == namespace) {
			return true
		}
	}
	return false
}

// RBACGaps returns the gaps of RBAC kinds.
func (r *Result) RBACGaps() []Gap {
	var out []Gap
	for _, g := range r.Gaps {
		if g.RBAC() {
			out = append(out, g)
		}
	}
	return out
}

// kind is one resource List reads.
type kind struct {
	apiVersion, kind, resource, group string
	namespaced, workload              bool
	// list reads one page.
	list func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (cont string, items []any, err error)
}

func (k *kind) qualified() string {
	if k.group == "" {
		return k.resource
	}
	return k.resource + "." + k.group
}

// listPage adapts a typed list call.
func listPage[L interface{ GetContinue() string }, T any](l L, err error, items func() []T) (string, []any, error) {
	if err != nil {
		return "", nil, err
	}
	its := items()
	out := make([]any, len(its))
	for i := range its {
		out[i] = &its[i]
	}
	return l.GetContinue(), out, nil
}

var rbacKinds = []kind{
	{"rbac.authorization.k8s.io/v1", rbac.KindClusterRole, "clusterroles", rbacv1.GroupName, false, false,
		func(ctx context.Context, cs kubernetes.Interface, _ string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.RbacV1().ClusterRoles().List(ctx, o)
			return listPage(l, err, func() []rbacv1.ClusterRole { return l.Items })
		}},
	{"rbac.authorization.k8s.io/v1", rbac.KindClusterRoleBinding, "clusterrolebindings", rbacv1.GroupName, false, false,
		func(ctx context.Context, cs kubernetes.Interface, _ string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.RbacV1().ClusterRoleBindings().List(ctx, o)
			return listPage(l, err, func() []rbacv1.ClusterRoleBinding { return l.Items })
		}},
	{"rbac.authorization.k8s.io/v1", rbac.KindRole, "roles", rbacv1.GroupName, true, false,
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.RbacV1().Roles(ns).List(ctx, o)
			return listPage(l, err, func() []rbacv1.Role { return l.Items })
		}},
	{"rbac.authorization.k8s.io/v1", rbac.KindRoleBinding, "rolebindings", rbacv1.GroupName, true, false,
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.RbacV1().RoleBindings(ns).List(ctx, o)
			return listPage(l, err, func() []rbacv1.RoleBinding { return l.Items })
		}},
}

var contextKinds = []kind{
	{"v1", "ServiceAccount", "serviceaccounts", "", true, false,
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.CoreV1().ServiceAccounts(ns).List(ctx, o)
			return listPage(l, err, func() []corev1.ServiceAccount { return l.Items })
		}},
	{"batch/v1", "CronJob", "cronjobs", "batch", true, true,
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.BatchV1().CronJobs(ns).List(ctx, o)
			return listPage(l, err, func() []batchv1.CronJob { return l.Items })
		}},
	{"batch/v1", "Job", "jobs", "batch", true, true,
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.BatchV1().Jobs(ns).List(ctx, o)
			return listPage(l, err, func() []batchv1.Job { return l.Items })
		}},
	{"apps/v1", "Deployment", "deployments", "apps", true, true,
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.AppsV1().Deployments(ns).List(ctx, o)
			return listPage(l, err, func() []appsv1.Deployment { return l.Items })
		}},
	{"apps/v1", "DaemonSet", "daemonsets", "apps", true, true,
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.AppsV1().DaemonSets(ns).List(ctx, o)
			return listPage(l, err, func() []appsv1.DaemonSet { return l.Items })
		}},
	{"apps/v1", "StatefulSet", "statefulsets", "apps", true, true,
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.AppsV1().StatefulSets(ns).List(ctx, o)
			return listPage(l, err, func() []appsv1.StatefulSet { return l.Items })
		}},
	{"apps/v1", "ReplicaSet", "replicasets", "apps", true, true,
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.AppsV1().ReplicaSets(ns).List(ctx, o)
			return listPage(l, err, func() []appsv1.ReplicaSet { return l.Items })
		}},
	{"v1", "ReplicationController", "replicationcontrollers", "", true, true,
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.CoreV1().ReplicationControllers(ns).List(ctx, o)
			return listPage(l, err, func() []corev1.ReplicationController { return l.Items })
		}},
	{"v1", "PodTemplate", "podtemplates", "", true, true,
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.CoreV1().PodTemplates(ns).List(ctx, o)
			return listPage(l, err, func() []corev1.PodTemplate { return l.Items })
		}},
	{"v1", "Pod", "pods", "", true, true,
		func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.CoreV1().Pods(ns).List(ctx, o)
			return listPage(l, err, func() []corev1.Pod { return l.Items })
		}},
}

// List reads the RBAC objects (and with o.Workloads the workloads and ServiceAccounts) of a
// cluster. A kind the user may not list is a Gap in the result; any other error (an unreachable
// server, a cancelled context) fails List.
func List(ctx context.Context, cs kubernetes.Interface, o Options) (*Result, error) {
	limit := o.PageSize
	if limit <= 0 {
		limit = DefaultPageSize
	}
	kinds := rbacKinds
	if o.Workloads {
		kinds = append(append([]kind(nil), rbacKinds...), contextKinds...)
	}
	res := &Result{}
	for i := range kinds {
		k := &kinds[i]
		if o.ClusterOnly && k.namespaced {
			continue
		}
		ns := ""
		if k.namespaced {
			ns = o.Namespace
		}
		items, err := listAll(ctx, cs, k, ns, limit)
		if err != nil {
			var status apierrors.APIStatus
			switch {
			case apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err):
				msg := err.Error()
				if errors.As(err, &status) {
					msg = status.Status().Message
				}
				res.Gaps = append(res.Gaps, Gap{Kind: k.kind, Resource: k.qualified(), Namespace: ns, Message: msg})
				continue
			case apierrors.IsNotFound(err) && k.workload:
				continue // the server does not serve this kind
			}
			return nil, fmt.Errorf("listing %s: %w", k.qualified(), err)
		}
		for _, it := range items {
			if k.workload && controlled(it) {
				continue
			}
			res.Objects = append(res.Objects, object(k, it, o.ContextName))
		}
	}
	return res, nil
}

// listAll reads every page of a kind.
func listAll(ctx context.Context, cs kubernetes.Interface, k *kind, ns string, limit int64) ([]any, error) {
	var out []any
	opts := metav1.ListOptions{Limit: limit}
	for {
		cont, items, err := k.list(ctx, cs, ns, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if cont == "" {
			return out, nil
		}
		opts.Continue = cont
	}
}

// controlled reports whether a workload kind controls obj, so obj runs its owner's pod template.
func controlled(obj any) bool {
	m, ok := obj.(metav1.Object)
	if !ok {
		return false
	}
	for _, ref := range m.GetOwnerReferences() {
		if ref.Controller == nil || !*ref.Controller {
			continue
		}
		switch ref.Kind {
		case "CronJob", "Job", "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "ReplicationController":
			return true
		}
	}
	return false
}

func object(k *kind, obj any, cluster string) *input.Object {
	m := obj.(metav1.Object)
	return &input.Object{
		Obj: obj,
		Source: finding.Resource{
			APIVersion: k.apiVersion,
			Kind:       k.kind,
			Namespace:  m.GetNamespace(),
			Name:       m.GetName(),
			Cluster:    cluster,
			UID:        string(m.GetUID()),
		},
	}
}

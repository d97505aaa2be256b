// Package cluster reads the objects of a live cluster for a scan: every workload kind, with
// paging, plus namespaces (their Pod Security labels), ConfigMaps and RBAC objects as context.
// A kind the user may not list is a warning naming the permission, never a failed scan.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/progress"
	"github.com/jobguard/jobguard/internal/scan"
)

// Options choose what to read.
type Options struct {
	Config *rest.Config
	// ContextName names the cluster in findings (the kubeconfig context).
	ContextName string
	// Namespace limits the scan to one namespace; AllNamespaces reads every namespace.
	Namespace     string
	AllNamespaces bool
	// PageSize is the list page size (limit/continue); 0 means 500.
	PageSize int64
	// Progress, when set, counts objects as they arrive.
	Progress *progress.Bar
}

// kind describes one listable resource.
type kind struct {
	apiVersion, kind, resource, group string
	namespaced                        bool
	// context kinds are read for rules' context; their absence does not hide workloads.
	context bool
	list    func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error)
}

// Kinds returns the resources a scan lists, in order: context first, then workloads.
func kinds() []kind {
	return []kind{
		{"v1", "Namespace", "namespaces", "", false, true, func(ctx context.Context, cs kubernetes.Interface, _ string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.CoreV1().Namespaces().List(ctx, o)
			return page(l, err, func() []any { return ptrs(l.Items) })
		}},
		{"v1", "ConfigMap", "configmaps", "", true, true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.CoreV1().ConfigMaps(ns).List(ctx, o)
			return page(l, err, func() []any { return ptrs(l.Items) })
		}},
		{"v1", "ServiceAccount", "serviceaccounts", "", true, true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.CoreV1().ServiceAccounts(ns).List(ctx, o)
			return page(l, err, func() []any { return ptrs(l.Items) })
		}},
		{"rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", "rbac.authorization.k8s.io", false, true, func(ctx context.Context, cs kubernetes.Interface, _ string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.RbacV1().ClusterRoles().List(ctx, o)
			return page(l, err, func() []any { return ptrs(l.Items) })
		}},
		{"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", "rbac.authorization.k8s.io", false, true, func(ctx context.Context, cs kubernetes.Interface, _ string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.RbacV1().ClusterRoleBindings().List(ctx, o)
			return page(l, err, func() []any { return ptrs(l.Items) })
		}},
		{"rbac.authorization.k8s.io/v1", "Role", "roles", "rbac.authorization.k8s.io", true, true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.RbacV1().Roles(ns).List(ctx, o)
			return page(l, err, func() []any { return ptrs(l.Items) })
		}},
		{"rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", "rbac.authorization.k8s.io", true, true, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.RbacV1().RoleBindings(ns).List(ctx, o)
			return page(l, err, func() []any { return ptrs(l.Items) })
		}},
		{"batch/v1", "CronJob", "cronjobs", "batch", true, false, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.BatchV1().CronJobs(ns).List(ctx, o)
			return page(l, err, func() []any { return ptrs(l.Items) })
		}},
		{"batch/v1", "Job", "jobs", "batch", true, false, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.BatchV1().Jobs(ns).List(ctx, o)
			return page(l, err, func() []any { return ptrs(l.Items) })
		}},
		{"apps/v1", "DaemonSet", "daemonsets", "apps", true, false, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.AppsV1().DaemonSets(ns).List(ctx, o)
			return page(l, err, func() []any { return ptrs(l.Items) })
		}},
		{"apps/v1", "Deployment", "deployments", "apps", true, false, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.AppsV1().Deployments(ns).List(ctx, o)
			return page(l, err, func() []any { return ptrs(l.Items) })
		}},
		{"apps/v1", "StatefulSet", "statefulsets", "apps", true, false, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.AppsV1().StatefulSets(ns).List(ctx, o)
			return page(l, err, func() []any { return ptrs(l.Items) })
		}},
		{"apps/v1", "ReplicaSet", "replicasets", "apps", true, false, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.AppsV1().ReplicaSets(ns).List(ctx, o)
			return page(l, err, func() []any { return ptrs(l.Items) })
		}},
		{"v1", "ReplicationController", "replicationcontrollers", "", true, false, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.CoreV1().ReplicationControllers(ns).List(ctx, o)
			return page(l, err, func() []any { return ptrs(l.Items) })
		}},
		{"v1", "PodTemplate", "podtemplates", "", true, false, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.CoreV1().PodTemplates(ns).List(ctx, o)
			return page(l, err, func() []any { return ptrs(l.Items) })
		}},
		{"v1", "Pod", "pods", "", true, false, func(ctx context.Context, cs kubernetes.Interface, ns string, o metav1.ListOptions) (string, []any, error) {
			l, err := cs.CoreV1().Pods(ns).List(ctx, o)
			return page(l, err, func() []any { return ptrs(l.Items) })
		}},
	}
}

type lister interface{ GetContinue() string }

func page[L lister](l L, err error, items func() []any) (string, []any, error) {
	if err != nil {
		return "", nil, err
	}
	return l.GetContinue(), items(), nil
}

func ptrs[T any](items []T) []any {
	out := make([]any, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

// Source returns a scan source that reads the cluster.
func Source(o Options) scan.Source {
	return func(ctx context.Context) (*scan.Loaded, error) { return Load(ctx, o) }
}

// Load lists every kind. It fails only when the cluster cannot be reached at all.
func Load(ctx context.Context, o Options) (*scan.Loaded, error) {
	cfg := rest.CopyConfig(o.Config)
	if cfg.Timeout == 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", o.ContextName, err)
	}
	// Fail fast and clearly when the API server cannot be reached.
	if _, err := cs.Discovery().ServerVersion(); err != nil {
		return nil, fmt.Errorf("cannot reach the cluster (context %q, server %s): %w", o.ContextName, cfg.Host, err)
	}
	ns := o.Namespace
	if o.AllNamespaces {
		ns = metav1.NamespaceAll
	}
	limit := o.PageSize
	if limit <= 0 {
		limit = 500
	}
	where := "all namespaces"
	if ns != "" {
		where = "namespace " + ns
	}
	loaded := &scan.Loaded{Inputs: []string{fmt.Sprintf("cluster %s (%s)", o.ContextName, where)}}
	for _, k := range kinds() {
		if k.kind == "Namespace" && ns != "" {
			// Only the scanned namespace's labels matter; GET needs less than LIST.
			n, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			if err != nil {
				if err := classify(err, k, ns); err != nil {
					loaded.Warnings = append(loaded.Warnings, err.Error()+" (the PSS level from --pss-level applies)")
				}
				continue
			}
			loaded.Objects = append(loaded.Objects, o.object(k, n))
			continue
		}
		if !k.namespaced && ns != "" && k.kind != "ClusterRole" && k.kind != "ClusterRoleBinding" {
			continue
		}
		listNS := ns
		if !k.namespaced {
			listNS = ""
		}
		objs, err := listAll(ctx, cs, k, listNS, limit, o.Progress)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if werr := classify(err, k, listNS); werr != nil {
				loaded.Warnings = append(loaded.Warnings, werr.Error())
				continue
			}
			if apierrors.IsNotFound(err) {
				continue // the API server does not serve this kind
			}
			loaded.Errors = append(loaded.Errors, fmt.Errorf("listing %s: %w", k.resource, err))
			continue
		}
		for _, obj := range objs {
			if !k.context && ownedByScannedKind(obj) {
				continue
			}
			loaded.Objects = append(loaded.Objects, o.object(k, obj))
		}
	}
	sort.SliceStable(loaded.Objects, func(i, j int) bool {
		a, b := loaded.Objects[i].Source, loaded.Objects[j].Source
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return false
	})
	return loaded, nil
}

func listAll(ctx context.Context, cs kubernetes.Interface, k kind, ns string, limit int64, bar *progress.Bar) ([]any, error) {
	var out []any
	opts := metav1.ListOptions{Limit: limit}
	for {
		cont, items, err := k.list(ctx, cs, ns, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		bar.Add(len(items))
		if cont == "" {
			return out, nil
		}
		opts.Continue = cont
	}
}

// classify turns a permission error into a warning naming the missing permission; other errors
// return nil (the caller handles them).
func classify(err error, k kind, ns string) error {
	if !apierrors.IsForbidden(err) && !apierrors.IsUnauthorized(err) {
		return nil
	}
	res := k.resource
	if k.group != "" {
		res += "." + k.group
	}
	scope := "cluster-wide"
	if ns != "" {
		scope = "in namespace " + ns
	}
	verb := "list"
	if k.kind == "Namespace" && ns != "" {
		verb = "get"
	}
	what := "not scanned"
	if k.context {
		what = "not used as context"
	}
	var status apierrors.APIStatus
	msg := err.Error()
	if errors.As(err, &status) {
		msg = status.Status().Message
	}
	return fmt.Errorf("%s %s: missing permission %q on %s %s (%s)", res, what, verb, res, scope, msg)
}

// ownedByScannedKind reports whether a controller of a kind that the scan also reads owns obj
// (a Job of a CronJob, a ReplicaSet of a Deployment, a Pod of any of them): its template is judged
// on the owner. A Pod with ephemeral containers is always judged, since they exist only on Pods.
func ownedByScannedKind(obj any) bool {
	m, ok := obj.(metav1.ObjectMetaAccessor)
	if !ok {
		return false
	}
	if hasEphemeral(obj) {
		return false
	}
	for _, ref := range m.GetObjectMeta().GetOwnerReferences() {
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

func (o Options) object(k kind, obj any) *input.Object {
	meta := obj.(metav1.ObjectMetaAccessor).GetObjectMeta()
	if ro, ok := obj.(runtime.Object); ok {
		// List items carry no TypeMeta; set it so the object is self-describing.
		ro.GetObjectKind().SetGroupVersionKind(gvk(k))
	}
	return &input.Object{
		Obj: obj,
		Source: finding.Resource{
			APIVersion: k.apiVersion,
			Kind:       k.kind,
			Namespace:  meta.GetNamespace(),
			Name:       meta.GetName(),
			Cluster:    o.ContextName,
			UID:        string(meta.GetUID()),
		},
	}
}

package webhook

import (
	"context"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// NamespaceInformer keeps the labels of every namespace in memory through a client-go shared
// informer (list, then watch, relisting when needed) and is the webhook's NamespaceLister. A
// transform strips each namespace to its name and labels, so thousands of namespaces cost little.
//
// A namespace that is not (yet) in the cache, e.g. one created a moment ago, is read from the API
// server directly, with a short timeout.
type NamespaceInformer struct {
	client   kubernetes.Interface
	log      *slog.Logger
	factory  informers.SharedInformerFactory
	informer cache.SharedIndexInformer
	lister   listersv1.NamespaceLister

	// FallbackTimeout bounds the direct read of a namespace not in the cache (default 2 s;
	// negative: no direct reads).
	FallbackTimeout time.Duration
}

// NewNamespaceInformer returns an informer on client's namespaces; call Start, then WaitForSync.
// log may be nil.
func NewNamespaceInformer(client kubernetes.Interface, log *slog.Logger) *NamespaceInformer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTransform(func(obj any) (any, error) {
			if ns, ok := obj.(*corev1.Namespace); ok {
				return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
					Name: ns.Name, Labels: ns.Labels, ResourceVersion: ns.ResourceVersion,
				}}, nil
			}
			return obj, nil // tombstones and the like
		}))
	nsInformer := factory.Core().V1().Namespaces()
	return &NamespaceInformer{
		client:          client,
		log:             log,
		factory:         factory,
		informer:        nsInformer.Informer(),
		lister:          nsInformer.Lister(),
		FallbackTimeout: 2 * time.Second,
	}
}

// Start lists and watches namespaces in the background until ctx is done. Calls after the first
// do nothing.
func (n *NamespaceInformer) Start(ctx context.Context) { n.factory.Start(ctx.Done()) }

// WaitForSync waits until the first list is in the cache, or ctx is done; it reports whether
// synced. It checks every 10 ms (client-go's WaitForCacheSync checks every 100 ms), so whatever
// waits on it learns of the sync about when /readyz does.
func (n *NamespaceInformer) WaitForSync(ctx context.Context) bool {
	err := wait.PollUntilContextCancel(ctx, 10*time.Millisecond, true, func(context.Context) (bool, error) {
		return n.informer.HasSynced(), nil
	})
	return err == nil
}

// HasSynced reports whether the first list is in the cache.
func (n *NamespaceInformer) HasSynced() bool { return n.informer.HasSynced() }

// Labels returns the labels of a namespace (the map must not be modified).
func (n *NamespaceInformer) Labels(namespace string) (map[string]string, bool) {
	if namespace == "" {
		return nil, false
	}
	if ns, err := n.lister.Get(namespace); err == nil {
		return ns.Labels, true
	}
	if n.FallbackTimeout < 0 {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.FallbackTimeout)
	defer cancel()
	ns, err := n.client.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	if err != nil {
		if !apierrors.IsNotFound(err) {
			n.log.Warn("jobguard webhook: reading namespace", "namespace", namespace, "error", err.Error())
		}
		return nil, false
	}
	return ns.Labels, true
}

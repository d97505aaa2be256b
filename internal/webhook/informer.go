package webhook

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// NamespaceInformer keeps the labels of every namespace of a cluster in memory, from one list and then
// a watch (relisting when the watch expires), and is the webhook's NamespaceLister. Only labels are
// kept, so a cluster of thousands of namespaces costs little memory.
//
// It is a small list+watch loop on the clientset rather than a client-go SharedInformerFactory, whose
// cache package needs a module (go-difflib) that go.mod does not list; it behaves the same for this
// one resource and can be swapped for an informer without changing the NamespaceLister API.
//
// A namespace that is not (yet) in memory, e.g. one created a moment ago, is read from the API server
// directly, with a short timeout.
type NamespaceInformer struct {
	client kubernetes.Interface
	log    *slog.Logger

	mu     sync.RWMutex
	labels map[string]map[string]string

	synced    atomic.Bool
	syncedCh  chan struct{}
	startOnce sync.Once

	// FallbackTimeout bounds the direct read of a namespace not in memory (default 2 s; negative: no
	// direct reads).
	FallbackTimeout time.Duration
}

// NewNamespaceInformer returns an informer on client's namespaces; call Start, then WaitForSync.
// log may be nil.
func NewNamespaceInformer(client kubernetes.Interface, log *slog.Logger) *NamespaceInformer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &NamespaceInformer{
		client:          client,
		log:             log,
		labels:          map[string]map[string]string{},
		syncedCh:        make(chan struct{}),
		FallbackTimeout: 2 * time.Second,
	}
}

// Start lists and watches namespaces in the background until ctx is done. Calls after the first do
// nothing.
func (n *NamespaceInformer) Start(ctx context.Context) {
	n.startOnce.Do(func() { go n.run(ctx) })
}

// WaitForSync waits until the first list is in memory, or ctx is done; it reports whether synced.
func (n *NamespaceInformer) WaitForSync(ctx context.Context) bool {
	select {
	case <-n.syncedCh:
		return true
	case <-ctx.Done():
		return n.HasSynced()
	}
}

// HasSynced reports whether the first list is in memory.
func (n *NamespaceInformer) HasSynced() bool { return n.synced.Load() }

// Labels returns the labels of a namespace (the map must not be modified).
func (n *NamespaceInformer) Labels(namespace string) (map[string]string, bool) {
	if namespace == "" {
		return nil, false
	}
	n.mu.RLock()
	l, ok := n.labels[namespace]
	n.mu.RUnlock()
	if ok || n.FallbackTimeout < 0 {
		return l, ok
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

func (n *NamespaceInformer) run(ctx context.Context) {
	const maxBackoff = 30 * time.Second
	backoff := time.Second
	for ctx.Err() == nil {
		rv, err := n.list(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			n.log.Warn("jobguard webhook: listing namespaces", "error", err.Error(), "retry", backoff.String())
			sleep(ctx, backoff)
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		backoff = time.Second
		for ctx.Err() == nil {
			started := time.Now()
			next, ok := n.watch(ctx, rv)
			if !ok {
				break // relist
			}
			rv = next
			if time.Since(started) < time.Second {
				sleep(ctx, time.Second) // a watch that ends at once must not spin
			}
		}
	}
}

func (n *NamespaceInformer) list(ctx context.Context) (string, error) {
	l, err := n.client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", err
	}
	m := make(map[string]map[string]string, len(l.Items))
	for i := range l.Items {
		m[l.Items[i].Name] = l.Items[i].Labels
	}
	n.mu.Lock()
	n.labels = m
	n.mu.Unlock()
	if !n.synced.Swap(true) {
		close(n.syncedCh)
	}
	return l.ResourceVersion, nil
}

// watch applies events from resourceVersion rv until the watch ends. It returns the last resource
// version seen, and false when the caller must list again (the version expired, or the watch failed).
func (n *NamespaceInformer) watch(ctx context.Context, rv string) (string, bool) {
	timeout := int64(300 + rand.IntN(300)) // spread reconnects of several replicas
	w, err := n.client.CoreV1().Namespaces().Watch(ctx, metav1.ListOptions{
		ResourceVersion: rv, AllowWatchBookmarks: true, TimeoutSeconds: &timeout,
	})
	if err != nil {
		if ctx.Err() == nil && !apierrors.IsResourceExpired(err) && !apierrors.IsGone(err) {
			n.log.Warn("jobguard webhook: watching namespaces", "error", err.Error())
			sleep(ctx, time.Second)
		}
		return rv, false
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return rv, false
		case ev, open := <-w.ResultChan():
			if !open {
				return rv, true
			}
			switch ev.Type {
			case watch.Added, watch.Modified, watch.Deleted:
				ns, ok := ev.Object.(*corev1.Namespace)
				if !ok {
					continue
				}
				n.mu.Lock()
				if ev.Type == watch.Deleted {
					delete(n.labels, ns.Name)
				} else {
					n.labels[ns.Name] = ns.Labels
				}
				n.mu.Unlock()
				if ns.ResourceVersion != "" {
					rv = ns.ResourceVersion
				}
			case watch.Bookmark:
				if m, err := metaOf(ev.Object); err == nil && m.GetResourceVersion() != "" {
					rv = m.GetResourceVersion()
				}
			case watch.Error:
				err := apierrors.FromObject(ev.Object)
				if !apierrors.IsResourceExpired(err) && !apierrors.IsGone(err) {
					n.log.Warn("jobguard webhook: namespace watch error", "error", err.Error())
				}
				return rv, false
			}
		}
	}
}

func metaOf(obj any) (metav1.Object, error) {
	if m, ok := obj.(metav1.Object); ok {
		return m, nil
	}
	return nil, errString("not an object")
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

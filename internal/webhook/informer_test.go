package webhook

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func namespace(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNamespaceInformer(t *testing.T) {
	client := fake.NewClientset(namespace("shop", map[string]string{LabelEnforce: "high"}))
	var lists atomic.Int32
	client.PrependReactor("list", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
		lists.Add(1)
		return false, nil, nil // counted, then served by the tracker
	})
	watchers := make(chan *watch.FakeWatcher, 4)
	client.PrependWatchReactor("namespaces", func(k8stesting.Action) (bool, watch.Interface, error) {
		w := watch.NewFake()
		watchers <- w
		return true, w, nil
	})

	inf := NewNamespaceInformer(client, nil)
	inf.FallbackTimeout = -1 // only what the list and watch delivered
	if inf.HasSynced() {
		t.Fatal("synced before start")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inf.Start(ctx)
	inf.Start(ctx) // a second Start does nothing
	syncCtx, syncCancel := context.WithTimeout(ctx, 5*time.Second)
	defer syncCancel()
	if !inf.WaitForSync(syncCtx) || !inf.HasSynced() {
		t.Fatal("not synced")
	}
	if l, ok := inf.Labels("shop"); !ok || l[LabelEnforce] != "high" {
		t.Fatalf("Labels(shop) = %v, %v", l, ok)
	}

	w := <-watchers
	w.Add(namespace("new", map[string]string{"a": "1"}))
	eventually(t, "added namespace", func() bool { _, ok := inf.Labels("new"); return ok })
	w.Modify(namespace("shop", map[string]string{LabelEnforce: "none"}))
	eventually(t, "modified labels", func() bool { l, _ := inf.Labels("shop"); return l[LabelEnforce] == "none" })
	w.Delete(namespace("new", nil))
	eventually(t, "deleted namespace", func() bool { _, ok := inf.Labels("new"); return !ok })

	// An expired resource version makes it list again, then watch again.
	w.Error(&metav1.Status{Status: metav1.StatusFailure, Code: 410, Reason: metav1.StatusReasonExpired, Message: "too old"})
	w = <-watchers
	eventually(t, "relist", func() bool { return lists.Load() == 2 })
	if l, ok := inf.Labels("shop"); !ok || l[LabelEnforce] != "high" {
		t.Errorf("after relist Labels(shop) = %v, %v (the tracker still has the original)", l, ok)
	}

	// A watch that ends normally is resumed without listing again.
	w.Stop()
	select {
	case <-watchers:
	case <-time.After(5 * time.Second):
		t.Fatal("no new watch after the watch ended")
	}
	if n := lists.Load(); n != 2 {
		t.Errorf("%d lists, want 2", n)
	}
}

func TestNamespaceInformerFallback(t *testing.T) {
	client := fake.NewClientset(namespace("late", map[string]string{"x": "y"}))
	inf := NewNamespaceInformer(client, nil) // not started: everything comes from the API server
	if l, ok := inf.Labels("late"); !ok || !reflect.DeepEqual(l, map[string]string{"x": "y"}) {
		t.Errorf("Labels(late) = %v, %v", l, ok)
	}
	if _, ok := inf.Labels("missing"); ok {
		t.Error("Labels(missing) found")
	}
	if _, ok := inf.Labels(""); ok {
		t.Error("Labels(\"\") found")
	}
	// A handler over an unsynced informer is not ready.
	f := newFixture(t, DefaultPolicy(), inf, HandlerOptions{})
	if f.h.Ready() {
		t.Error("handler ready before the namespaces synced")
	}
}

package webhook

import (
	"context"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
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

	nss := client.CoreV1().Namespaces()
	if _, err := nss.Create(ctx, namespace("new", map[string]string{"a": "1"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "added namespace", func() bool { _, ok := inf.Labels("new"); return ok })
	if _, err := nss.Update(ctx, namespace("shop", map[string]string{LabelEnforce: "none"}), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "modified labels", func() bool { l, _ := inf.Labels("shop"); return l[LabelEnforce] == "none" })
	if err := nss.Delete(ctx, "new", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "deleted namespace", func() bool { _, ok := inf.Labels("new"); return !ok })

	// The cache keeps only names and labels.
	obj, ok, err := inf.informer.GetStore().GetByKey("shop")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if ns := obj.(*corev1.Namespace); ns.Annotations != nil || ns.Spec.Finalizers != nil || ns.Status.Phase != "" {
		t.Errorf("cached namespace holds more than its name and labels: %+v", ns)
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

package cluster

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func gvk(k kind) schema.GroupVersionKind {
	gv, _ := schema.ParseGroupVersion(k.apiVersion)
	return gv.WithKind(k.kind)
}

func hasEphemeral(obj any) bool {
	p, ok := obj.(*corev1.Pod)
	return ok && len(p.Spec.EphemeralContainers) > 0
}

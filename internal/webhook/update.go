package webhook

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// judgedChange reports whether an UPDATE from old to new changes what jobguard judges, so that the new
// object must be judged. Updates that change only metadata (labels, annotations, owner references,
// finalizers) or status, or that scale, are allowed without judging again: the object was judged when
// it was created or last changed, and re-judging it would let a policy tightened since then block
// routine operations such as the garbage collector removing a finalizer, or scaling a Deployment down.
// When what is judged did change, the new object is judged whole (not only what the change added): an
// object that violates the policy cannot be changed without being fixed.
//
// What is compared, per kind:
//   - Pod: spec. PodTemplate: template.
//   - Deployment, DaemonSet, StatefulSet, ReplicaSet, ReplicationController: the pod template
//     (replicas, paused, strategy and the like are not judged).
//   - CronJob: the whole spec (schedule, history limits, concurrency policy and the job template are
//     all judged), except that setting suspend to true alone is allowed, so a suspicious CronJob can
//     always be stopped; unsuspending is judged.
//   - Job: the whole spec except parallelism (scaling); suspend as for CronJobs.
//
// Objects of different types, or kinds not listed, are always judged.
func judgedChange(oldObj, newObj any) bool {
	switch n := newObj.(type) {
	case *corev1.Pod:
		o, ok := oldObj.(*corev1.Pod)
		return !ok || !equality.Semantic.DeepEqual(o.Spec, n.Spec)
	case *corev1.PodTemplate:
		o, ok := oldObj.(*corev1.PodTemplate)
		return !ok || !equality.Semantic.DeepEqual(o.Template, n.Template)
	case *corev1.ReplicationController:
		o, ok := oldObj.(*corev1.ReplicationController)
		return !ok || !equality.Semantic.DeepEqual(o.Spec.Template, n.Spec.Template)
	case *appsv1.Deployment:
		o, ok := oldObj.(*appsv1.Deployment)
		return !ok || !equality.Semantic.DeepEqual(o.Spec.Template, n.Spec.Template)
	case *appsv1.DaemonSet:
		o, ok := oldObj.(*appsv1.DaemonSet)
		return !ok || !equality.Semantic.DeepEqual(o.Spec.Template, n.Spec.Template)
	case *appsv1.StatefulSet:
		o, ok := oldObj.(*appsv1.StatefulSet)
		return !ok || !equality.Semantic.DeepEqual(o.Spec.Template, n.Spec.Template)
	case *appsv1.ReplicaSet:
		o, ok := oldObj.(*appsv1.ReplicaSet)
		return !ok || !equality.Semantic.DeepEqual(o.Spec.Template, n.Spec.Template)
	case *batchv1.CronJob:
		o, ok := oldObj.(*batchv1.CronJob)
		if !ok {
			return true
		}
		os, ns := o.Spec, n.Spec // shallow copies: only top-level fields are replaced below
		if suspending(ns.Suspend) {
			ns.Suspend = os.Suspend
		}
		return !equality.Semantic.DeepEqual(os, ns)
	case *batchv1.Job:
		o, ok := oldObj.(*batchv1.Job)
		if !ok {
			return true
		}
		os, ns := o.Spec, n.Spec
		ns.Parallelism = os.Parallelism
		if suspending(ns.Suspend) {
			ns.Suspend = os.Suspend
		}
		return !equality.Semantic.DeepEqual(os, ns)
	}
	return true
}

func suspending(s *bool) bool { return s != nil && *s }

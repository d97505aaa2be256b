// Package workload finds the pod template inside every kind of object that runs containers (Pod,
// PodTemplate, CronJob, Job, Deployment, DaemonSet, StatefulSet, ReplicaSet, ReplicationController)
// and names each container with its JSON path, so every rule reads workloads one way.
package workload

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Workload is an object that runs pods, reduced to what rules read.
type Workload struct {
	Kind string
	// Meta is the object's own metadata (name, namespace, annotations).
	Meta *metav1.ObjectMeta
	// PodMeta and PodSpec are the pod template's (for a Pod: the pod's own).
	PodMeta *metav1.ObjectMeta
	PodSpec *corev1.PodSpec
	// SpecPath is the JSON path of PodSpec inside the object, e.g. "spec.jobTemplate.spec.template.spec".
	SpecPath string
	// CronJob is set for CronJobs; Job is the JobSpec of a Job or of a CronJob's jobTemplate.
	CronJob *batchv1.CronJob
	Job     *batchv1.JobSpec
	// JobPath is the JSON path of Job ("spec" or "spec.jobTemplate.spec").
	JobPath string

	containers []Container
}

// ContainerType says which list a container is in.
type ContainerType string

const (
	Regular   ContainerType = "container"
	Init      ContainerType = "initContainer"
	Ephemeral ContainerType = "ephemeralContainer"
)

// Container is one container of a workload with its JSON path in the object.
type Container struct {
	*corev1.Container
	Type ContainerType
	// Path is e.g. "spec.template.spec.containers[0]".
	Path string
}

// From returns the workload view of obj, or nil when obj does not run pods.
func From(obj any) *Workload {
	switch o := obj.(type) {
	case *corev1.Pod:
		return &Workload{Kind: "Pod", Meta: &o.ObjectMeta, PodMeta: &o.ObjectMeta, PodSpec: &o.Spec, SpecPath: "spec"}
	case *corev1.PodTemplate:
		return &Workload{Kind: "PodTemplate", Meta: &o.ObjectMeta, PodMeta: &o.Template.ObjectMeta, PodSpec: &o.Template.Spec, SpecPath: "template.spec"}
	case *corev1.ReplicationController:
		if o.Spec.Template == nil {
			return nil
		}
		return &Workload{Kind: "ReplicationController", Meta: &o.ObjectMeta, PodMeta: &o.Spec.Template.ObjectMeta, PodSpec: &o.Spec.Template.Spec, SpecPath: "spec.template.spec"}
	case *batchv1.CronJob:
		t := &o.Spec.JobTemplate.Spec.Template
		return &Workload{Kind: "CronJob", Meta: &o.ObjectMeta, PodMeta: &t.ObjectMeta, PodSpec: &t.Spec, SpecPath: "spec.jobTemplate.spec.template.spec",
			CronJob: o, Job: &o.Spec.JobTemplate.Spec, JobPath: "spec.jobTemplate.spec"}
	case *batchv1.Job:
		return &Workload{Kind: "Job", Meta: &o.ObjectMeta, PodMeta: &o.Spec.Template.ObjectMeta, PodSpec: &o.Spec.Template.Spec, SpecPath: "spec.template.spec",
			Job: &o.Spec, JobPath: "spec"}
	case *appsv1.Deployment:
		return &Workload{Kind: "Deployment", Meta: &o.ObjectMeta, PodMeta: &o.Spec.Template.ObjectMeta, PodSpec: &o.Spec.Template.Spec, SpecPath: "spec.template.spec"}
	case *appsv1.DaemonSet:
		return &Workload{Kind: "DaemonSet", Meta: &o.ObjectMeta, PodMeta: &o.Spec.Template.ObjectMeta, PodSpec: &o.Spec.Template.Spec, SpecPath: "spec.template.spec"}
	case *appsv1.StatefulSet:
		return &Workload{Kind: "StatefulSet", Meta: &o.ObjectMeta, PodMeta: &o.Spec.Template.ObjectMeta, PodSpec: &o.Spec.Template.Spec, SpecPath: "spec.template.spec"}
	case *appsv1.ReplicaSet:
		return &Workload{Kind: "ReplicaSet", Meta: &o.ObjectMeta, PodMeta: &o.Spec.Template.ObjectMeta, PodSpec: &o.Spec.Template.Spec, SpecPath: "spec.template.spec"}
	}
	return nil
}

// Containers returns initContainers, containers and ephemeralContainers in that order. Every rule
// reads them, so the list is built once per Workload; callers must not modify it. A Workload is not
// safe for concurrent use.
func (w *Workload) Containers() []Container {
	if w.containers == nil {
		w.containers = w.listContainers()
	}
	return w.containers
}

func (w *Workload) listContainers() []Container {
	s := w.PodSpec
	out := make([]Container, 0, len(s.Containers)+len(s.InitContainers)+len(s.EphemeralContainers))
	for i := range s.InitContainers {
		out = append(out, Container{Container: &s.InitContainers[i], Type: Init, Path: w.SpecPath + ".initContainers[" + strconv.Itoa(i) + "]"})
	}
	for i := range s.Containers {
		out = append(out, Container{Container: &s.Containers[i], Type: Regular, Path: w.SpecPath + ".containers[" + strconv.Itoa(i) + "]"})
	}
	for i := range s.EphemeralContainers {
		// EphemeralContainerCommon has exactly Container's fields.
		c := (*corev1.Container)(&s.EphemeralContainers[i].EphemeralContainerCommon)
		out = append(out, Container{Container: c, Type: Ephemeral, Path: w.SpecPath + ".ephemeralContainers[" + strconv.Itoa(i) + "]"})
	}
	return out
}

// ServiceAccount returns the pod's service account name ("default" when unset).
func (w *Workload) ServiceAccount() string {
	if w.PodSpec.ServiceAccountName != "" {
		return w.PodSpec.ServiceAccountName
	}
	if w.PodSpec.DeprecatedServiceAccount != "" {
		return w.PodSpec.DeprecatedServiceAccount
	}
	return "default"
}

// Namespace returns the object's namespace ("default" when unset, as kubectl apply would).
func (w *Workload) Namespace() string {
	if w.Meta.Namespace == "" {
		return "default"
	}
	return w.Meta.Namespace
}

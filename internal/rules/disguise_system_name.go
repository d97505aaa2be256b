package rules

import (
	"strings"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "disguise-system-name",
		Category: finding.CategoryDisguise,
		Severity: finding.SeverityCritical,
		Title:    "Name imitates a system component",
		Description: "The object or one of its containers is named like a cluster component (kube-proxy, " +
			"coredns, etcd, calico-node, cilium, aws-node, metrics-server, pause ...), exactly, with a " +
			"generated-looking suffix (\"kube-proxy-xk2p\") or with a near-miss spelling (\"kube-pr0xy\", " +
			"\"core-dns\", \"kubeproxy\"), but does not run that component's image. Attackers name miners " +
			"and backdoors after system pods so that an administrator listing pods takes them for part of " +
			"the platform. The benign look-alike is the real component, which runs its image from the " +
			"official registries (registry.k8s.io, the managed services' registries, the project's own); " +
			"a mirror of that image in a private registry is exempted with exemptions.images in the config.",
		Remediation: "Find out who created the object and what the image runs; delete it if nobody owns it. " +
			"If it is a real component pulled through a mirror, exempt the mirror's images in the config.",
		Attack:       []string{"T1036", "T1036.005", "T1610"},
		ThreatMatrix: []string{"MS-TA9023", "MS-TA9012"},
		Mitigations:  []string{"M1045", "M1038", "M1047"},
		Check:        checkSystemName,
	})
}

func checkSystemName(_ *Context, w *workload.Workload) []Result {
	var out []Result
	cs := w.Containers()
	if m := matchSystemName(w.Meta.Name); m != nil && len(cs) > 0 {
		runs := false
		for _, c := range cs {
			if sysImageOf(m.comp, c.Image) {
				runs = true
				break
			}
		}
		if !runs {
			out = append(out, Result{
				Message: w.Kind + " name " + quote(w.Meta.Name) + " imitates system component " + m.comp.Name +
					sysHow(m) + " but none of its containers runs a " + m.comp.Name + " image: it runs " + sysImageList(cs),
				Path:  "metadata.name",
				Image: sysMainImage(cs),
			})
		}
	}
	for _, c := range cs {
		m := matchSystemName(c.Name)
		if m == nil || sysImageOf(m.comp, c.Image) {
			continue
		}
		out = append(out, Result{
			Message: string(c.Type) + " " + quote(c.Name) + " imitates system component " + m.comp.Name + sysHow(m) +
				" but runs image " + quote(c.Image) + " instead of " + sysExpectedImage(m.comp),
			Path:      c.Path + ".name",
			Container: c.Name,
			Image:     c.Image,
		})
	}
	return out
}

func sysHow(m *sysMatch) string {
	switch {
	case m.how != "" && m.as != m.comp.Name:
		return " (" + m.as + ", " + m.how + ")"
	case m.how != "":
		return " (" + m.how + ")"
	case m.as != m.comp.Name:
		return " (" + m.as + ")"
	}
	return ""
}

// sysMainImage is the image of the first regular container (else of the first container), so
// image exemptions apply to findings about the whole object.
func sysMainImage(cs []workload.Container) string {
	for _, c := range cs {
		if c.Type == workload.Regular {
			return c.Image
		}
	}
	return cs[0].Image
}

// sysExpectedImage names the component's first image for messages.
func sysExpectedImage(c *sysComponent) string {
	if len(c.Images) == 0 {
		return "its official image"
	}
	return "its official image (e.g. " + c.Images[0] + ")"
}

// sysImageList quotes the distinct images of the containers, at most four.
func sysImageList(cs []workload.Container) string {
	var seen []string
	for _, c := range cs {
		dup := false
		for _, s := range seen {
			if s == c.Image {
				dup = true
				break
			}
		}
		if !dup {
			seen = append(seen, c.Image)
		}
	}
	more := ""
	if len(seen) > 4 {
		seen, more = seen[:4], ", …"
	}
	q := make([]string, len(seen))
	for i, s := range seen {
		q[i] = quote(s)
	}
	return strings.Join(q, ", ") + more
}

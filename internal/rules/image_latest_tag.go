package rules

import (
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "image-latest-tag",
		Category: finding.CategoryImage,
		Severity: finding.SeverityMedium,
		Title:    "Image uses the latest tag",
		Description: "An image with the tag :latest, or with no tag and no digest (which means :latest), runs " +
			"whatever was pushed last: each run of a job may execute different code, and the pod spec " +
			"no longer says which.",
		Remediation: "Use an explicit version tag, better a digest: image: registry.example.com/app:1.4@sha256:<digest>.",
		Attack:      []string{"T1610"},
		Mitigations: []string{"M1045"},
		Check:       checkImageLatestTag,
	})
}

func checkImageLatestTag(_ *Context, w *workload.Workload) []Result {
	var out []Result
	for _, c := range w.Containers() {
		if c.Image == "" {
			continue
		}
		ref, err := parseImageRef(c.Image)
		if err != nil || ref.Digest != "" {
			// A digest wins over any tag: the runtime pulls the digest.
			continue
		}
		var msg string
		switch ref.Tag {
		case "":
			msg = string(c.Type) + " " + quote(c.Name) + " image " + quote(c.Image) + " has no tag and no digest, so it runs :latest"
		case "latest":
			msg = string(c.Type) + " " + quote(c.Name) + " image " + quote(c.Image) + " uses the mutable tag :latest"
		default:
			continue
		}
		out = append(out, Result{Message: msg, Path: c.Path + ".image", Container: c.Name, Image: c.Image})
	}
	return out
}

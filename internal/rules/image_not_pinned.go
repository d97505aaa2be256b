package rules

import (
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "image-not-pinned",
		Category: finding.CategoryImage,
		Severity: finding.SeverityLow,
		Title:    "Image not pinned by digest",
		Description: "A tag can be moved to other content at any time, by the image's publisher or by whoever " +
			"takes over the repository, and a job pulls it afresh on every run. Only a digest " +
			"(@sha256:...) names fixed content. Alone this is a weak signal.",
		Remediation: "Pin the image by digest, e.g. image: registry.example.com/app:1.4@sha256:<digest> " +
			"(the tag is kept for readers), and update digests through review.",
		Attack:      []string{"T1610"},
		Mitigations: []string{"M1045"},
		Check:       checkImageNotPinned,
	})
}

func checkImageNotPinned(_ *Context, w *workload.Workload) []Result {
	var out []Result
	for _, c := range w.Containers() {
		if c.Image == "" {
			continue
		}
		ref, err := parseImageRef(c.Image)
		if err != nil || ref.Pinned() {
			continue
		}
		msg := string(c.Type) + " " + quote(c.Name) + " image " + quote(c.Image) + " is not pinned by digest"
		if ref.Digest != "" {
			msg += " (digest " + quote(ref.Digest) + " is neither sha256 nor sha512 of full length)"
		}
		out = append(out, Result{Message: msg, Path: c.Path + ".image", Container: c.Name, Image: c.Image})
	}
	return out
}

package rules

import (
	"strings"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "image-registry-not-allowed",
		Category: finding.CategoryImage,
		Severity: finding.SeverityMedium,
		Title:    "Image from a registry that is not allowed",
		Description: "The config's allowedRegistries lists where images may come from. An image from anywhere " +
			"else was not built or vetted by the organisation: an attacker's job typically pulls its " +
			"tooling from a public registry. The rule does nothing while allowedRegistries is empty.",
		Remediation: "Pull the image from an allowed registry (mirror it there after review), or add its " +
			"registry or registry/path prefix to allowedRegistries in jobguard.yaml.",
		Attack:      []string{"T1610"},
		Mitigations: []string{"M1045", "M1038"},
		Check:       checkImageRegistryNotAllowed,
	})
}

func checkImageRegistryNotAllowed(ctx *Context, w *workload.Workload) []Result {
	if ctx.Config == nil || len(ctx.Config.AllowedRegistries) == 0 {
		return nil
	}
	allowed := ctx.Config.AllowedRegistries
	var out []Result
	for _, c := range w.Containers() {
		if c.Image == "" {
			continue
		}
		ref, err := parseImageRef(c.Image)
		var msg string
		switch {
		case err != nil:
			// What cannot be parsed cannot be shown to come from an allowed registry; a runtime
			// may still make sense of it.
			msg = string(c.Type) + " " + quote(c.Name) + " image " + quote(c.Image) + " cannot be checked against allowedRegistries: " + err.Error()
		case registryAllowed(allowed, ref):
			continue
		default:
			msg = string(c.Type) + " " + quote(c.Name) + " image " + quote(c.Image) + " comes from " + quote(ref.Name()) +
				", which is not in allowedRegistries (" + strings.Join(allowed, ", ") + ")"
		}
		out = append(out, Result{Message: msg, Path: c.Path + ".image", Container: c.Name, Image: c.Image})
	}
	return out
}

// registryAllowed reports whether ref matches one of the allowed registries or prefixes.
func registryAllowed(allowed []string, ref imageRef) bool {
	for _, a := range allowed {
		if registryMatches(a, ref) {
			return true
		}
	}
	return false
}

package vap

import (
	"regexp"
	"strings"
)

// registryAllowedCEL returns CEL that is true when the image reference img (a CEL string
// expression) comes from one of the allowed registries or registry/path prefixes, with the
// image-registry-not-allowed rule's semantics: an image without a registry host is on docker.io
// (where a one-component name lives under library/), the host compares without regard to case,
// index.docker.io and registry-1.docker.io stand for docker.io, and a path prefix matches whole
// path components only. parity_test.go checks the result against the rule.
func registryAllowedCEL(img string, allowed []string) string {
	var terms []string
	for _, a := range allowed {
		for _, alt := range registryAlternatives(a) {
			t := img + ".matches(" + celString(alt.re) + ")"
			if alt.unlessPrefix != "" {
				t = "(" + t + " && !" + img + ".startsWith(" + celString(alt.unlessPrefix) + "))"
			}
			terms = append(terms, t)
		}
	}
	if len(terms) == 0 {
		return "false"
	}
	return strings.Join(terms, " || ")
}

// registryAlternative matches an image reference when re matches it and it does not start with
// unlessPrefix ("" for none).
type registryAlternative struct{ re, unlessPrefix string }

var dockerHubHosts = map[string]bool{"docker.io": true, "index.docker.io": true, "registry-1.docker.io": true}

// registryAlternatives returns the ways an image reference can match one allowedRegistries entry.
func registryAlternatives(entry string) []registryAlternative {
	prefix := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(entry), "*"), "/")
	host, path, _ := strings.Cut(prefix, "/")
	host = strings.ToLower(host)
	var out []registryAlternative
	if isRegistryHost(host) && !dockerHubHosts[host] || host == "registry-1.docker.io" {
		// An explicit registry host, where the path is taken as written.
		out = append(out, registryAlternative{re: "^(?i:" + regexp.QuoteMeta(host) + ")/" + plainPathRE(path)})
	}
	if !dockerHubHosts[host] {
		return out
	}
	// Docker Hub: written with its host, or with none.
	rest := dockerPathRE(path)
	out = append(out, registryAlternative{re: `^(?i:docker\.io|index\.docker\.io)/(` + rest + `)`})
	first, _, _ := strings.Cut(path, "/")
	switch {
	case path == "":
		// Any reference whose first component is not a registry host.
		out = append(out, registryAlternative{re: `^[^/]*$`}, registryAlternative{re: `^[^/.:A-Z]+/`, unlessPrefix: "localhost/"})
	case isRegistryHost(first):
		// The path's first component would be read as a host: no reference without a host matches.
	default:
		out = append(out, registryAlternative{re: "^(" + rest + ")"})
	}
	return out
}

// isRegistryHost reports whether a first path component names a registry host rather than a
// Docker Hub account: it contains '.' or ':', or is localhost, or has an upper-case letter.
func isRegistryHost(s string) bool {
	return strings.ContainsAny(s, ".:") || s == "localhost" || strings.ToLower(s) != s
}

// plainPathRE matches the rest of a reference (path, tag, digest) whose path is path or inside it.
func plainPathRE(path string) string {
	if path == "" {
		return ""
	}
	return regexp.QuoteMeta(path) + "([/:@]|$)"
}

// dockerPathRE is plainPathRE for Docker Hub, where a one-component name n means library/n.
func dockerPathRE(path string) string {
	comps := strings.Split(path, "/")
	switch {
	case path == "":
		return ""
	case path == "library":
		return `[^/]*$|library/`
	case comps[0] == "library" && len(comps) == 2:
		return regexp.QuoteMeta(comps[1]) + `([:@][^/]*)?$|` + plainPathRE(path)
	case len(comps) == 1:
		// An account: a one-component name is library/name, never the account itself.
		return regexp.QuoteMeta(path) + "/"
	}
	return plainPathRE(path)
}

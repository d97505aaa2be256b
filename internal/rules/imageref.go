package rules

import (
	"errors"
	"strings"
)

// Image references are parsed here rather than with a reference library: the grammar is small and
// the image rules need only its normalisation (default registry, "library/" for single names) and
// the split into registry, repository path, tag and digest.

const (
	dockerHub        = "docker.io"
	maxImageNameLen  = 255
	maxImageTagLen   = 128
	minDigestHexLen  = 32
	dockerHubLibrary = "library/"
)

// imageRef is a parsed, normalised container image reference, e.g. "nginx:1.27" is
// {Registry: "docker.io", Path: "library/nginx", Tag: "1.27"}.
type imageRef struct {
	// Registry is the host[:port] the image is pulled from, lower-cased ("docker.io" when the
	// reference names none; "index.docker.io" is folded into it).
	Registry string
	// Path is the repository path inside the registry ("library/nginx", "bitnami/etcd").
	Path string
	// Tag is the tag without ':' ("" when none).
	Tag string
	// Digest is "algorithm:hex" without '@' ("" when none).
	Digest string
}

// Name returns registry/path, the fully qualified repository name.
func (r imageRef) Name() string { return r.Registry + "/" + r.Path }

// Pinned reports whether the reference names its content by a sha256 or sha512 digest, so the
// runtime pulls exactly those bytes whatever the tag now points at.
func (r imageRef) Pinned() bool {
	alg, hex, _ := strings.Cut(r.Digest, ":")
	switch alg {
	case "sha256":
		return len(hex) == 64
	case "sha512":
		return len(hex) == 128
	}
	return false
}

// Owner returns the first path component: the Docker Hub user or organisation, the GitHub owner
// on ghcr.io, the project on gcr.io ("" for a single-component path).
func (r imageRef) Owner() string {
	if i := strings.IndexByte(r.Path, '/'); i >= 0 {
		return r.Path[:i]
	}
	return ""
}

// Base returns the last path component ("pause" for "registry.k8s.io/pause").
func (r imageRef) Base() string {
	return r.Path[strings.LastIndexByte(r.Path, '/')+1:]
}

var errEmptyImage = errors.New("empty image reference")

// parseImageRef parses an image reference the way container runtimes normalise it: the first
// path component is the registry host when it contains '.' or ':', is "localhost", or has an
// upper-case letter; otherwise the registry is docker.io, where a single-component name lives
// under "library/". The returned error says what is malformed.
func parseImageRef(s string) (imageRef, error) {
	var r imageRef
	if s == "" {
		return r, errEmptyImage
	}
	name := s
	if i := strings.IndexByte(name, '@'); i >= 0 {
		r.Digest = name[i+1:]
		name = name[:i]
		if err := validDigest(r.Digest); err != nil {
			return imageRef{}, err
		}
	}
	// The registry is split off first, so a ':' left in the last component is a tag separator,
	// never a port.
	remote := name
	if i := strings.IndexByte(name, '/'); i >= 0 {
		first := name[:i]
		if strings.ContainsAny(first, ".:") || first == "localhost" || strings.ToLower(first) != first {
			r.Registry = strings.ToLower(first)
			remote = name[i+1:]
			if err := validRegistry(r.Registry); err != nil {
				return imageRef{}, err
			}
		}
	}
	if i := strings.LastIndexByte(remote, ':'); i >= 0 && strings.IndexByte(remote[i:], '/') < 0 {
		r.Tag = remote[i+1:]
		remote = remote[:i]
		if err := validTag(r.Tag); err != nil {
			return imageRef{}, err
		}
	}
	if err := validRepoPath(remote); err != nil {
		return imageRef{}, err
	}
	if len(r.Registry)+1+len(remote) > maxImageNameLen {
		return imageRef{}, errors.New("repository name longer than 255 characters")
	}
	switch r.Registry {
	case "", "index.docker.io":
		r.Registry = dockerHub
	}
	r.Path = remote
	if r.Registry == dockerHub && strings.IndexByte(remote, '/') < 0 {
		r.Path = dockerHubLibrary + remote
	}
	return r, nil
}

// validRegistry checks host[:port], where host is a DNS name, an IPv4 address or a bracketed IPv6
// address. Upper case was already folded.
func validRegistry(reg string) error {
	bad := func(why string) error { return errors.New("registry " + quote(reg) + ": " + why) }
	host, port, hasPort := reg, "", false
	if strings.HasPrefix(reg, "[") {
		end := strings.IndexByte(reg, ']')
		if end < 2 {
			return bad("bad IPv6 address")
		}
		for i := 1; i < end; i++ {
			if c := reg[i]; !isHex(c) && c != ':' && c != '.' {
				return bad("bad IPv6 address")
			}
		}
		host = ""
		if rest := reg[end+1:]; rest != "" {
			if rest[0] != ':' {
				return bad("junk after IPv6 address")
			}
			port, hasPort = rest[1:], true
		}
	} else if h, p, ok := strings.Cut(reg, ":"); ok {
		host, port, hasPort = h, p, true
		if host == "" {
			return bad("empty host")
		}
	}
	if hasPort {
		if port == "" {
			return bad("empty port")
		}
		for i := 0; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return bad("port is not a number")
			}
		}
	}
	if host == "" {
		return nil // IPv6, checked above
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" {
			return bad("empty host label")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return bad("host label starts or ends with '-'")
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !isLowerAlnum(c) && c != '-' {
				return bad("bad character " + quote(string(c)))
			}
		}
	}
	return nil
}

// validRepoPath checks path-component ('/' path-component)*, where a component is lower-case
// alphanumerics joined by '.', '_', '__' or runs of '-'.
func validRepoPath(p string) error {
	if p == "" {
		return errors.New("empty repository name")
	}
	for comp := range strings.SplitSeq(p, "/") {
		if comp == "" {
			return errors.New("repository " + quote(p) + ": empty path component")
		}
		if i := strings.IndexFunc(comp, func(r rune) bool {
			return r > 0x7f || (!isLowerAlnum(byte(r)) && r != '.' && r != '_' && r != '-')
		}); i >= 0 {
			return errors.New("repository " + quote(p) + ": bad character " + quote(comp[i:i+1]) + " (repository names are lower case)")
		}
		if !isLowerAlnum(comp[0]) || !isLowerAlnum(comp[len(comp)-1]) {
			return errors.New("repository " + quote(p) + ": path component " + quote(comp) + " must start and end with a lower-case letter or digit")
		}
		for i := 0; i < len(comp); i++ {
			c := comp[i]
			switch {
			case isLowerAlnum(c):
			case c == '-':
			case c == '.' || c == '_':
				// '.' and '_' stand alone; only "__" may double, and no separator mixes.
				n := comp[i+1]
				if n == '.' || n == '-' || (n == '_' && (c != '_' || comp[i+2] == '_' || !isLowerAlnum(comp[i+2]))) {
					return errors.New("repository " + quote(p) + ": bad separator in " + quote(comp))
				}
				if c == '_' && n == '_' {
					i++
				}
			default:
				return errors.New("repository " + quote(p) + ": bad character " + quote(string(c)) + " (repository names are lower case)")
			}
			if c == '-' && (comp[i+1] == '.' || comp[i+1] == '_') {
				return errors.New("repository " + quote(p) + ": bad separator in " + quote(comp))
			}
		}
	}
	return nil
}

// validTag checks [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
func validTag(t string) error {
	if t == "" {
		return errors.New("empty tag")
	}
	if len(t) > maxImageTagLen {
		return errors.New("tag longer than 128 characters")
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !isWordChar(c) && (i == 0 || (c != '.' && c != '-')) {
			return errors.New("tag " + quote(t) + ": bad character " + quote(string(c)))
		}
	}
	return nil
}

// validDigest checks algorithm ':' hex, with at least 32 hex digits.
func validDigest(d string) error {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok || alg == "" {
		return errors.New("digest " + quote(d) + ": want algorithm:hex")
	}
	for i := 0; i < len(alg); i++ {
		if c := alg[i]; !isLowerAlnum(c) && c != '+' && c != '.' && c != '_' && c != '-' {
			return errors.New("digest " + quote(d) + ": bad algorithm")
		}
	}
	if len(hex) < minDigestHexLen {
		return errors.New("digest " + quote(d) + ": too short")
	}
	for i := 0; i < len(hex); i++ {
		if !isHex(hex[i]) {
			return errors.New("digest " + quote(d) + ": not hexadecimal")
		}
	}
	return nil
}

func isLowerAlnum(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') }

func isWordChar(c byte) bool {
	return isLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '_'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// registryMatches reports whether ref comes from prefix, a registry host ("ghcr.io") or a
// host/path prefix ("ghcr.io/acme"), matched on component boundaries: "ghcr.io/acme" matches
// "ghcr.io/acme/app" but not "ghcr.io/acmecorp/app". Docker Hub's aliases are folded as in
// references, so "docker.io" matches "nginx".
func registryMatches(prefix string, ref imageRef) bool {
	prefix = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(prefix), "*"), "/")
	host, path, _ := strings.Cut(prefix, "/")
	switch {
	case strings.EqualFold(host, ref.Registry):
	case ref.Registry == dockerHub && (strings.EqualFold(host, "index.docker.io") || strings.EqualFold(host, "registry-1.docker.io")):
	default:
		return false
	}
	if path == "" {
		return true
	}
	return ref.Path == path || (strings.HasPrefix(ref.Path, path) && ref.Path[len(path)] == '/')
}

// Package config reads jobguard.yaml: allowed registries, exemptions, per-rule severity overrides and
// disabled rules. Unknown keys are errors, so a typo never silently weakens a policy.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/jobguard/jobguard/internal/finding"
)

// Config is the parsed jobguard.yaml. The zero value is the default policy.
type Config struct {
	// AllowedRegistries lists registry hosts or host/path prefixes images may come from
	// ("registry.example.com", "ghcr.io/acme"). Empty: every registry is allowed.
	AllowedRegistries []string `yaml:"allowedRegistries"`
	// Exemptions suppress findings (they stay in JSON/SARIF output, marked suppressed).
	Exemptions Exemptions `yaml:"exemptions"`
	// Rules tunes individual rules.
	Rules RuleSettings `yaml:"rules"`
	// Webhook is the admission webhook's policy (modes, exemptions, job creators). Only
	// `jobguard webhook` reads it (internal/webhook.ParsePolicy); it is kept here so one file
	// serves scan and webhook alike.
	Webhook yaml.Node `yaml:"webhook"`
}

// Exemptions name objects whose findings are suppressed.
type Exemptions struct {
	// Namespaces are exempt whole. Glob patterns (path.Match) are allowed.
	Namespaces []string `yaml:"namespaces"`
	// Names are "namespace/name" or "name" (any namespace); globs allowed, e.g. "backup/*".
	Names []string `yaml:"names"`
	// Images (glob patterns, e.g. "registry.example.com/ops/*") exempt the findings on the
	// containers that run them.
	Images []string `yaml:"images"`
}

// RuleSettings disables rules or overrides their severity.
type RuleSettings struct {
	Disabled []string                    `yaml:"disabled"`
	Severity map[string]finding.Severity `yaml:"severity"`
}

// Load reads a config file. An empty path returns the default config.
func Load(file string) (*Config, error) {
	if file == "" {
		return &Config{}, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", file, err)
	}
	return c, nil
}

// Parse parses the YAML of a config. Unknown keys and bad values are errors with their line.
func Parse(data []byte) (*Config, error) {
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	for _, pats := range [][]string{c.Exemptions.Namespaces, c.Exemptions.Names, c.Exemptions.Images} {
		for _, p := range pats {
			if _, err := path.Match(p, ""); err != nil {
				return nil, fmt.Errorf("exemptions: bad pattern %q: %w", p, err)
			}
		}
	}
	for _, r := range c.AllowedRegistries {
		if strings.TrimSpace(r) == "" {
			return nil, errors.New("allowedRegistries: empty entry")
		}
	}
	return c, nil
}

func matchAny(pats []string, s string) (string, bool) {
	for _, p := range pats {
		if ok, _ := path.Match(p, s); ok {
			return p, true
		}
	}
	return "", false
}

// ExemptObject says whether the object namespace/name is exempt, and why.
func (c *Config) ExemptObject(namespace, name string) (string, bool) {
	if p, ok := matchAny(c.Exemptions.Namespaces, namespace); ok {
		return "namespace exempt by config (" + p + ")", true
	}
	if p, ok := matchAny(c.Exemptions.Names, namespace+"/"+name); ok {
		return "name exempt by config (" + p + ")", true
	}
	if p, ok := matchAny(c.Exemptions.Names, name); ok && !strings.Contains(p, "/") {
		return "name exempt by config (" + p + ")", true
	}
	return "", false
}

// ExemptImage says whether an image is exempt, and why.
func (c *Config) ExemptImage(image string) (string, bool) {
	if p, ok := matchAny(c.Exemptions.Images, image); ok {
		return "image exempt by config (" + p + ")", true
	}
	return "", false
}

// Disabled reports whether a rule is disabled.
func (c *Config) Disabled(rule string) bool {
	for _, r := range c.Rules.Disabled {
		if r == rule {
			return true
		}
	}
	return false
}

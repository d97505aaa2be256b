package config

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
		check               func(t *testing.T, c *Config)
	}{
		{name: "empty", yaml: "", check: func(t *testing.T, c *Config) {
			if len(c.AllowedRegistries) != 0 || len(c.Rules.Disabled) != 0 {
				t.Errorf("%+v", c)
			}
		}},
		{name: "full", yaml: "allowedRegistries: [registry.example.com, ghcr.io/acme]\nexemptions:\n  namespaces: [kube-*]\n  names: [monitoring/node-exporter, backup]\n  images: [registry.example.com/ops/*]\nrules:\n  disabled: [image-not-pinned]\n  severity: {job-schedule-frequent: low}\n",
			check: func(t *testing.T, c *Config) {
				if c.Rules.Severity["job-schedule-frequent"] != finding.SeverityLow || !c.Disabled("image-not-pinned") {
					t.Errorf("%+v", c.Rules)
				}
				if why, ok := c.ExemptObject("kube-system", "x"); !ok || !strings.Contains(why, "kube-*") {
					t.Errorf("namespace glob: %q %v", why, ok)
				}
				if _, ok := c.ExemptObject("monitoring", "node-exporter"); !ok {
					t.Error("namespace/name")
				}
				if _, ok := c.ExemptObject("any", "backup"); !ok {
					t.Error("bare name in any namespace")
				}
				if _, ok := c.ExemptObject("other", "node-exporter"); ok {
					t.Error("namespace/name matched another namespace")
				}
				if _, ok := c.ExemptImage("registry.example.com/ops/tool:1"); !ok {
					t.Error("image glob")
				}
			}},
		{name: "webhook section is accepted", yaml: "webhook:\n  enforce: critical\n"},
		{name: "unknown key", yaml: "allowedRegistry: [x]\n", wantErr: "allowedRegistry"},
		{name: "unknown nested key", yaml: "exemptions:\n  namespace: [x]\n", wantErr: "namespace"},
		{name: "bad severity", yaml: "rules:\n  severity: {x: severe}\n", wantErr: `unknown severity "severe"`},
		{name: "bad glob", yaml: "exemptions:\n  names: ['[']\n", wantErr: "bad pattern"},
		{name: "empty registry", yaml: "allowedRegistries: ['']\n", wantErr: "empty entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

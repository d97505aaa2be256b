package webhook

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/finding"
)

func TestParsePolicy(t *testing.T) {
	full := `webhook:
  enforce: high
  warn: low
  audit: none
  honorIgnoreAnnotations: true
  exemptions:
    usernames: ["system:serviceaccount:kube-system:*"]
    runtimeClasses: [kata]
    namespaces: [kube-system]
    images: ["registry.example.com/ops/*"]
    serviceAccounts: ["monitoring/node-exporter", backup]
  jobCreators:
    "*": {groups: ["system:masters"]}
    shop:
      users: [alice]
      groups: [shop-admins]
`
	want := Policy{
		Enforce: finding.SeverityHigh, Warn: finding.SeverityLow, Audit: finding.SeverityNone,
		HonorIgnoreAnnotations: true,
		Exempt: Exemptions{
			Usernames:       []string{"system:serviceaccount:kube-system:*"},
			RuntimeClasses:  []string{"kata"},
			Namespaces:      []string{"kube-system"},
			Images:          []string{"registry.example.com/ops/*"},
			ServiceAccounts: []string{"monitoring/node-exporter", "backup"},
		},
		JobCreators: map[string]Subjects{
			"*":    {Groups: []string{"system:masters"}},
			"shop": {Users: []string{"alice"}, Groups: []string{"shop-admins"}},
		},
	}
	got, err := ParsePolicy([]byte(full))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}

	tests := []struct {
		name    string
		yaml    string
		want    Policy
		wantErr string
	}{
		{"empty file", "", DefaultPolicy(), ""},
		{"empty section", "webhook: {}\n", DefaultPolicy(), ""},
		{"one severity", "webhook:\n  warn: high\n", Policy{Enforce: finding.SeverityCritical, Warn: finding.SeverityHigh, Audit: finding.SeverityLow}, ""},
		{"case-insensitive", "webhook:\n  enforce: HIGH\n", Policy{Enforce: finding.SeverityHigh, Warn: finding.SeverityMedium, Audit: finding.SeverityLow}, ""},
		{"unknown top-level key", "webhok:\n  enforce: high\n", Policy{}, "field webhok not found"},
		{"unknown key", "webhook:\n  enforse: high\n", Policy{}, "field enforse not found"},
		{"unknown exemption", "webhook:\n  exemptions:\n    users: [a]\n", Policy{}, "field users not found"},
		{"bad severity", "webhook:\n  warn: loud\n", Policy{}, "line 2: unknown severity \"loud\""},
		{"severity list", "webhook:\n  warn: [high]\n", Policy{}, "line 2: want a severity"},
		{"bad pattern", "webhook:\n  exemptions:\n    images: ['[']\n", Policy{}, "exemptions.images: bad pattern"},
		{"empty pattern", "webhook:\n  exemptions:\n    namespaces: ['']\n", Policy{}, "exemptions.namespaces: empty entry"},
		{"bad service account", "webhook:\n  exemptions:\n    serviceAccounts: [a/b/c]\n", Policy{}, "want namespace/name"},
		{"bad namespace key", "webhook:\n  jobCreators:\n    Shop_1: {users: [a]}\n", Policy{}, "\"Shop_1\" is not a namespace name"},
		{"bad job-creator group", "webhook:\n  jobCreators:\n    shop: {groups: ['[']}\n", Policy{}, "jobCreators.shop.groups: bad pattern"},
		{"two documents", "webhook: {}\n---\nwebhook: {}\n", Policy{}, "single YAML document"},
		{"not a mapping", "- webhook\n", Policy{}, "cannot unmarshal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePolicy([]byte(tc.yaml))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestLoadPolicy(t *testing.T) {
	if p, err := LoadPolicy(""); err != nil || !reflect.DeepEqual(p, DefaultPolicy()) {
		t.Fatalf("LoadPolicy(\"\") = %+v, %v", p, err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(file, []byte("webhook:\n  enforce: bad\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPolicy(file); err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("error %v, want it to name the file and line", err)
	}
	if _, err := LoadPolicy(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("error %v, want it to name the missing file", err)
	}
}

func TestSubjectsAllows(t *testing.T) {
	s := Subjects{Users: []string{"alice", "system:serviceaccount:ci:*"}, Groups: []string{"admins"}}
	tests := []struct {
		user   string
		groups []string
		want   bool
	}{
		{"alice", nil, true},
		{"bob", nil, false},
		{"bob", []string{"dev", "admins"}, true},
		{"system:serviceaccount:ci:runner", nil, true},
		{"system:serviceaccount:shop:runner", nil, false},
		{"system:serviceaccount:kube-system:cronjob-controller", nil, true},
		{"system:kube-controller-manager", nil, true},
		{"", nil, false},
	}
	for _, tc := range tests {
		if got := s.allows(tc.user, tc.groups); got != tc.want {
			t.Errorf("allows(%q, %v) = %v, want %v", tc.user, tc.groups, got, tc.want)
		}
	}
	// An empty allow-list still lets the controllers through.
	if !(Subjects{}).allows("system:serviceaccount:kube-system:job-controller", nil) || (Subjects{}).allows("alice", nil) {
		t.Error("empty allow-list")
	}
}

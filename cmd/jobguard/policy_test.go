package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runPolicy(t *testing.T, args ...string) (string, error) {
	t.Helper()
	c := newPolicyCommand()
	c.SilenceErrors, c.SilenceUsage = true, true
	var out bytes.Buffer
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs(args)
	err := c.Execute()
	return out.String(), err
}

func TestPolicyExportUsageErrors(t *testing.T) {
	dir := t.TempDir()
	badConfig := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badConfig, []byte("allowedRegistry: [x]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--format", "kyverno"}, `--format: unknown format "kyverno"`},
		{[]string{"export", "--min-severity", "severe"}, `--min-severity: unknown severity "severe"`},
		{[]string{"export", "--min-severity", "none"}, `--min-severity: unknown severity "none"`},
		{[]string{"export", "--action", "block"}, `--action: unknown action "block"`},
		{[]string{"export", "--exclude-namespace", "Kube_System"}, `excluded namespace "Kube_System"`},
		{[]string{"export", "--name", "Not A Name"}, `name "Not A Name"`},
		{[]string{"export", "--config", badConfig}, "allowedRegistry"},
		{[]string{"export", "--config", filepath.Join(dir, "missing.yaml")}, "missing.yaml"},
		{[]string{"export", "--output-file", filepath.Join(dir, "no", "such", "dir.yaml")}, "dir.yaml"},
		{[]string{}, "policy needs a subcommand"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := runPolicy(t, tc.args...)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("got %v, want a usage error (exit 2)", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestPolicyExportWrites(t *testing.T) {
	out, err := runPolicy(t, "export", "--action", "warn", "--exclude-namespace", "kube-system")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# jobguard ", "kind: ValidatingAdmissionPolicy\n", "kind: ValidatingAdmissionPolicyBinding\n",
		"- Warn\n", "- kube-system\n", "--action warn --exclude-namespace kube-system", "host-privileged"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	file := filepath.Join(t.TempDir(), "vap.yaml")
	if out, err := runPolicy(t, "export", "--output-file", file); err != nil || out != "" {
		t.Fatalf("--output-file: err %v, stdout %q", err, out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "kind: ValidatingAdmissionPolicyBinding") {
		t.Errorf("the output file holds no binding:\n%s", data)
	}
}

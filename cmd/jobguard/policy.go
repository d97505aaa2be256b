package main

import (
	"bytes"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jobguard/jobguard/internal/config"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/vap"
	"github.com/jobguard/jobguard/internal/version"
)

func newPolicyCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "policy",
		Short: "Export jobguard's rules as policies other admission controllers run",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return usagef("policy needs a subcommand: export (see 'jobguard policy --help')")
		},
	}
	c.AddCommand(newPolicyExportCommand())
	return c
}

type policyExportFlags struct {
	format, minSeverity, action, configFile, name, outputFile string
	excludeNamespaces                                         []string
}

func newPolicyExportCommand() *cobra.Command {
	f := &policyExportFlags{}
	c := &cobra.Command{
		Use:   "export",
		Short: "Write the rules CEL can express as a ValidatingAdmissionPolicy and binding",
		Long: `Write the jobguard rules that CEL can express as an admissionregistration.k8s.io/v1
ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding (built into the API server since
Kubernetes 1.30), for clusters that want admission control without running jobguard's webhook.

The policy judges CREATE and UPDATE of every workload kind (Pods and their ephemeral containers,
PodTemplates, ReplicationControllers, CronJobs, Jobs, Deployments, DaemonSets, StatefulSets,
ReplicaSets), finding the pod spec at the path of each kind (a CronJob's
spec.jobTemplate.spec.template.spec). Each validation's message names the rule ID and the container.

A YAML comment block at the top of the output says which checks are covered, with their caveats,
and which rules are not exported and why (the Pod Security Standards rules, for which Pod Security
Admission exists; rules that need shell parsing, edit distance, cron parsing or RBAC). The exec
rules are exported only in their literal forms and are much weaker than the webhook.

--min-severity selects the checks at or above a severity (rules such as host-path have one check
per severity of their findings); --config supplies allowedRegistries, exemptions, disabled rules and
severity overrides. --exclude-namespace (repeatable) leaves namespaces out of the binding, e.g. the
namespaces of node agents that tolerate every taint. See docs/vap.md.`,
		Example: `  jobguard policy export | kubectl apply -f -
  jobguard policy export --min-severity medium --action warn --name jobguard-warn
  jobguard policy export --config jobguard.yaml --exclude-namespace kube-system --output-file vap.yaml`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runPolicyExport(c, f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.format, "format", "vap", "output format: vap (ValidatingAdmissionPolicy and binding YAML)")
	fl.StringVar(&f.minSeverity, "min-severity", "high", "export the checks at or above: critical, high, medium, low, info")
	fl.StringVar(&f.action, "action", "deny", "what the binding does on a failed check: deny, warn or audit (validationActions Deny, Warn or Audit)")
	fl.StringArrayVar(&f.excludeNamespaces, "exclude-namespace", nil, "namespace the binding leaves out (repeatable; default none)")
	fl.StringVar(&f.configFile, "config", "", "jobguard.yaml: allowed registries, exemptions, rule severities, disabled rules")
	fl.StringVar(&f.name, "name", vap.DefaultName, "name of the policy and of its binding")
	fl.StringVar(&f.outputFile, "output-file", "", "write the YAML to this file instead of standard output")
	return c
}

func runPolicyExport(c *cobra.Command, f *policyExportFlags) error {
	if f.format != "vap" {
		return usagef("--format: unknown format %q (want vap)", f.format)
	}
	sev, err := finding.ParseSeverity(f.minSeverity)
	if err != nil || sev == finding.SeverityNone {
		return usagef("--min-severity: unknown severity %q (want critical, high, medium, low or info)", f.minSeverity)
	}
	action := vap.Action(strings.ToLower(f.action))
	valid := false
	for _, a := range vap.Actions {
		valid = valid || a == action
	}
	if !valid {
		return usagef("--action: unknown action %q (want deny, warn or audit)", f.action)
	}
	cfg, err := config.Load(f.configFile)
	if err != nil {
		return usageError{err}
	}
	e, err := vap.Build(vap.Options{
		Config:            cfg,
		MinSeverity:       sev,
		Action:            action,
		ExcludeNamespaces: f.excludeNamespaces,
		Name:              f.name,
		Version:           version.Get(),
		Command:           exportCommandLine(f, sev, action),
	})
	if err != nil {
		return usageError{err}
	}
	var buf bytes.Buffer
	if err := e.WriteYAML(&buf); err != nil {
		return err
	}
	if f.outputFile == "" {
		_, err := c.OutOrStdout().Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(f.outputFile, buf.Bytes(), 0o644); err != nil {
		return usageError{err}
	}
	return nil
}

// exportCommandLine is the command line the header quotes: the effective options in canonical form.
func exportCommandLine(f *policyExportFlags, sev finding.Severity, action vap.Action) string {
	parts := []string{"jobguard policy export --format vap --min-severity", sev.String(), "--action", string(action)}
	if f.name != vap.DefaultName {
		parts = append(parts, "--name", f.name)
	}
	for _, ns := range f.excludeNamespaces {
		parts = append(parts, "--exclude-namespace", ns)
	}
	if f.configFile != "" {
		parts = append(parts, "--config", f.configFile)
	}
	return strings.Join(parts, " ")
}

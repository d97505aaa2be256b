package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/jobguard/jobguard/internal/report"
	"github.com/jobguard/jobguard/internal/rules"
)

func newRulesCommand() *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "rules",
		Short: "List every rule: ID, severity, title, ATT&CK techniques, mitigations, description, remediation",
		Long: `List every rule with its ID, category, default severity, title, ATT&CK technique and mitigation IDs,
Microsoft Threat Matrix IDs, description and remediation, and how signals on one workload combine.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			switch output {
			case "table":
				return report.WriteRulesTable(c.OutOrStdout(), catalogue())
			case "json":
				return report.WriteRulesJSON(c.OutOrStdout(), catalogue())
			case "markdown":
				_, err := io.WriteString(c.OutOrStdout(), report.RulesMarkdown(catalogue()))
				return err
			}
			return usagef("unknown output format %q for rules (want table, json or markdown)", output)
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "table", "output format: table, json, or markdown (docs/rules.md is generated with it)")
	return c
}

// catalogue is every rule jobguard reports on: the engine's rules (scan, webhook, watch) and the
// findings of the RBAC review.
func catalogue() []*rules.Rule {
	return append(append([]*rules.Rule{}, rules.All()...), reviewRules()...)
}

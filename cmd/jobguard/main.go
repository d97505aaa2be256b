// Command jobguard defends Kubernetes clusters against the abuse of orchestration jobs (MITRE ATT&CK
// T1053.007). This package only wires commands and flags to the internal packages.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// exitError carries a process exit code out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// usageError is a mistake in how jobguard was called: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command line and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintln(stderr, "jobguard:", err)
		return 2
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "jobguard",
		Short: "Defend Kubernetes against malicious CronJobs, Jobs and workloads (ATT&CK T1053.007)",
		Long: `jobguard finds container-orchestration-job abuse (MITRE ATT&CK T1053.007): CronJobs, Jobs and
workloads that download and run code, open reverse shells, mine, escape to the node, steal credentials,
disguise themselves as system components or hide their traces, and the Pod Security Standards gaps
that make it possible.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())}
	})
	root.AddCommand(newVersionCommand(), newRulesCommand(), newScanCommand(), newWhoCanCommand(), newRBACCommand(), newWebhookCommand(), newPolicyCommand())
	return root
}

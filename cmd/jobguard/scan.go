package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/pod-security-admission/api"

	"github.com/jobguard/jobguard/internal/cluster"
	"github.com/jobguard/jobguard/internal/config"
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/gcbudget"
	"github.com/jobguard/jobguard/internal/progress"
	"github.com/jobguard/jobguard/internal/rules"
	"github.com/jobguard/jobguard/internal/scan"
)

// scanGCPercent is the garbage-collector target of a cluster scan when GOGC is not set (the Go
// default is 100).
const scanGCPercent = 75

type scanFlags struct {
	output, outputFile, failOn, minSeverity, pssLevel, pssVersion, configFile, color string
	verbose, showSuppressed                                                          bool

	cluster, allNamespaces bool
	pageSize               int64
	kube                   *genericclioptions.ConfigFlags
}

func newScanCommand() *cobra.Command {
	f := &scanFlags{}
	c := &cobra.Command{
		Use:   "scan [PATH...|-]",
		Short: "Scan manifests (files, directories, stdin) for job abuse and Pod Security gaps",
		Long: `Scan Kubernetes manifests for container-orchestration-job abuse (ATT&CK T1053.007): every pod
template of every workload kind (CronJob, Job, Deployment, DaemonSet, StatefulSet, ReplicaSet,
ReplicationController, Pod, PodTemplate) is checked against the Pod Security Standards and against
job-specific attack indicators.

PATH may be a file, a directory (searched recursively for .yaml, .yml and .json) or - for stdin,
so Helm and kustomize output can be piped in.

With --cluster, jobguard reads a live cluster instead, through the usual kubeconfig conventions
(KUBECONFIG, --kubeconfig, --context, -n/--namespace, -A/--all-namespaces): every workload kind, page
by page, with namespaces (their pod-security.kubernetes.io/enforce[-version] labels choose the PSS
level and version of each namespace unless --pss-level/--pss-version are given), ConfigMaps and RBAC
objects as context. Objects controlled by another scanned object (a CronJob's Jobs, a Deployment's
ReplicaSets, their Pods) are judged once, on the owner; Pods with ephemeral containers always.
A kind the user may not list is a warning naming the missing permission; the rest is scanned.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above --fail-on; 2 usage or input
errors (the readable inputs are still scanned and reported); 3 the scan could not see everything
(see the warnings) and found nothing at or above --fail-on.`,
		Example: `  jobguard scan examples/
  helm template ./chart | jobguard scan -
  kustomize build overlays/prod | jobguard scan - -o sarif --output-file jobguard.sarif
  jobguard scan manifests/ --fail-on critical --pss-level baseline
  jobguard scan --cluster -A
  jobguard scan --cluster --context prod -n payments -o json`,
		RunE: func(c *cobra.Command, args []string) error {
			return runScan(c, f, args)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&f.output, "output", "o", "table", "output format: "+strings.Join(scan.Formats, ", "))
	fl.StringVar(&f.outputFile, "output-file", "", "write the report to this file instead of standard output")
	fl.StringVar(&f.failOn, "fail-on", "high", "exit 1 if any unsuppressed finding is at or above: critical, high, medium, low, info, none")
	fl.StringVar(&f.minSeverity, "min-severity", "info", "report only findings at or above: critical, high, medium, low, info (--fail-on still judges every finding)")
	fl.StringVar(&f.pssLevel, "pss-level", "restricted", "Pod Security Standards level to check: baseline, restricted (privileged turns the PSS checks off); overrides namespace labels when set")
	fl.StringVar(&f.pssVersion, "pss-version", "latest", "Pod Security Standards version: latest or v1.N; overrides namespace labels when set")
	fl.StringVar(&f.configFile, "config", "", "jobguard.yaml: allowed registries, exemptions, rule severities, disabled rules")
	fl.StringVar(&f.color, "color", "auto", "colour the table: auto (on a terminal, unless NO_COLOR is set), always, never")
	fl.BoolVar(&f.showSuppressed, "show-suppressed", false, "show suppressed findings in the table (JSON and SARIF always include them)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "say which documents were skipped and why")
	fl.BoolVar(&f.cluster, "cluster", false, "scan the live cluster of the current kubeconfig context instead of files")
	fl.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "with --cluster: scan every namespace")
	fl.Int64Var(&f.pageSize, "page-size", 500, "with --cluster: objects per list request")
	f.kube = genericclioptions.NewConfigFlags(true)
	f.kube.ClusterName = nil // --cluster is jobguard's own switch
	f.kube.AddFlags(fl)
	return c
}

func runScan(c *cobra.Command, f *scanFlags, args []string) error {
	stdout, stderr := c.OutOrStdout(), c.ErrOrStderr()
	if !slices.Contains(scan.Formats, f.output) {
		return usagef("unknown output format %q (want %s)", f.output, strings.Join(scan.Formats, ", "))
	}
	failOn, err := finding.ParseSeverity(f.failOn)
	if err != nil {
		return usagef("--fail-on: %v", err)
	}
	minSeverity, err := finding.ParseSeverity(f.minSeverity)
	if err != nil || minSeverity == finding.SeverityNone {
		return usagef("--min-severity: unknown severity %q (want one of critical, high, medium, low, info)", f.minSeverity)
	}
	level, err := api.ParseLevel(f.pssLevel)
	if err != nil {
		return usagef("--pss-level: unknown level %q (want baseline, restricted or privileged)", f.pssLevel)
	}
	pssVersion, err := api.ParseVersion(f.pssVersion)
	if err != nil {
		return usagef("--pss-version: %q is not latest or v1.N", f.pssVersion)
	}
	var color bool
	switch f.color {
	case "auto":
		color = progress.IsTerminal(stdout) && os.Getenv("NO_COLOR") == "" && f.outputFile == ""
	case "always":
		color = true
	case "never":
	default:
		return usagef("--color: unknown value %q (want auto, always or never)", f.color)
	}
	var source scan.Source
	switch {
	case f.cluster && len(args) > 0:
		return usagef("--cluster scans the live cluster: give no paths (or drop --cluster)")
	case f.cluster:
		if f.pageSize <= 0 {
			return usagef("--page-size must be positive")
		}
		if f.allNamespaces && c.Flags().Changed("namespace") {
			return usagef("-A/--all-namespaces and -n/--namespace exclude each other")
		}
		src, err := clusterSource(f, stderr)
		if err != nil {
			return usageError{err}
		}
		source = src
	case len(args) == 0:
		return usagef("nothing to scan: give files or directories, - for stdin, or --cluster (see 'jobguard scan --help')")
	case countOf(args, "-") > 1:
		return usagef("- (stdin) may be given only once")
	case f.allNamespaces || c.Flags().Changed("namespace"):
		return usagef("-A and -n apply to --cluster scans only")
	}
	cfg, err := config.Load(f.configFile)
	if err != nil {
		return usageError{err}
	}

	var skipped func(string, int, string)
	if f.verbose {
		skipped = func(file string, line int, why string) { fmt.Fprintf(stderr, "%s:%d: skipped: %s\n", file, line, why) }
	}

	out := stdout
	if f.outputFile != "" {
		file, err := os.Create(f.outputFile)
		if err != nil {
			return usageError{err}
		}
		defer file.Close()
		out = file
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if source == nil {
		// Files: the collector's budget grows with the input read (see gcbudget).
		budget := gcbudget.Start()
		defer budget.Stop()
		source = scan.FileSource(args, c.InOrStdin(), skipped, budget.Add)
		source = afterLoad(source, budget.Loaded)
	} else if os.Getenv("GOGC") == "" {
		// A cluster: the input's size is not known before it is read. A scan holds every object
		// it read until all are judged; a smaller GC target keeps its peak memory near that
		// live set for a little more CPU. GOGC in the environment wins.
		defer debug.SetGCPercent(debug.SetGCPercent(scanGCPercent))
	}
	code := scan.Run(ctx, scan.Options{
		Source: source,
		Engine: rules.Options{
			Config:          cfg,
			PSS:             api.LevelVersion{Level: level, Version: pssVersion},
			PSSLevelFixed:   c.Flags().Changed("pss-level"),
			PSSVersionFixed: c.Flags().Changed("pss-version"),
		},
		Format:         f.output,
		FailOn:         failOn,
		MinSeverity:    minSeverity,
		ShowSuppressed: f.showSuppressed,
		Color:          color,
		Stdout:         out,
		Stderr:         stderr,
	})
	if code != 0 {
		return exitError{code}
	}
	return nil
}

// afterLoad returns src, which calls loaded once it has loaded.
func afterLoad(src scan.Source, loaded func()) scan.Source {
	return func(ctx context.Context) (*scan.Loaded, error) {
		l, err := src(ctx)
		loaded()
		return l, err
	}
}

// clusterSource resolves the kubeconfig the kubectl way and returns a source that reads the cluster.
func clusterSource(f *scanFlags, stderr io.Writer) (scan.Source, error) {
	cfg, contextName, err := restConfigAndContext(f.kube)
	if err != nil {
		return nil, err
	}
	ns, _, err := f.kube.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	return cluster.Source(cluster.Options{
		Config:        cfg,
		ContextName:   contextName,
		Namespace:     ns,
		AllNamespaces: f.allNamespaces,
		PageSize:      f.pageSize,
		Progress:      progress.New(stderr, "reading cluster", 0),
	}), nil
}

func countOf(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

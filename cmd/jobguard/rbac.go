package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/manifest"
	"github.com/jobguard/jobguard/internal/progress"
	"github.com/jobguard/jobguard/internal/rbac"
	"github.com/jobguard/jobguard/internal/rbacsource"
	"github.com/jobguard/jobguard/internal/report"
	"github.com/jobguard/jobguard/internal/rules"
	"github.com/jobguard/jobguard/internal/scan"
	"github.com/jobguard/jobguard/internal/version"
)

// rbacInputFlags are how who-can and rbac review find their RBAC objects: manifests (-f) or the
// live cluster of the kubeconfig.
type rbacInputFlags struct {
	files         []string
	cluster       bool
	allNamespaces bool
	pageSize      int64
	verbose       bool
	kube          *genericclioptions.ConfigFlags
}

func (f *rbacInputFlags) add(c *cobra.Command) {
	fl := c.Flags()
	fl.StringArrayVarP(&f.files, "filename", "f", nil, "read RBAC objects from manifests: a file, a directory (recursively) or - for stdin; repeatable (default: the live cluster)")
	fl.BoolVar(&f.cluster, "cluster", false, "read the live cluster of the current kubeconfig context (the default without -f)")
	fl.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "every namespace")
	fl.Int64Var(&f.pageSize, "page-size", rbacsource.DefaultPageSize, "live cluster: objects per list request")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "say which documents of the manifests were skipped and why")
	f.kube = genericclioptions.NewConfigFlags(true)
	f.kube.ClusterName = nil // --cluster is jobguard's own switch, as in scan
	f.kube.AddFlags(fl)
}

// rbacInput is what was read.
type rbacInput struct {
	objects []*input.Object
	// inputs names what was read: paths, or the cluster context and namespace scope.
	inputs []string
	// errors are inputs that could not be read (the rest was read).
	errors []error
	// live is set when the objects came from a cluster; gaps then lists what could not be listed.
	live      *rbacsource.Result
	clientset kubernetes.Interface
	// namespace is where namespaced objects were read from ("" = every namespace).
	namespace string
}

// validate checks the input flags. namespaceExplicit says whether -n was given.
func (f *rbacInputFlags) validate(c *cobra.Command) error {
	nsGiven := c.Flags().Changed("namespace")
	switch {
	case f.cluster && len(f.files) > 0:
		return usagef("--cluster reads the live cluster and -f reads manifests: give one of them")
	case f.allNamespaces && nsGiven:
		return usagef("-A/--all-namespaces and -n/--namespace exclude each other")
	case countOf(f.files, "-") > 1:
		return usagef("-f - (stdin) may be given only once")
	case f.pageSize <= 0:
		return usagef("--page-size must be positive")
	}
	return nil
}

// load reads the manifests of -f or, without -f, the live cluster. For the cluster, namespace is
// where Roles, RoleBindings (and workloads) are read ("" = everywhere). It fails only when nothing
// could be read at all.
func (f *rbacInputFlags) load(ctx context.Context, c *cobra.Command, namespace string, workloads, clusterOnly bool) (*rbacInput, error) {
	stderr := c.ErrOrStderr()
	if len(f.files) > 0 {
		var skipped func(string, int, string)
		if f.verbose {
			skipped = func(file string, line int, why string) { fmt.Fprintf(stderr, "%s:%d: skipped: %s\n", file, line, why) }
		}
		objs, errs := manifest.Load(f.files, c.InOrStdin(), manifest.Options{Skipped: skipped})
		return &rbacInput{objects: objs, inputs: f.files, errors: errs, namespace: namespace}, nil
	}

	cfg, contextName, err := restConfigAndContext(f.kube)
	if err != nil {
		return nil, fmt.Errorf("%w (or give manifests with -f)", err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", contextName, err)
	}
	if _, err := cs.Discovery().ServerVersion(); err != nil {
		return nil, fmt.Errorf("cannot reach the cluster (context %q, server %s): %w", contextName, cfg.Host, err)
	}
	where := "all namespaces"
	if namespace != "" {
		where = "namespace " + namespace
	}
	if clusterOnly {
		where = "cluster-scoped RBAC"
	}
	res, err := rbacsource.List(ctx, cs, rbacsource.Options{Namespace: namespace, PageSize: f.pageSize, Workloads: workloads,
		ContextName: contextName, ClusterOnly: clusterOnly})
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", contextName, err)
	}
	return &rbacInput{objects: res.Objects, inputs: []string{fmt.Sprintf("cluster %s (%s)", contextName, where)},
		live: res, clientset: cs, namespace: namespace}, nil
}

// kubeNamespace is the namespace of -n, or of the kubeconfig context.
func (f *rbacInputFlags) kubeNamespace() (string, error) {
	ns, _, err := f.kube.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("kubeconfig: %w", err)
	}
	return ns, nil
}

// hasRBAC reports whether any RBAC object was read.
func (in *rbacInput) hasRBAC() bool {
	return rbac.Collect(in.objects).Len() > 0
}

// noteDefaults says which default ClusterRoles the manifests bind without defining them.
func noteDefaults(w io.Writer, names []string) {
	if len(names) == 0 {
		return
	}
	what := "ClusterRole " + names[0] + " is"
	if len(names) > 1 {
		what = "ClusterRoles " + strings.Join(names, ", ") + " are"
	}
	fmt.Fprintf(w, "note: %s not in the manifests: judged by the API server's default definitions\n", what)
}

// writeProblems prints up to max of the model's problems as warnings, with the file and line of
// the object when known. Problems of the API server's own objects are left out.
func writeProblems(w io.Writer, objs *rbac.Objects, all []rbac.Problem, max int) {
	var problems []rbac.Problem
	for _, p := range all {
		if !objs.Bootstrap(p.Kind, p.Namespace, p.Name) {
			problems = append(problems, p)
		}
	}
	for i, p := range problems {
		if i == max {
			fmt.Fprintf(w, "warning: and %d more problems with RBAC objects (see 'jobguard rbac review')\n", len(problems)-max)
			return
		}
		loc := ""
		if src := objs.Source(p.Kind, p.Namespace, p.Name); src != nil && src.Source.File != "" {
			loc = fmt.Sprintf("%s:%d: ", src.Source.File, src.LineOf(p.Field))
		}
		fmt.Fprintf(w, "warning: %s%s\n", loc, p)
	}
}

type rbacReviewFlags struct {
	in                                  rbacInputFlags
	output, outputFile, failOn, color   string
	adminGroups, adminUsers, adminRoles []string
	includeSystem, showSuppressed       bool
}

func newRBACCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "rbac",
		Short: "Review RBAC: who can plant jobs on the cluster (ATT&CK M1018)",
		Long: `Commands about Kubernetes RBAC as it bears on container orchestration jobs (ATT&CK T1053.007):
who may create them, and who has a path to that. See also 'jobguard who-can'.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return usagef("missing subcommand (see '%s --help')", c.CommandPath())
		},
	}
	c.AddCommand(newRBACReviewCommand())
	return c
}

func newRBACReviewCommand() *cobra.Command {
	f := &rbacReviewFlags{}
	c := &cobra.Command{
		Use:   "review [-f PATH...]",
		Short: "Report who, besides administrators, can create or change workloads, and the paths to it",
		Long: `Review RBAC against ATT&CK M1018 (only administrators may create container orchestration jobs):

  - every user, group and service account that is not an administrator and can create, update or
    patch CronJobs, Jobs, Pods, Deployments, DaemonSets, StatefulSets, ReplicaSets,
    ReplicationControllers or PodTemplates, or exec, attach or add ephemeral containers to pods
    (high cluster-wide, medium in one namespace; critical for anonymous and all-authenticated grants);
  - paths to that: escalate or bind on roles, impersonate, creating service account tokens,
    reading Secrets, nodes/proxy, changing admission webhooks and policies, and creating pods in a
    namespace whose service accounts may do more than the creator (high);
  - workloads whose own service account can create or change workloads: a job that plants jobs (high);
  - RBAC objects that do not grant what they seem to: bindings to missing roles, rules without
    verbs, singular or wrongly grouped resource names (low).

Administrators are the members of --admin-group (default system:masters), the --admin-user
users and service accounts (system:serviceaccount:NS:NAME), and whoever a ClusterRoleBinding
gives an --admin-role (default cluster-admin). The control plane's own identities (bound by the API
server's default bindings) count as administrators unless --include-system. Groups of everyone
(system:authenticated, system:unauthenticated, system:serviceaccounts[:NS]) never do.

Each finding is about one subject of one binding, located at that subject in the manifest. The
jobguard.io/ignore annotation on a binding or workload suppresses findings as it does for scan.

Without -f, jobguard reads the live cluster of the kubeconfig (every namespace unless -n): RBAC
objects, ServiceAccounts and workloads. A kind the user may not list is a warning that makes the
review incomplete.

Exit codes are those of scan: 0 nothing at or above --fail-on; 1 findings at or above --fail-on;
2 usage or input errors; 3 the review could not see everything and found nothing at or above --fail-on.`,
		Example: `  jobguard rbac review -f manifests/
  kubectl get roles,clusterroles,rolebindings,clusterrolebindings -A -o yaml | jobguard rbac review -f -
  jobguard rbac review --context prod -o sarif --output-file rbac.sarif
  jobguard rbac review -f rbac/ --admin-group platform-admins --admin-user system:serviceaccount:argocd:argocd-application-controller`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unexpected argument %q: give manifests with -f (see '%s --help')", args[0], c.CommandPath())
			}
			return nil
		},
		RunE: func(c *cobra.Command, _ []string) error {
			return runRBACReview(c, f)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&f.output, "output", "o", "table", "output format: "+strings.Join(scan.Formats, ", "))
	fl.StringVar(&f.outputFile, "output-file", "", "write the report to this file instead of standard output")
	fl.StringVar(&f.failOn, "fail-on", "high", "exit 1 if any unsuppressed finding is at or above: critical, high, medium, low, info, none")
	fl.StringVar(&f.color, "color", "auto", "colour the table: auto (on a terminal, unless NO_COLOR is set), always, never")
	fl.BoolVar(&f.showSuppressed, "show-suppressed", false, "show suppressed findings in the table (JSON and SARIF always include them)")
	fl.StringSliceVar(&f.adminGroups, "admin-group", rbac.DefaultAdminGroups, "groups of administrators (repeatable; replaces the default)")
	fl.StringSliceVar(&f.adminUsers, "admin-user", nil, "administrators by user name; system:serviceaccount:NS:NAME for a service account (repeatable)")
	fl.StringSliceVar(&f.adminRoles, "admin-role", rbac.DefaultAdminRoles, "ClusterRoles whose holders through a ClusterRoleBinding are administrators (repeatable; replaces the default; --admin-role= for none)")
	fl.BoolVar(&f.includeSystem, "include-system", false, "also review the control plane's own identities (system:kube-controller-manager, kube-system controllers ...)")
	f.in.add(c)
	return c
}

func runRBACReview(c *cobra.Command, f *rbacReviewFlags) error {
	stdout, stderr := c.OutOrStdout(), c.ErrOrStderr()
	if !slices.Contains(scan.Formats, f.output) {
		return usagef("unknown output format %q (want %s)", f.output, strings.Join(scan.Formats, ", "))
	}
	failOn, err := finding.ParseSeverity(f.failOn)
	if err != nil {
		return usagef("--fail-on: %v", err)
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
	if err := f.in.validate(c); err != nil {
		return err
	}
	namespace := ""
	if c.Flags().Changed("namespace") {
		if namespace, err = f.in.kubeNamespace(); err != nil {
			return usageError{err}
		}
		if len(f.in.files) > 0 {
			return usagef("-n applies to the live cluster only: a review of manifests covers every namespace in them")
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	in, err := f.in.load(ctx, c, namespace, true, false)
	if err != nil {
		return err
	}
	for _, e := range in.errors {
		fmt.Fprintln(stderr, "error:", e)
	}
	var warnings []string
	opts := rbac.ReviewOptions{
		AdminGroups:   nonNil(f.adminGroups),
		AdminUsers:    f.adminUsers,
		AdminRoles:    nonNil(f.adminRoles),
		IncludeSystem: f.includeSystem,
	}
	if in.live != nil {
		for _, g := range in.live.Gaps {
			warnings = append(warnings, g.Kind+"s not reviewed: "+g.Error())
		}
		if in.live.Unreadable(rbac.KindClusterRole, "") {
			warnings = append(warnings, "without ClusterRoles, bindings to them cannot be judged: the review is incomplete")
		}
		opts.Unreadable = in.live.Unreadable
	}
	for _, w := range warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if len(in.objects) == 0 && len(in.errors) == 0 && in.live == nil {
		fmt.Fprintf(stderr, "jobguard: no Kubernetes objects found in %v\n", in.inputs)
		return exitError{scan.ExitError}
	}
	if !in.hasRBAC() && len(in.errors) == 0 && (in.live == nil || len(in.live.RBACGaps()) == 0) {
		fmt.Fprintf(stderr, "jobguard: no RBAC objects (Roles, ClusterRoles, RoleBindings, ClusterRoleBindings) found in %v: nothing to review\n", in.inputs)
		return exitError{scan.ExitError}
	}

	opts.DefaultClusterRoles = in.live == nil
	res := rbac.Review(in.objects, opts)
	noteDefaults(stderr, res.DefaultRoles)
	meta := report.Meta{
		ToolVersion: version.Get(),
		Inputs:      in.inputs,
		Resources:   res.Bindings + res.Workloads,
		Incomplete:  len(warnings) > 0 || len(in.errors) > 0,
	}
	for _, e := range in.errors {
		meta.Errors = append(meta.Errors, e.Error())
	}
	meta.Errors = append(meta.Errors, warnings...)

	out := stdout
	if f.outputFile != "" {
		file, err := os.Create(f.outputFile)
		if err != nil {
			return usageError{err}
		}
		defer file.Close()
		out = file
	}
	switch f.output {
	case "json":
		err = report.WriteJSON(out, finding.Batches{res.Findings}, meta)
	case "sarif":
		err = report.WriteSARIF(out, finding.Batches{res.Findings}, meta, reviewRules())
	default:
		err = report.WriteTable(out, finding.Batches{res.Findings}, meta, report.TableOptions{Color: color, ShowSuppressed: f.showSuppressed})
	}
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if code := scan.ExitCode(finding.Batches{res.Findings}, failOn, len(in.errors) > 0, len(warnings) > 0); code != 0 {
		return exitError{code}
	}
	return nil
}

// nonNil keeps an emptied list flag (--admin-role=) empty instead of "use the default".
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// reviewRules describes the review's findings for SARIF, as rules that are not registered with
// the scan engine (they have no Check).
func reviewRules() []*rules.Rule {
	infos := rbac.ReviewRules()
	out := make([]*rules.Rule, len(infos))
	for i, r := range infos {
		out[i] = &rules.Rule{ID: r.ID, Category: r.Category, Severity: r.Severity, Title: r.Title,
			Description: r.Description, Remediation: r.Remediation, Attack: r.Attack, Mitigations: r.Mitigations}
	}
	return out
}

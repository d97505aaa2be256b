package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"

	"github.com/jobguard/jobguard/internal/input"
	"github.com/jobguard/jobguard/internal/rbac"
	"github.com/jobguard/jobguard/internal/scan"
)

// maxProblems caps how many problems with RBAC objects who-can prints.
const maxProblems = 10

type whoCanFlags struct {
	in     rbacInputFlags
	output string
}

func newWhoCanCommand() *cobra.Command {
	f := &whoCanFlags{}
	c := &cobra.Command{
		Use:   "who-can VERB RESOURCE [NAME]",
		Short: "List who may make a request, and the binding -> role -> rule chains that allow it",
		Long: `List every user, group and service account that RBAC allows to make a request, each with the
namespace scope of the grant and the binding -> role -> rule chains that give it, answered the way
the API server's RBAC authorizer answers (aggregated ClusterRoles resolved from their labels,
subresources, resourceNames, wildcards).

RESOURCE is written the kubectl way: cronjobs.batch, deployments.apps, pods/exec,
deployments.apps/scale; singular and short names of common kinds (cronjob, cj, deploy) are read
as their plural, with their API group. A RESOURCE starting with / is a non-resource URL (/healthz).
NAME asks about one object, which is what rules restricted by resourceNames allow.

-n NS answers for requests in that namespace (cluster-wide grants and the RoleBindings of NS);
-A answers for every namespace at once, each grant with its scope. From manifests (-f) the default
is -A; from the live cluster, the namespace of the kubeconfig context. For a cluster-scoped resource
only cluster-wide grants count.

Subjects are listed as bound: a group is not expanded into its members. Not listed: members of
system:masters, whom the API server allows everything without asking RBAC, and requests that the
Node authorizer or an authorization webhook would allow.

Reading a live cluster needs list on roles, clusterroles, rolebindings and clusterrolebindings
(in the namespace asked about, or everywhere with -A).`,
		Example: `  jobguard who-can create cronjobs.batch -f manifests/
  jobguard who-can patch deployments.apps -n prod
  jobguard who-can create pods/exec -A -o json
  jobguard who-can update cronjobs nightly -n batch
  kubectl get roles,clusterroles,rolebindings,clusterrolebindings -A -o yaml | jobguard who-can create jobs -f -`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) < 2 || len(args) > 3 {
				return usagef("want VERB RESOURCE [NAME], got %d arguments (see '%s --help')", len(args), c.CommandPath())
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			return runWhoCan(c, f, args)
		},
	}
	c.Flags().StringVarP(&f.output, "output", "o", "table", "output format: table, json")
	f.in.add(c)
	return c
}

// whoCanQuery is the request asked about and how it was read.
type whoCanQuery struct {
	req rbac.Request
	// allNamespaces is set for -A: RoleBinding grants of every namespace are listed.
	allNamespaces bool
	// clusterScoped is set for cluster-scoped resources and non-resource URLs.
	clusterScoped bool
}

func runWhoCan(c *cobra.Command, f *whoCanFlags, args []string) error {
	stdout, stderr := c.OutOrStdout(), c.ErrOrStderr()
	if f.output != "table" && f.output != "json" {
		return usagef("unknown output format %q (want table or json)", f.output)
	}
	if err := f.in.validate(c); err != nil {
		return err
	}
	verb, resArg := args[0], args[1]
	name := ""
	if len(args) == 3 {
		name = args[2]
	}
	if verb == "" {
		return usagef("empty VERB")
	}
	var q whoCanQuery
	var ref rbac.ResourceRef
	nsGiven := c.Flags().Changed("namespace")
	if strings.HasPrefix(resArg, "/") {
		if name != "" {
			return usagef("a non-resource URL (%s) takes no NAME", resArg)
		}
		if nsGiven || f.in.allNamespaces {
			return usagef("a non-resource URL (%s) has no namespace: drop -n/-A", resArg)
		}
		q.req = rbac.Request{Verb: verb, NonResourceURL: resArg}
		q.clusterScoped = true
	} else {
		var err error
		if ref, err = rbac.ParseResource(resArg); err != nil {
			return usagef("%v", err)
		}
		q.req = ref.Request(verb, "")
		q.req.Name = name
		switch {
		case f.in.allNamespaces:
			q.allNamespaces = true
		case nsGiven || len(f.in.files) == 0:
			ns, err := f.in.kubeNamespace()
			if err != nil {
				return usageError{err}
			}
			q.req.Namespace = ns
		default:
			q.allNamespaces = true // manifests: every namespace unless -n
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Questions that only cluster-wide grants answer need no Roles or RoleBindings (and no
	// permission to list them).
	clusterOnly := !q.req.IsResourceRequest()
	if info, ok := rbac.LookupResource(ref); ok && q.req.IsResourceRequest() && !info.Namespaced {
		clusterOnly = true
	}
	in, err := f.in.load(ctx, c, q.req.Namespace, false, clusterOnly)
	if err != nil {
		return err
	}
	for _, e := range in.errors {
		fmt.Fprintln(stderr, "error:", e)
	}
	if in.live != nil {
		if gaps := in.live.RBACGaps(); len(gaps) > 0 {
			msgs := make([]string, len(gaps))
			for i, g := range gaps {
				msgs[i] = g.Error()
			}
			return fmt.Errorf("cannot answer who can %s: %s; who-can needs every ClusterRole and ClusterRoleBinding, and the Roles and RoleBindings of the namespaces asked about, "+
				"to resolve what bindings grant: ask a cluster administrator for list on them, or answer from manifests "+
				"(kubectl get roles,clusterroles,rolebindings,clusterrolebindings -A -o yaml > rbac.yaml; jobguard who-can ... -f rbac.yaml)",
				q.req, strings.Join(msgs, "; "))
		}
	}
	objs := rbac.Collect(in.objects)
	if objs.Len() == 0 && in.live == nil {
		fmt.Fprintf(stderr, "jobguard: no RBAC objects (Roles, ClusterRoles, RoleBindings, ClusterRoleBindings) found in %v: cannot say who may %s\n", in.inputs, q.req)
		return exitError{scan.ExitError}
	}

	var warnings []string
	if !rbac.KnownVerb(verb) {
		warnings = append(warnings, fmt.Sprintf("verb %q is not one the API server asks about (get, list, watch, create, update, patch, delete, deletecollection, escalate, bind, impersonate, ...); answering for it anyway", verb))
	}
	if q.req.IsResourceRequest() {
		known, namespaced := resourceScope(ref, in)
		switch {
		case !known:
			w := fmt.Sprintf("resource %q is not a known Kubernetes resource; answering for it anyway", ref.String())
			if s, ok := rbac.SuggestResource(ref); ok {
				w += fmt.Sprintf(" (did you mean %q?)", s.String())
			}
			warnings = append(warnings, w)
		case !namespaced:
			if nsGiven {
				warnings = append(warnings, fmt.Sprintf("%s is cluster-scoped: -n is ignored, only cluster-wide grants count", ref))
			}
			q.clusterScoped, q.allNamespaces, q.req.Namespace = true, false, ""
		}
	}
	for _, w := range warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if in.live == nil {
		noteDefaults(stderr, objs.AddDefaultClusterRoles())
	}
	m := objs.Model(rbac.Options{})
	writeProblems(stderr, objs, m.Problems(), maxProblems)

	answers := m.WhoCan(q.req)
	if q.clusterScoped {
		kept := answers[:0]
		for _, a := range answers {
			if a.Namespace == "" {
				kept = append(kept, a)
			}
		}
		answers = kept
	}
	switch f.output {
	case "json":
		err = writeWhoCanJSON(stdout, q, answers, objs, warnings)
	default:
		err = writeWhoCanTable(stdout, q, answers, objs)
	}
	if err != nil {
		return fmt.Errorf("writing the answer: %w", err)
	}
	if len(in.errors) > 0 {
		return exitError{scan.ExitError}
	}
	return nil
}

// resourceScope says whether ref is a resource the cluster (or, offline, Kubernetes or a
// CustomResourceDefinition of the input) serves, and whether it is namespaced.
func resourceScope(ref rbac.ResourceRef, in *rbacInput) (known, namespaced bool) {
	if info, ok := rbac.LookupResource(ref); ok {
		return true, info.Namespaced
	}
	if in.clientset != nil {
		if ok, ns := discovered(in.clientset, ref); ok {
			return true, ns
		}
		return false, true
	}
	// A CustomResourceDefinition is named PLURAL.GROUP; its scope is not decoded, so take it as
	// namespaced (every grant is listed).
	for _, o := range in.objects {
		if o.Source.Kind == "CustomResourceDefinition" && input.Group(o.Source.APIVersion) == "apiextensions.k8s.io" &&
			o.Source.Name == ref.Resource+"."+ref.APIGroup {
			return true, true
		}
	}
	return false, true
}

// discovered looks ref up in the API server's discovery (custom and aggregated resources).
func discovered(cs kubernetes.Interface, ref rbac.ResourceRef) (known, namespaced bool) {
	// Discovery may fail for some groups (an aggregated API that is down) and still answer for the rest.
	_, lists, _ := cs.Discovery().ServerGroupsAndResources()
	want := ref.Resource
	if ref.Subresource != "" {
		want += "/" + ref.Subresource
	}
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil || gv.Group != ref.APIGroup {
			continue
		}
		for _, r := range l.APIResources {
			if r.Name == want {
				return true, r.Namespaced
			}
		}
	}
	return false, true
}

// describe renders the question: `create cronjobs.batch in namespace "prod"`.
func (q whoCanQuery) describe() string {
	switch {
	case !q.req.IsResourceRequest():
		return q.req.String()
	case q.allNamespaces:
		s := q.req.Verb + " " + rbac.ResourceRef{APIGroup: q.req.APIGroup, Resource: q.req.Resource, Subresource: q.req.Subresource}.String()
		if q.req.Name != "" {
			s += ` named "` + q.req.Name + `"`
		}
		return s + " in any namespace"
	}
	return q.req.String()
}

func writeWhoCanTable(w io.Writer, q whoCanQuery, answers []rbac.Answer, objs *rbac.Objects) error {
	subjects := map[rbac.Subject]bool{}
	grants := 0
	for _, a := range answers {
		subjects[a.Subject] = true
		grants += len(a.Grants)
	}
	var b strings.Builder
	if len(answers) == 0 {
		fmt.Fprintf(&b, "No one may %s through RBAC.\n", q.describe())
	} else {
		fmt.Fprintf(&b, "Who may %s: %s, %s.\n\n", q.describe(), count(len(subjects), "subject"), count(grants, "grant"))
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tNAME\tNAMESPACE\tSCOPE\tBINDING -> ROLE -> RULE")
		for _, a := range answers {
			for i, g := range a.Grants {
				if i == 0 {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Subject.Kind, a.Subject.Name, a.Subject.Namespace, scopeOf(a.Namespace), chainOf(g, objs))
				} else {
					fmt.Fprintf(tw, "\t\t\t\t%s\n", chainOf(g, objs))
				}
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	b.WriteString("\nNot listed: members of system:masters (allowed everything without RBAC), and what the Node authorizer or an authorization webhook allows.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func count(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func scopeOf(ns string) string {
	if ns == "" {
		return "cluster-wide"
	}
	return "namespace " + ns
}

// chainOf renders `RoleBinding prod/deploy -> ClusterRole edit (aggregated from x) -> rules[3]
// {verbs: [create], apiGroups: [batch], resources: [cronjobs]} (rbac.yaml:12)`.
func chainOf(g rbac.Grant, objs *rbac.Objects) string {
	var b strings.Builder
	b.WriteString(g.BindingKind + " ")
	if g.BindingNamespace != "" {
		b.WriteString(g.BindingNamespace + "/")
	}
	b.WriteString(g.Binding + " -> " + g.RoleKind + " " + g.Role)
	if len(g.ViaAggregation) > 0 {
		b.WriteString(" (aggregated from " + strings.Join(g.ViaAggregation, " <- ") + ")")
	}
	b.WriteString(" -> rules[" + strconv.Itoa(g.RuleIndex) + "] " + ruleString(g.Rule))
	if src := objs.Source(g.BindingKind, g.BindingNamespace, g.Binding); src != nil && src.Source.File != "" {
		fmt.Fprintf(&b, " (%s:%d)", src.Source.File, src.Source.Line)
	}
	return b.String()
}

// ruleString renders a rule in YAML flow style.
func ruleString(r *rbacv1.PolicyRule) string {
	list := func(s []string) string {
		q := make([]string, len(s))
		for i, v := range s {
			switch v {
			case "", "*":
				q[i] = strconv.Quote(v)
			default:
				q[i] = v
			}
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	parts := []string{"verbs: " + list(r.Verbs)}
	if len(r.NonResourceURLs) > 0 {
		parts = append(parts, "nonResourceURLs: "+list(r.NonResourceURLs))
	} else {
		parts = append(parts, "apiGroups: "+list(r.APIGroups), "resources: "+list(r.Resources))
	}
	if len(r.ResourceNames) > 0 {
		parts = append(parts, "resourceNames: "+list(r.ResourceNames))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// JSON answer of who-can.
type whoCanJSON struct {
	Request  whoCanRequestJSON  `json:"request"`
	Answers  []whoCanAnswerJSON `json:"answers"`
	Warnings []string           `json:"warnings"`
}

type whoCanRequestJSON struct {
	Verb           string `json:"verb"`
	APIGroup       string `json:"apiGroup"`
	Resource       string `json:"resource,omitempty"`
	Subresource    string `json:"subresource,omitempty"`
	Name           string `json:"name,omitempty"`
	Namespace      string `json:"namespace,omitempty"`
	AllNamespaces  bool   `json:"allNamespaces"`
	ClusterScoped  bool   `json:"clusterScoped"`
	NonResourceURL string `json:"nonResourceURL,omitempty"`
}

type whoCanAnswerJSON struct {
	Subject whoCanSubjectJSON `json:"subject"`
	Scope   string            `json:"scope"` // "cluster" or "namespace"
	NS      string            `json:"namespace,omitempty"`
	Grants  []whoCanGrantJSON `json:"grants"`
}

type whoCanSubjectJSON struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

type whoCanGrantJSON struct {
	Binding        whoCanObjectJSON  `json:"binding"`
	Role           whoCanObjectJSON  `json:"role"`
	RuleIndex      int               `json:"ruleIndex"`
	Rule           rbacv1.PolicyRule `json:"rule"`
	ViaAggregation []string          `json:"viaAggregation,omitempty"`
}

type whoCanObjectJSON struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	File      string `json:"file,omitempty"`
	Line      int    `json:"line,omitempty"`
}

func writeWhoCanJSON(w io.Writer, q whoCanQuery, answers []rbac.Answer, objs *rbac.Objects, warnings []string) error {
	doc := whoCanJSON{
		Request: whoCanRequestJSON{Verb: q.req.Verb, APIGroup: q.req.APIGroup, Resource: q.req.Resource, Subresource: q.req.Subresource,
			Name: q.req.Name, Namespace: q.req.Namespace, AllNamespaces: q.allNamespaces, ClusterScoped: q.clusterScoped, NonResourceURL: q.req.NonResourceURL},
		Answers:  make([]whoCanAnswerJSON, 0, len(answers)),
		Warnings: append([]string{}, warnings...),
	}
	for _, a := range answers {
		aj := whoCanAnswerJSON{Subject: whoCanSubjectJSON(a.Subject), Scope: "cluster", NS: a.Namespace}
		if a.Namespace != "" {
			aj.Scope = "namespace"
		}
		for _, g := range a.Grants {
			gj := whoCanGrantJSON{
				Binding:        whoCanObjectJSON{Kind: g.BindingKind, Name: g.Binding, Namespace: g.BindingNamespace},
				Role:           whoCanObjectJSON{Kind: g.RoleKind, Name: g.Role},
				RuleIndex:      g.RuleIndex,
				Rule:           *g.Rule,
				ViaAggregation: g.ViaAggregation,
			}
			if g.RoleKind == rbac.KindRole {
				gj.Role.Namespace = g.BindingNamespace
			}
			if src := objs.Source(g.BindingKind, g.BindingNamespace, g.Binding); src != nil {
				gj.Binding.File, gj.Binding.Line = src.Source.File, src.Source.Line
			}
			if src := objs.Source(gj.Role.Kind, gj.Role.Namespace, gj.Role.Name); src != nil {
				gj.Role.File, gj.Role.Line = src.Source.File, src.Source.Line
			}
			aj.Grants = append(aj.Grants, gj)
		}
		doc.Answers = append(doc.Answers, aj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

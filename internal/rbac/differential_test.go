package rbac_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/jobguard/jobguard/internal/rbac"
	"github.com/jobguard/jobguard/internal/rbacsource"
	"github.com/jobguard/jobguard/internal/testcluster"
)

// The cluster runs kube-controller-manager so that its clusterrole-aggregation controller, not
// the generator, fills in the rules of aggregated ClusterRoles: the model's offline aggregation is
// checked against the real controller too.
func TestMain(m *testing.M) {
	testcluster.Main(m, testcluster.Options{ControllerManager: true})
}

const (
	// seedEnv sets the first seed of the differential test (default 1); a failure prints it.
	seedEnv = "JOBGUARD_RBAC_SEED"
	// configsEnv sets how many random configurations are tried (default 3).
	configsEnv = "JOBGUARD_RBAC_CONFIGS"

	rolesPerConfig  = 150  // and 600 bindings
	tuplesPerConfig = 4000 // at least 10,000 over the default run
	minTuples       = 10000
	inFlight        = 16 // concurrent API requests
	testLabel       = "jobguard.test/differential"
)

func envInt(t *testing.T, name string, def int64) int64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q is not an integer", name, v)
	}
	return n
}

// tuple is one question: may this identity make this request?
type tuple struct {
	id  rbac.Identity
	req rbac.Request
}

// TestDifferentialAgainstAPIServer applies random RBAC configurations to a real kube-apiserver,
// reads every RBAC object back (the API server's bootstrap roles and bindings included), and asks
// the model (Allows, and whether WhoCan lists the identity) and the API server's authorizer
// (SubjectAccessReview) the same questions. Any disagreement fails the test with the seed that
// reproduces it.
func TestDifferentialAgainstAPIServer(t *testing.T) {
	c := testcluster.Shared(t)
	seed := envInt(t, seedEnv, 1)
	configs := envInt(t, configsEnv, 3)
	cfg := c.AdminConfig()
	cfg.QPS, cfg.Burst = 5000, 5000
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	total := 0
	var stats coverage
	for k := range configs {
		s := seed + k
		start := time.Now()
		conf := rbac.RandomConfig(s, rolesPerConfig)
		addBuiltinBindings(conf)
		if err := apply(ctx, cs, conf); err != nil {
			t.Fatalf("seed %d: applying the configuration: %v", s, err)
		}
		applied := time.Since(start)
		tuples := makeTuples(s, conf, tuplesPerConfig)
		model, settled := waitForAggregation(ctx, t, cs, tuples)
		if !settled {
			t.Logf("seed %d: aggregated ClusterRoles did not reach the rules the model computes within the wait; comparing anyway", s)
		}
		ready := time.Since(start)
		answers, err := askServer(ctx, cs, tuples)
		if err != nil {
			t.Fatalf("seed %d: %v", s, err)
		}
		var bad []string
		badTuples := 0
		for i, tp := range tuples {
			before := len(bad)
			got, grants := model.Allows(tp.id.User, tp.id.Groups, tp.req)
			stats.count(got, grants)
			if got != answers[i].allowed {
				bad = append(bad, fmt.Sprintf("%s %q may %s: model %v %s, API server %v (%s)",
					tp.id.User, tp.id.Groups, tp.req, got, chains(grants), answers[i].allowed, answers[i].reason))
			}
			if listed := whoCanLists(model, tp); listed != answers[i].allowed {
				bad = append(bad, fmt.Sprintf("%s %q may %s: who-can lists the identity: %v, API server %v (%s)",
					tp.id.User, tp.id.Groups, tp.req, listed, answers[i].allowed, answers[i].reason))
			}
			if len(bad) > before {
				badTuples++
			}
		}
		total += len(tuples)
		t.Logf("seed %d: %d objects applied in %v, model ready after %v, %d tuples compared in %v, %d disagreements",
			s, len(conf.Objects()), applied.Round(time.Millisecond), ready.Round(time.Millisecond), len(tuples),
			(time.Since(start) - ready).Round(time.Millisecond), badTuples)
		if len(bad) > 0 {
			if len(bad) > 20 {
				bad = append(bad[:20], fmt.Sprintf("... and %d more", len(bad)-20))
			}
			t.Fatalf("seed %d: the model and the API server disagree on %d of %d tuples (reproduce with %s=%d %s=1):\n%s",
				s, badTuples, len(tuples), seedEnv, s, configsEnv, strings.Join(bad, "\n"))
		}
		if err := cleanUp(ctx, cs, conf); err != nil {
			t.Fatalf("seed %d: cleaning up: %v", s, err)
		}
	}
	if total < minTuples && configs*tuplesPerConfig >= minTuples {
		t.Fatalf("compared %d tuples, want at least %d", total, minTuples)
	}
	// The comparison means something only if the tuples reach what matters.
	t.Logf("%d tuples: %d allowed, %d through aggregated ClusterRoles, %d through RoleBindings, %d through the API server's own roles",
		total, stats.allowed, stats.aggregated, stats.roleBindings, stats.bootstrap)
	if stats.allowed < total/10 || stats.aggregated == 0 || stats.roleBindings == 0 || stats.bootstrap == 0 {
		t.Errorf("the tuples do not exercise the model enough: %+v", stats)
	}
}

// coverage counts what the allowed tuples went through.
type coverage struct{ allowed, aggregated, roleBindings, bootstrap int }

func (c *coverage) count(allowed bool, grants []rbac.Grant) {
	if !allowed {
		return
	}
	c.allowed++
	agg, rb, boot := false, false, false
	for _, g := range grants {
		agg = agg || len(g.ViaAggregation) > 0
		rb = rb || g.BindingKind == rbac.KindRoleBinding
		boot = boot || !strings.HasPrefix(g.Role, "jg-")
	}
	if agg {
		c.aggregated++
	}
	if rb {
		c.roleBindings++
	}
	if boot {
		c.bootstrap++
	}
}

// whoCanLists reports whether WhoCan's answer to the tuple's request names the identity (its
// user, service account or one of its groups) in a scope that covers the request.
func whoCanLists(m *rbac.Model, tp tuple) bool {
	for _, a := range m.WhoCan(tp.req) {
		if a.Namespace != "" && a.Namespace != tp.req.Namespace {
			continue
		}
		s := a.Subject
		switch s.Kind {
		case rbac.KindUser:
			if s.Name == tp.id.User {
				return true
			}
		case rbac.KindGroup:
			if slices.Contains(tp.id.Groups, s.Name) {
				return true
			}
		case rbac.KindServiceAccount:
			if u, _ := rbac.ServiceAccountUser(s.Namespace, s.Name); u == tp.id.User {
				return true
			}
		}
	}
	return false
}

func chains(gs []rbac.Grant) string {
	var out []string
	for _, g := range gs {
		b := g.BindingKind + " " + g.Binding
		if g.BindingNamespace != "" {
			b = g.BindingKind + " " + g.BindingNamespace + "/" + g.Binding
		}
		out = append(out, fmt.Sprintf("%s -> %s %s rules[%d]", b, g.RoleKind, g.Role, g.RuleIndex))
	}
	return "[" + strings.Join(out, "; ") + "]"
}

// addBuiltinBindings binds the API server's aggregated roles admin, edit and view, so the tuples
// also exercise what the aggregation controller gathers into them.
func addBuiltinBindings(c *rbac.Config) {
	ns := c.Namespaces
	ref := func(name string) rbacv1.RoleRef {
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: rbac.KindClusterRole, Name: name}
	}
	var users []string
	for _, id := range c.Identities {
		if !strings.HasPrefix(id.User, "system:") {
			users = append(users, id.User)
		}
	}
	c.RoleBindings = append(c.RoleBindings,
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "jg-builtin-admin", Namespace: ns[0]}, RoleRef: ref("admin"),
			Subjects: []rbacv1.Subject{{Kind: rbac.KindUser, APIGroup: rbacv1.GroupName, Name: users[0]}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "jg-builtin-edit", Namespace: ns[1]}, RoleRef: ref("edit"),
			Subjects: []rbacv1.Subject{{Kind: rbac.KindServiceAccount, Name: "jg-sa-0", Namespace: ns[1]}}})
	c.ClusterRoleBindings = append(c.ClusterRoleBindings,
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "jg-builtin-view"}, RoleRef: ref("view"),
			Subjects: []rbacv1.Subject{{Kind: rbac.KindUser, APIGroup: rbacv1.GroupName, Name: users[1%len(users)]}}})
}

// makeTuples pairs random requests with random identities: those of the configuration, an
// anonymous request, an authenticated user bound to nothing, and control-plane identities that
// the bootstrap roles grant to.
func makeTuples(seed int64, c *rbac.Config, n int) []tuple {
	ids := append([]rbac.Identity(nil), c.Identities...)
	ids = append(ids,
		rbac.Identity{User: "system:anonymous", Groups: []string{"system:unauthenticated"}},
		rbac.Identity{User: "jg-nobody", Groups: []string{"system:authenticated"}},
		rbac.Identity{User: "system:kube-controller-manager", Groups: []string{"system:authenticated"}},
		rbac.Identity{User: "system:kube-scheduler", Groups: []string{"system:authenticated"}},
	)
	for _, sa := range []string{"job-controller", "cronjob-controller", "deployment-controller", "namespace-controller"} {
		u, g := rbac.ServiceAccountUser("kube-system", sa)
		ids = append(ids, rbac.Identity{User: u, Groups: g})
	}
	reqs := rbac.RandomRequests(seed, n, c)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7475706c6573))
	out := make([]tuple, n)
	for i := range out {
		out[i] = tuple{id: ids[rng.IntN(len(ids))], req: reqs[i]}
	}
	return out
}

// forEach runs f on 0..n-1 with at most inFlight calls at once and returns the first error.
func forEach(parent context.Context, n int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	next := make(chan int)
	for range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = parent.Err()
	}
	return first
}

// apply creates the namespaces and objects of c, labelled for cleanUp. Aggregated ClusterRoles
// are created without rules: the aggregation controller fills them in.
func apply(ctx context.Context, cs kubernetes.Interface, c *rbac.Config) error {
	for _, ns := range c.Namespaces {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	label := func(m *metav1.ObjectMeta) {
		if m.Labels == nil {
			m.Labels = map[string]string{}
		}
		m.Labels[testLabel] = "true"
	}
	// Roles before the bindings that name them (not required by the API server, but it keeps
	// the window in which a binding dangles short).
	steps := []func(ctx context.Context, i int) error{}
	steps = append(steps, func(ctx context.Context, i int) error {
		cr := c.ClusterRoles[i].DeepCopy()
		label(&cr.ObjectMeta)
		if cr.AggregationRule != nil {
			cr.Rules = nil
		}
		_, err := cs.RbacV1().ClusterRoles().Create(ctx, cr, metav1.CreateOptions{})
		return err
	})
	counts := []int{len(c.ClusterRoles)}
	steps = append(steps, func(ctx context.Context, i int) error {
		r := c.Roles[i].DeepCopy()
		label(&r.ObjectMeta)
		_, err := cs.RbacV1().Roles(r.Namespace).Create(ctx, r, metav1.CreateOptions{})
		return err
	})
	counts = append(counts, len(c.Roles))
	steps = append(steps, func(ctx context.Context, i int) error {
		b := c.ClusterRoleBindings[i].DeepCopy()
		label(&b.ObjectMeta)
		_, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, b, metav1.CreateOptions{})
		return err
	})
	counts = append(counts, len(c.ClusterRoleBindings))
	steps = append(steps, func(ctx context.Context, i int) error {
		b := c.RoleBindings[i].DeepCopy()
		label(&b.ObjectMeta)
		_, err := cs.RbacV1().RoleBindings(b.Namespace).Create(ctx, b, metav1.CreateOptions{})
		return err
	})
	counts = append(counts, len(c.RoleBindings))
	for i, step := range steps {
		if err := forEach(ctx, counts[i], step); err != nil {
			return err
		}
	}
	return nil
}

// cleanUp deletes what apply created, so the next configuration can reuse the names.
func cleanUp(ctx context.Context, cs kubernetes.Interface, c *rbac.Config) error {
	sel := metav1.ListOptions{LabelSelector: testLabel + "=true"}
	del := metav1.DeleteOptions{}
	if err := cs.RbacV1().ClusterRoleBindings().DeleteCollection(ctx, del, sel); err != nil {
		return err
	}
	if err := cs.RbacV1().ClusterRoles().DeleteCollection(ctx, del, sel); err != nil {
		return err
	}
	for _, ns := range c.Namespaces {
		if err := cs.RbacV1().RoleBindings(ns).DeleteCollection(ctx, del, sel); err != nil {
			return err
		}
		if err := cs.RbacV1().Roles(ns).DeleteCollection(ctx, del, sel); err != nil {
			return err
		}
	}
	return nil
}

// waitForAggregation reads every RBAC object back until the aggregation controller has caught
// up: until the model that computes aggregated rules (as the controller does) and the model that
// reads the stored ones (as the API server's authorizer does) answer every tuple alike. It
// returns the computing model, and false when they still differed after the wait.
func waitForAggregation(ctx context.Context, t *testing.T, cs kubernetes.Interface, tuples []tuple) (*rbac.Model, bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := rbacsource.List(ctx, cs, rbacsource.Options{})
		if err != nil {
			t.Fatalf("reading RBAC back: %v", err)
		}
		if len(res.Gaps) > 0 {
			t.Fatalf("reading RBAC back as admin: %v", res.Gaps)
		}
		objs := rbac.Collect(res.Objects)
		computed := objs.Model(rbac.Options{})
		stored := objs.Model(rbac.Options{StoredAggregation: true})
		differ := 0
		for _, tp := range tuples {
			a, _ := computed.Allows(tp.id.User, tp.id.Groups, tp.req)
			b, _ := stored.Allows(tp.id.User, tp.id.Groups, tp.req)
			if a != b {
				differ++
			}
		}
		if differ == 0 {
			return computed, true
		}
		if time.Now().After(deadline) {
			t.Logf("%d tuples still answered differently by computed and stored aggregation", differ)
			return computed, false
		}
		time.Sleep(300 * time.Millisecond)
	}
}

type answer struct {
	allowed bool
	reason  string
}

// askServer asks a SubjectAccessReview for every tuple, inFlight at a time.
func askServer(ctx context.Context, cs kubernetes.Interface, tuples []tuple) ([]answer, error) {
	out := make([]answer, len(tuples))
	err := forEach(ctx, len(tuples), func(ctx context.Context, i int) error {
		tp := tuples[i]
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: tp.id.User, Groups: tp.id.Groups}}
		if tp.req.IsResourceRequest() {
			sar.Spec.ResourceAttributes = &authorizationv1.ResourceAttributes{
				Namespace: tp.req.Namespace, Verb: tp.req.Verb, Group: tp.req.APIGroup,
				Resource: tp.req.Resource, Subresource: tp.req.Subresource, Name: tp.req.Name,
			}
		} else {
			sar.Spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: tp.req.NonResourceURL, Verb: tp.req.Verb}
		}
		got, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("SubjectAccessReview for %s %s: %w", tp.id.User, tp.req, err)
		}
		// An evaluation error (such as a binding to a missing role) does not keep other bindings
		// from allowing the request; keep it for the report.
		reason := got.Status.Reason
		if got.Status.EvaluationError != "" {
			reason += "; evaluation error: " + got.Status.EvaluationError
		}
		out[i] = answer{allowed: got.Status.Allowed, reason: reason}
		return nil
	})
	return out, err
}

var updateDefaults = flag.Bool("update-default-roles", false, "rewrite "+rbac.DefaultRolesFile+" from the test API server's bootstrap ClusterRoles")

// TestDefaultClusterRolesMatchAPIServer keeps the embedded default ClusterRoles equal to those
// the pinned kube-apiserver creates (after its aggregation controller has run). Regenerate with
// go test ./internal/rbac -run TestDefaultClusterRoles -args -update-default-roles.
func TestDefaultClusterRolesMatchAPIServer(t *testing.T) {
	c := testcluster.Shared(t)
	cs, err := kubernetes.NewForConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var server []rbacv1.ClusterRole
	deadline := time.Now().Add(30 * time.Second)
	for {
		l, err := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/bootstrapping=rbac-defaults"})
		if err != nil {
			t.Fatal(err)
		}
		server = l.Items
		// The aggregated roles are filled in by the controller shortly after start.
		filled := true
		for _, r := range server {
			if r.AggregationRule != nil && len(r.Rules) == 0 && (r.Name == "admin" || r.Name == "edit" || r.Name == "view") {
				filled = false
			}
		}
		if filled || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if *updateDefaults {
		if err := os.WriteFile(rbac.DefaultRolesFile, rbac.MarshalDefaultRoles(server), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d ClusterRoles to %s", len(server), rbac.DefaultRolesFile)
		return
	}
	embedded := map[string]*rbacv1.ClusterRole{}
	for _, r := range rbac.DefaultClusterRoles() {
		embedded[r.Name] = r
	}
	for _, r := range server {
		e := embedded[r.Name]
		if e == nil {
			t.Errorf("ClusterRole %s of the API server is not embedded (run with -args -update-default-roles)", r.Name)
			continue
		}
		delete(embedded, r.Name)
		if !reflect.DeepEqual(e.Rules, r.Rules) || !reflect.DeepEqual(e.AggregationRule, r.AggregationRule) || !reflect.DeepEqual(e.Labels, r.Labels) {
			t.Errorf("ClusterRole %s differs from the API server's (run with -args -update-default-roles)", r.Name)
		}
	}
	for name := range embedded {
		t.Errorf("embedded ClusterRole %s is not one of the API server's", name)
	}
}

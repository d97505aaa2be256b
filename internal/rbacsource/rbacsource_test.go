package rbacsource

import (
	"context"
	"errors"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func objects() []runtime.Object {
	yes := true
	return []runtime.Object{
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "cron"}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "cron"}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "a"}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "b"}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "rb", Namespace: "a"}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "sa", Namespace: "a"}},
		&batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "cj", Namespace: "a", UID: "u1"}},
		&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "cj-1", Namespace: "a",
			OwnerReferences: []metav1.OwnerReference{{Kind: "CronJob", Name: "cj", Controller: &yes}}}},
		&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "adopted", Namespace: "a",
			OwnerReferences: []metav1.OwnerReference{{Kind: "Widget", Name: "w", Controller: &yes}}}},
	}
}

func names(r *Result) []string {
	var out []string
	for _, o := range r.Objects {
		s := o.Source.Kind + " " + o.Source.Name
		if o.Source.Namespace != "" {
			s = o.Source.Kind + " " + o.Source.Namespace + "/" + o.Source.Name
		}
		out = append(out, s)
	}
	return out
}

func TestList(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"rbac only", Options{}, "ClusterRole cron, ClusterRoleBinding cron, Role a/r, Role b/r, RoleBinding a/rb"},
		{"one namespace", Options{Namespace: "b"}, "ClusterRole cron, ClusterRoleBinding cron, Role b/r"},
		{"cluster only", Options{ClusterOnly: true, Workloads: true}, "ClusterRole cron, ClusterRoleBinding cron"},
		{"with workloads", Options{Workloads: true},
			"ClusterRole cron, ClusterRoleBinding cron, Role a/r, Role b/r, RoleBinding a/rb, ServiceAccount a/sa, CronJob a/cj, Job a/adopted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := fake.NewClientset(objects()...)
			tt.opts.ContextName = "test"
			res, err := List(context.Background(), cs, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(names(res), ", "); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if len(res.Gaps) != 0 {
				t.Errorf("gaps: %v", res.Gaps)
			}
			for _, o := range res.Objects {
				if o.Source.Cluster != "test" || o.Source.APIVersion == "" || o.Obj == nil {
					t.Errorf("incomplete source %+v", o.Source)
				}
			}
		})
	}
}

func TestListPages(t *testing.T) {
	cs := fake.NewClientset()
	var limits []int64
	pages := map[string]*rbacv1.ClusterRoleList{
		"":   {ListMeta: metav1.ListMeta{Continue: "p2"}, Items: []rbacv1.ClusterRole{{ObjectMeta: metav1.ObjectMeta{Name: "one"}}, {ObjectMeta: metav1.ObjectMeta{Name: "two"}}}},
		"p2": {Items: []rbacv1.ClusterRole{{ObjectMeta: metav1.ObjectMeta{Name: "three"}}}},
	}
	cs.PrependReactor("list", "clusterroles", func(a k8stesting.Action) (bool, runtime.Object, error) {
		o := a.(k8stesting.ListActionImpl).ListOptions
		limits = append(limits, o.Limit)
		return true, pages[o.Continue], nil
	})
	res, err := List(context.Background(), cs, Options{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(res), ", "); got != "ClusterRole one, ClusterRole two, ClusterRole three" {
		t.Errorf("got %s", got)
	}
	if len(limits) != 2 || limits[0] != 2 || limits[1] != 2 {
		t.Errorf("limits %v, want [2 2]", limits)
	}
}

func TestListForbidden(t *testing.T) {
	cs := fake.NewClientset(objects()...)
	forbid := func(resource, ns string) {
		cs.PrependReactor("list", resource, func(a k8stesting.Action) (bool, runtime.Object, error) {
			if a.GetNamespace() != ns {
				return false, nil, nil
			}
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: resource}, "",
				errors.New(`User "bob" cannot list resource "`+resource+`"`))
		})
	}
	forbid("clusterroles", "")
	forbid("roles", "b")
	forbid("pods", "b")
	res, err := List(context.Background(), cs, Options{Namespace: "b", Workloads: true})
	if err != nil {
		t.Fatal(err)
	}
	var gaps []string
	for _, g := range res.Gaps {
		gaps = append(gaps, g.Error())
	}
	want := []string{
		`missing permission "list" on clusterroles.rbac.authorization.k8s.io cluster-wide (clusterroles.rbac.authorization.k8s.io is forbidden: User "bob" cannot list resource "clusterroles")`,
		`missing permission "list" on roles.rbac.authorization.k8s.io in namespace b (roles.rbac.authorization.k8s.io is forbidden: User "bob" cannot list resource "roles")`,
		`missing permission "list" on pods in namespace b (pods.rbac.authorization.k8s.io is forbidden: User "bob" cannot list resource "pods")`,
	}
	if strings.Join(gaps, "\n") != strings.Join(want, "\n") {
		t.Errorf("gaps:\n%s\nwant:\n%s", strings.Join(gaps, "\n"), strings.Join(want, "\n"))
	}
	if len(res.RBACGaps()) != 2 {
		t.Errorf("RBACGaps = %v", res.RBACGaps())
	}
	for _, c := range []struct {
		kind, ns string
		want     bool
	}{{"ClusterRole", "", true}, {"Role", "b", true}, {"Role", "a", false}, {"RoleBinding", "b", false}} {
		if got := res.Unreadable(c.kind, c.ns); got != c.want {
			t.Errorf("Unreadable(%s, %q) = %v", c.kind, c.ns, got)
		}
	}
}

func TestListFails(t *testing.T) {
	cs := fake.NewClientset()
	cs.PrependReactor("list", "clusterrolebindings", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("connection refused")
	})
	_, err := List(context.Background(), cs, Options{})
	if err == nil || !strings.Contains(err.Error(), "listing clusterrolebindings.rbac.authorization.k8s.io: connection refused") {
		t.Fatalf("err = %v", err)
	}
}

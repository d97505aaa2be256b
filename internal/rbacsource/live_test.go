package rbacsource

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/jobguard/jobguard/internal/testcluster"
)

func TestMain(m *testing.M) {
	testcluster.Main(m, testcluster.Options{})
}

// TestListLiveCluster reads a real API server page by page, as an administrator and as a user who
// may only list the RBAC objects of one namespace.
func TestListLiveCluster(t *testing.T) {
	c := testcluster.Shared(t)
	admin, err := kubernetes.NewForConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const ns = "jg-rbacsource"
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
	for i := range 5 {
		must(admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("r%d", i)},
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"create"}, APIGroups: []string{"batch"}, Resources: []string{"cronjobs"}}}}, metav1.CreateOptions{}))
	}
	must(admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "rbac-reader"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"list"}, APIGroups: []string{rbacv1.GroupName}, Resources: []string{"roles", "rolebindings"}}}}, metav1.CreateOptions{}))
	must(admin.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "reader"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "rbac-reader"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "jg-limited"}}}, metav1.CreateOptions{}))
	spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}, RestartPolicy: corev1.RestartPolicyNever}
	must(admin.BatchV1().CronJobs(ns).Create(ctx, &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "cj"},
		Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: spec}}}}}, metav1.CreateOptions{}))

	t.Run("admin, small pages", func(t *testing.T) {
		res, err := List(ctx, admin, Options{PageSize: 2, Workloads: true, ContextName: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Gaps) > 0 {
			t.Fatalf("gaps: %v", res.Gaps)
		}
		counts := map[string]int{}
		for _, o := range res.Objects {
			counts[o.Source.Kind]++
			if o.Source.Namespace == ns {
				counts[ns+"/"+o.Source.Kind]++
			}
		}
		// The API server's bootstrap policy has dozens of ClusterRoles and bindings.
		if counts["ClusterRole"] < 20 || counts["ClusterRoleBinding"] < 10 || counts[ns+"/Role"] != 6 || counts[ns+"/RoleBinding"] != 1 || counts[ns+"/CronJob"] != 1 {
			t.Errorf("counts %v", counts)
		}
	})

	t.Run("a user who may read one namespace", func(t *testing.T) {
		limited, err := kubernetes.NewForConfig(c.ConfigFor("jg-limited"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := List(ctx, limited, Options{Namespace: ns, PageSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		var gaps []string
		for _, g := range res.Gaps {
			gaps = append(gaps, g.Error())
		}
		got := strings.Join(gaps, "\n")
		for _, want := range []string{
			`missing permission "list" on clusterroles.rbac.authorization.k8s.io cluster-wide (clusterroles.rbac.authorization.k8s.io is forbidden: User "jg-limited" cannot list resource "clusterroles"`,
			`missing permission "list" on clusterrolebindings.rbac.authorization.k8s.io cluster-wide`,
		} {
			if !strings.Contains(got, want) {
				t.Errorf("gaps lack %q:\n%s", want, got)
			}
		}
		if len(res.Gaps) != 2 || len(res.Objects) != 7 {
			t.Errorf("%d gaps, %d objects; want 2 gaps and the 7 RBAC objects of %s", len(res.Gaps), len(res.Objects), ns)
		}
		if !res.Unreadable("ClusterRole", "") || res.Unreadable("Role", ns) {
			t.Error("Unreadable does not match the gaps")
		}
	})
}

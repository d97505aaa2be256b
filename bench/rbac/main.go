// Command rbac is the benchmark driver of jobguard's RBAC faces (see run.sh):
//
//	go run ./bench/rbac gen -out DIR [-roles 5000] [-workloads 1000] [-seed 1]
//	go run ./bench/rbac review [-cpuprofile F] FILE... # load + rbac review + JSON report, as `jobguard rbac review -o json`
//	go run ./bench/rbac whocan [-n 1000] FILE...  # load, build the model, then N who-can queries
//
// gen writes DIR/rbac.yaml: RandomConfig's roles (a fifth of them aggregated or selected by
// aggregation) with four bindings per role, and CronJobs running as the generated service
// accounts. review and whocan print their phases' times to standard error, one
// "name<TAB>wall seconds<TAB>CPU seconds" line each, so run.sh can report them next to
// bench/measure's wall time and peak RSS.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"github.com/jobguard/jobguard/internal/finding"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/internal/manifest"
	"github.com/jobguard/jobguard/internal/rbac"
	"github.com/jobguard/jobguard/internal/report"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "review":
		err = review(os.Args[2:])
	case "whocan":
		err = whoCan(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/rbac:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: rbac gen -out DIR [-roles N] [-workloads N] [-seed S] | rbac review FILE... | rbac whocan [-n N] FILE...")
	os.Exit(2)
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	out := fs.String("out", "", "output directory")
	roles := fs.Int("roles", 5000, "roles (Roles and ClusterRoles); bindings are four times as many")
	workloads := fs.Int("workloads", 1000, "CronJobs running as the generated service accounts")
	seed := fs.Int64("seed", 1, "generator seed")
	fs.Parse(args)
	if *out == "" {
		return fmt.Errorf("gen: -out is required")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	c := rbac.RandomConfig(*seed, *roles)
	path := filepath.Join(*out, "rbac.yaml")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	write := func(o any) error {
		b, err := yaml.Marshal(o)
		if err != nil {
			return err
		}
		w.WriteString("---\n")
		_, err = w.Write(b)
		return err
	}
	for _, o := range c.Objects() {
		if err := write(o); err != nil {
			return err
		}
	}
	var accounts []rbac.Identity
	for _, id := range c.Identities {
		if _, _, ok := cutAccount(id.User); ok {
			accounts = append(accounts, id)
		}
	}
	for i := range *workloads {
		ns, sa, _ := cutAccount(accounts[i%len(accounts)].User)
		cj := &batchv1.CronJob{
			TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("jg-cron-%d", i), Namespace: ns},
			Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
				Spec: corev1.PodSpec{ServiceAccountName: sa, RestartPolicy: corev1.RestartPolicyNever,
					Containers: []corev1.Container{{Name: "backup", Image: "registry.example.com/backup:1.0"}}}}}}},
		}
		if err := write(cj); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Printf("%s: %d roles, %d bindings, %d CronJobs\n", path, len(c.Roles)+len(c.ClusterRoles), len(c.RoleBindings)+len(c.ClusterRoleBindings), *workloads)
	return nil
}

// cutAccount splits "system:serviceaccount:NS:NAME".
func cutAccount(user string) (ns, name string, ok bool) {
	const prefix = "system:serviceaccount:"
	if len(user) <= len(prefix) || user[:len(prefix)] != prefix {
		return "", "", false
	}
	rest := user[len(prefix):]
	for i := range len(rest) {
		if rest[i] == ':' {
			return rest[:i], rest[i+1:], true
		}
	}
	return "", "", false
}

// cpuAt is the process's user and system CPU time when each phase began, by phase start time.
var cpuAt = map[time.Time]float64{}

// begin starts a phase: its wall clock, and the CPU time used so far.
func begin() time.Time {
	t := time.Now()
	cpuAt[t] = cpuSeconds()
	return t
}

// phase prints how long a phase took: wall seconds, then CPU seconds (which a loaded machine
// does not inflate).
func phase(name string, start time.Time) {
	fmt.Fprintf(os.Stderr, "%s\t%.3f\t%.3f\n", name, time.Since(start).Seconds(), cpuSeconds()-cpuAt[start])
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func review(args []string) error {
	fs := flag.NewFlagSet("review", flag.ExitOnError)
	profile := fs.String("cpuprofile", "", "write a CPU profile of the review (without loading) to this file")
	fs.Parse(args)
	args = fs.Args()
	if len(args) == 0 {
		usage()
	}
	start := begin()
	objs, errs := manifest.Load(args, nil, manifest.Options{})
	if len(errs) > 0 {
		return errs[0]
	}
	phase("load", start)
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	t := begin()
	res := rbac.Review(objs, rbac.ReviewOptions{})
	phase("review", t)
	if *profile != "" {
		pprof.StopCPUProfile()
	}
	t = begin()
	if err := report.WriteJSON(io.Discard, finding.Batches{res.Findings}, report.Meta{Inputs: args, Resources: res.Bindings + res.Workloads}); err != nil {
		return err
	}
	phase("report", t)
	phase("total", start)
	fmt.Fprintf(os.Stderr, "findings\t%d\n", len(res.Findings))
	return nil
}

func whoCan(args []string) error {
	fs := flag.NewFlagSet("whocan", flag.ExitOnError)
	n := fs.Int("n", 1000, "queries")
	seed := fs.Int64("seed", 2, "seed of the queries")
	fs.Parse(args)
	if fs.NArg() == 0 {
		usage()
	}
	start := begin()
	objs, errs := manifest.Load(fs.Args(), nil, manifest.Options{})
	if len(errs) > 0 {
		return errs[0]
	}
	phase("load", start)
	t := begin()
	m := rbac.Collect(objs).Model(rbac.Options{})
	phase("model", t)
	// The queries of RandomRequests, half of them across all namespaces (-A), like the unit
	// benchmark BenchmarkWhoCan1000.
	reqs := rbac.RandomRequests(*seed, *n, nil)
	answers := 0
	t = begin()
	for i, req := range reqs {
		if i%2 == 0 {
			req.Namespace = ""
		}
		answers += len(m.WhoCan(req))
	}
	el := time.Since(t)
	phase("queries", t)
	fmt.Fprintf(os.Stderr, "per-query-ms\t%.4f\n", el.Seconds()*1000/float64(len(reqs)))
	fmt.Fprintf(os.Stderr, "answers-per-query\t%.1f\n", float64(answers)/float64(len(reqs)))
	return nil
}

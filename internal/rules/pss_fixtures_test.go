package rules

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
)

// TestPSSOfficialFixtures is the acceptance test of the pod-security rules: every pass and fail
// fixture of k8s.io/pod-security-admission's test/testdata/<level>/<version>/, wrapped in a CronJob,
// a Job and a Deployment, gets exactly the official evaluator's verdict from the engine.
func TestPSSOfficialFixtures(t *testing.T) {
	if testing.Short() {
		t.Skip("walks thousands of fixtures")
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/pod-security-admission").Output()
	if err != nil {
		t.Skipf("cannot locate the pod-security-admission module: %v", err)
	}
	root := filepath.Join(strings.TrimSpace(string(out)), "test", "testdata")
	official, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	engines := map[api.LevelVersion]*Engine{}
	var files, pass, fail int
	for _, level := range []api.Level{api.LevelBaseline, api.LevelRestricted} {
		versionDirs, err := os.ReadDir(filepath.Join(root, string(level)))
		if err != nil {
			t.Fatalf("fixtures: %v", err)
		}
		newest := newestFixtureMinor(t, filepath.Join(root, string(level)))
		for _, vd := range versionDirs {
			version, err := api.ParseVersion(vd.Name())
			if err != nil {
				t.Fatalf("fixture dir %s/%s: %v", level, vd.Name(), err)
			}
			lvs := []api.LevelVersion{{Level: level, Version: version}}
			if version.Minor() == newest {
				// The newest policy version is also what "latest" means.
				lvs = append(lvs, api.LevelVersion{Level: level, Version: api.LatestVersion()})
			}
			for _, lv := range lvs {
				e := engines[lv]
				if e == nil {
					if e, err = New(Options{PSS: lv, PSSLevelFixed: true, PSSVersionFixed: true}); err != nil {
						t.Fatal(err)
					}
					engines[lv] = e
				}
			}
			for _, verdict := range []string{"pass", "fail"} {
				dir := filepath.Join(root, string(level), vd.Name(), verdict)
				entries, err := os.ReadDir(dir)
				if os.IsNotExist(err) {
					continue
				} else if err != nil {
					t.Fatal(err)
				}
				for _, ent := range entries {
					if !strings.HasSuffix(ent.Name(), ".yaml") {
						continue
					}
					file := filepath.Join(dir, ent.Name())
					data, err := os.ReadFile(file)
					if err != nil {
						t.Fatal(err)
					}
					var pod corev1.Pod
					if err := yaml.UnmarshalStrict(data, &pod); err != nil {
						t.Fatalf("%s: %v", file, err)
					}
					files++
					// The fixtures are judged as admitted, after the API server's defaulting.
					admitted := pod.DeepCopy()
					for i := range admitted.Spec.Volumes {
						if v := &admitted.Spec.Volumes[i]; v.VolumeSource == (corev1.VolumeSource{}) {
							v.EmptyDir = &corev1.EmptyDirVolumeSource{}
						}
					}
					if verdict == "pass" {
						pass++
					} else {
						fail++
					}
					for _, lv := range lvs {
						want := officialVerdict(official, lv, admitted)
						if (verdict == "pass") != (len(want) == 0) {
							t.Fatalf("%s: official evaluator at %s disagrees with the fixture's directory: %v", file, lv, want)
						}
						for _, obj := range wrapPod(&pod) {
							got := pssVerdict(engines[lv].Evaluate(nil, obj))
							if strings.Join(got, "\n") != strings.Join(want, "\n") {
								t.Errorf("%s as %s at %s:\n got  %q\n want %q", file, obj.Source.Kind, lv, got, want)
							}
						}
					}
				}
			}
		}
	}
	if files == 0 || pass == 0 || fail == 0 {
		t.Fatalf("found %d fixtures (%d pass, %d fail) under %s", files, pass, fail, root)
	}
	t.Logf("%d fixtures (%d pass, %d fail) x 3 workload kinds agree with the official evaluator", files, pass, fail)
}

// newestFixtureMinor returns the newest v1.<minor> directory under dir.
func newestFixtureMinor(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	newest := -1
	for _, e := range entries {
		if v, err := api.ParseVersion(e.Name()); err == nil && !v.Latest() && v.Minor() > newest {
			newest = v.Minor()
		}
	}
	return newest
}

// officialVerdict returns the official evaluator's failures as sorted "reason (detail)" strings.
func officialVerdict(e policy.Evaluator, lv api.LevelVersion, pod *corev1.Pod) []string {
	var out []string
	for _, r := range e.EvaluatePod(lv, &pod.ObjectMeta, &pod.Spec) {
		if r.Allowed {
			continue
		}
		s := r.ForbiddenReason
		if s == "" {
			s = policy.UnknownForbiddenReason
		}
		if r.ForbiddenDetail != "" {
			s += " (" + r.ForbiddenDetail + ")"
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// pssVerdict extracts "reason (detail)" from the pss-* findings' messages, sorted.
func pssVerdict(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		if !strings.HasPrefix(f.Rule, "pss-") {
			continue
		}
		_, s, _ := strings.Cut(f.Message, `": `)
		s, _, _ = strings.Cut(s, " [check "+strings.TrimPrefix(f.Rule, "pss-")+"]")
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// wrapPod returns the pod as the pod template of a CronJob, a Job and a Deployment.
func wrapPod(pod *corev1.Pod) []*input.Object {
	tmpl := corev1.PodTemplateSpec{ObjectMeta: *pod.ObjectMeta.DeepCopy(), Spec: *pod.Spec.DeepCopy()}
	meta := pod.ObjectMeta
	meta.Annotations, meta.Labels = nil, nil
	cj := &batchv1.CronJob{ObjectMeta: meta, Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *",
		JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tmpl}}}}
	job := &batchv1.Job{ObjectMeta: meta, Spec: batchv1.JobSpec{Template: tmpl}}
	dep := &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Template: tmpl}}
	src := func(apiVersion, kind string) finding.Resource {
		return finding.Resource{APIVersion: apiVersion, Kind: kind, Name: meta.Name, File: "fixture.yaml", Line: 1}
	}
	return []*input.Object{
		{Obj: cj, Source: src("batch/v1", "CronJob")},
		{Obj: job, Source: src("batch/v1", "Job")},
		{Obj: dep, Source: src("apps/v1", "Deployment")},
	}
}

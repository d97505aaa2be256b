package vap

import "strings"

// pssReason is why the Pod Security Standards rules (pss-*) are not exported.
const pssReason = "use Pod Security Admission's namespace labels (pod-security.kubernetes.io/enforce) for Pods; " +
	"PSA only warns about the pod templates of CronJobs, Jobs and other workloads and refuses their pods " +
	"later, every time they are created, which is why jobguard's webhook exists. The host-* checks of this " +
	"policy cover the most dangerous baseline controls in templates too"

// notExportable says, for each rule CEL cannot express, why. A rule that is neither here nor in
// the catalogue fails TestEveryRuleIsDecided: a new rule must be exported or explained.
var notExportable = map[string]string{
	"exec-credential-theft": "it follows what a script reads (tokens, kubeconfigs) to where it sends it: shell parsing " +
		"and data flow that CEL cannot do",
	"exec-host-persistence": "it needs to know where each host path is mounted and what the shell writes there: " +
		"shell parsing that CEL cannot do",
	"identity-powerful-service-account": "it needs the cluster's RBAC (what the service account may do), which an " +
		"admission policy cannot read",
	"identity-token-mounted": "it needs the ServiceAccount object's automountServiceAccountToken, which an admission " +
		"policy cannot read",
	"image-imitation": "it needs edit distance to well-known registries and accounts, and the tables of who " +
		"genuinely publishes each component",
	"disguise-system-name": "it needs edit distance (near-miss spellings such as kube-pr0xy) and the table of each " +
		"system component's genuine images",
	"disguise-system-namespace": "it tells the platform's own add-ons from intruders by name and image (edit " +
		"distance, image tables); without that it would refuse every workload in kube-system, the platform's own " +
		"included: restrict who may create workloads there with RBAC instead",
	"job-schedule-frequent": "it needs a cron parser to compute the shortest gap between two runs",
	"job-schedule-invalid":  "it needs the CronJob controller's cron parser and the time zone database",
	"job-concurrency-allow": "it needs the schedule's frequency, which takes a cron parser",
}

// notExportedReason returns why rule id is not exported, or "" when it may be.
func notExportedReason(id string) string {
	if strings.HasPrefix(id, "pss-") {
		return pssReason
	}
	return notExportable[id]
}

package rbac

import "github.com/jobguard/jobguard/internal/finding"

// RuleInfo documents one kind of finding of the RBAC review. It has the fields of rules.Rule
// except Check: the review is not a scan rule (it judges bindings, not workloads), but its
// findings are reported by the same writers, which take rule metadata in that form.
type RuleInfo struct {
	ID          string
	Category    finding.Category
	Severity    finding.Severity // the default; a finding may carry another (see each rule)
	Title       string
	Description string
	Remediation string
	Attack      []string
	// Mitigations lists ATT&CK mitigation IDs.
	Mitigations []string
}

// IDs of the review's findings.
const (
	RuleAnonymousWorkloads     = "rbac-anonymous-can-run-workloads"
	RuleAuthenticatedWorkloads = "rbac-authenticated-can-run-workloads"
	RuleWorkloadCreator        = "rbac-can-run-workloads"
	RuleEscalateBind           = "rbac-escalate-or-bind"
	RuleImpersonate            = "rbac-impersonate"
	RuleTokenRequest           = "rbac-create-token"
	RuleReadSecrets            = "rbac-read-secrets"
	RuleNodesProxy             = "rbac-nodes-proxy"
	RuleAdmissionControl       = "rbac-admission-control"
	RulePowerfulServiceAccount = "rbac-run-as-powerful-service-account"
	RuleWorkloadPlantsJobs     = "rbac-workload-can-run-workloads"
	RuleMisconfiguration       = "rbac-misconfiguration"
)

var (
	attackValid = []string{"T1078", "T1098"}
	mitigations = []string{"M1018", "M1026"}
)

var reviewRules = []RuleInfo{
	{
		ID: RuleAnonymousWorkloads, Severity: finding.SeverityCritical,
		Title: "Anonymous users can create or change workloads",
		Description: "A binding grants the group system:unauthenticated or the user system:anonymous the right to " +
			"create, update or patch something that runs pods (CronJobs, Jobs, Pods, Deployments, DaemonSets, " +
			"StatefulSets, ReplicaSets, ReplicationControllers, PodTemplates) or to exec, attach or add ephemeral " +
			"containers to pods. Anyone who can reach the API server can then plant a job.",
		Remediation: "Delete the binding, or remove system:unauthenticated and system:anonymous from its subjects; " +
			"bind the role to the named users or groups that need it. Consider --anonymous-auth=false on the API server.",
	},
	{
		ID: RuleAuthenticatedWorkloads, Severity: finding.SeverityCritical,
		Title: "Every authenticated user can create or change workloads",
		Description: "A binding grants the group system:authenticated (every user and every service account of " +
			"the cluster) the right to create, update or patch something that runs pods, or to exec, attach or add " +
			"ephemeral containers to pods. Any stolen token, including that of any pod, can plant a job.",
		Remediation: "Remove system:authenticated from the binding's subjects and bind the role to the groups or " +
			"service accounts that need it.",
	},
	{
		ID: RuleWorkloadCreator, Severity: finding.SeverityHigh,
		Title: "A subject that is not an administrator can create or change workloads",
		Description: "ATT&CK M1018 asks that only authorised administrators may create container orchestration " +
			"jobs. This binding lets a user, group or service account that is not in the administrator set " +
			"create, update or patch CronJobs, Jobs, Pods or another kind that runs pods (or exec into pods). " +
			"High when the grant is cluster-wide (ClusterRoleBinding), medium when it is limited to one namespace " +
			"(RoleBinding). Review each such subject: expected ones (a CI deployer, a GitOps controller) can be " +
			"declared administrators with --admin-user and --admin-group.",
		Remediation: "Limit the role to the namespaces, resources and verbs the subject needs (for example no " +
			"create on cronjobs for a deployer of Deployments), bind it with a RoleBinding instead of a " +
			"ClusterRoleBinding, or declare the subject an administrator if it is one.",
	},
	{
		ID: RuleEscalateBind, Severity: finding.SeverityHigh,
		Title: "A subject can escalate or bind roles",
		Description: "The escalate verb on roles or clusterroles lets a subject write roles with permissions it " +
			"does not hold; bind lets it bind roles it does not hold (for example cluster-admin, or admin in a " +
			"namespace). Either is a path to creating workloads anywhere the role reaches.",
		Remediation: "Remove escalate and bind from the role unless the subject manages RBAC for the cluster; " +
			"restrict bind with resourceNames to the roles it may hand out.",
	},
	{
		ID: RuleImpersonate, Severity: finding.SeverityHigh,
		Title: "A subject can impersonate users, groups or service accounts",
		Description: "The impersonate verb on users, groups or serviceaccounts lets a subject act as another " +
			"identity, such as a member of system:masters or a powerful service account, and do whatever it may.",
		Remediation: "Remove impersonate from the role, or restrict it with resourceNames to identities that are " +
			"no more powerful than the subject.",
	},
	{
		ID: RuleTokenRequest, Severity: finding.SeverityHigh,
		Title: "A subject can create service account tokens",
		Description: "create on serviceaccounts/token mints a token for any service account in reach, and with it " +
			"that account's permissions.",
		Remediation: "Remove create on serviceaccounts/token, or restrict it with resourceNames to service " +
			"accounts that are no more powerful than the subject.",
	},
	{
		ID: RuleReadSecrets, Severity: finding.SeverityHigh,
		Title: "A subject can read Secrets",
		Description: "get, list or watch on secrets reads every Secret in reach, including service-account " +
			"token Secrets and the credentials of other workloads, and with them their permissions.",
		Remediation: "Remove read access to secrets, or restrict get with resourceNames to the Secrets the " +
			"subject needs (list and watch cannot be restricted by name).",
	},
	{
		ID: RuleNodesProxy, Severity: finding.SeverityHigh,
		Title: "A subject can reach the kubelet API through nodes/proxy",
		Description: "get or create on nodes/proxy reaches the kubelet API of every node through the API server: " +
			"it can run commands in any pod of a node, and the kubelet's requests are not seen by admission control.",
		Remediation: "Remove nodes/proxy from the role; monitoring agents need nodes/metrics or nodes/stats only.",
	},
	{
		ID: RuleAdmissionControl, Severity: finding.SeverityHigh,
		Title: "A subject can change admission control",
		Description: "Creating, changing or deleting validating or mutating webhook configurations or admission " +
			"policies lets a subject switch off the checks that keep malicious workloads out (jobguard's own " +
			"webhook among them), or inject containers into every new pod.",
		Remediation: "Only cluster administrators should manage admission webhooks and policies; remove these " +
			"verbs from the role.",
	},
	{
		ID: RulePowerfulServiceAccount, Severity: finding.SeverityHigh,
		Title: "A subject can run pods as a more powerful service account",
		Description: "A subject that can create or change workloads (or exec into pods) in a namespace can run code " +
			"as any service account of that namespace, and so gains what those accounts may do. This finding " +
			"names the accounts that may do more than the subject itself (judged on the subject's own bindings " +
			"and, for service accounts, their groups).",
		Remediation: "Move the powerful service accounts to a namespace where the subject cannot run workloads, " +
			"or reduce their permissions.",
	},
	{
		ID: RuleWorkloadPlantsJobs, Severity: finding.SeverityHigh,
		Title: "A workload's service account can create or change workloads",
		Description: "The service account this workload runs as may create, update or patch CronJobs, Jobs, Pods " +
			"or other workloads. If the workload is compromised (or is itself malicious) it can plant jobs that " +
			"outlive it: a job that plants jobs.",
		Remediation: "Run the workload as a service account of its own without workload permissions, and set " +
			"automountServiceAccountToken: false if it does not call the API.",
	},
	{
		ID: RuleMisconfiguration, Severity: finding.SeverityLow,
		Title: "RBAC object that does not grant what it seems to",
		Description: "A binding to a role that does not exist, a rule without verbs, a singular or mistyped " +
			"resource name, a resource in the wrong API group, or another mistake that makes an RBAC object grant " +
			"less (or other) than its author meant. A binding to a missing role grants whatever a role created " +
			"later under that name will hold.",
		Remediation: "Fix or delete the object as the message says.",
	},
}

func init() {
	for i := range reviewRules {
		r := &reviewRules[i]
		r.Category = finding.CategoryIdentity
		r.Attack = attackValid
		r.Mitigations = mitigations
	}
}

// ReviewRules returns the metadata of every kind of finding the review reports, for the report
// writers (SARIF rule descriptions). The slices are shared: do not modify them.
func ReviewRules() []RuleInfo {
	return append([]RuleInfo(nil), reviewRules...)
}

// reviewRule returns the metadata of id; it panics on an unknown id (a programming error).
func reviewRule(id string) *RuleInfo {
	for i := range reviewRules {
		if reviewRules[i].ID == id {
			return &reviewRules[i]
		}
	}
	panic("rbac: unknown review rule " + id)
}

// Package webhook is jobguard's validating admission webhook: the server side of `jobguard webhook`.
// It judges workloads with the same rule engine as `jobguard scan`, when they are created or changed,
// and enforces, warns about, or audits what the rules find, like Pod Security Admission does for the
// Pod Security Standards.
//
// # What is judged
//
// CREATE and UPDATE of pods, podtemplates, replicationcontrollers, cronjobs (batch/v1; batch/v1beta1 is
// decoded into the same types), jobs, deployments, daemonsets, statefulsets and replicasets, and UPDATE
// of the pods/ephemeralcontainers subresource (the object is the Pod with its new ephemeral
// containers). Every other request is allowed unjudged; other subresources (status, scale) too. See
// Judged.
//
// # How a request is judged
//
//  1. A request in an exempt namespace, or by an exempt username, is allowed without evaluation; the
//     audit annotation "exempt" says why.
//  2. The object (request.object, decoded as request.kind) takes the request's namespace.
//  3. An UPDATE that does not change what jobguard judges (only metadata, status or scale) is allowed
//     without judging again; see judgedChange for what is compared per kind. Any other UPDATE judges
//     the new object whole.
//  4. The namespace's jobguard.io/enforce, jobguard.io/warn and jobguard.io/audit labels override the
//     policy's cluster defaults (critical, medium, low). A label with a value that is not a severity is
//     ignored, and logged (at most every ten minutes per namespace and label).
//  5. The job-creators policy (ATT&CK M1018): a CronJob or Job created or changed in a namespace with
//     an allow-list, by a user who is not in it by name or group, is denied, whatever the findings;
//     when the namespace's enforce level is none, it is a warning instead. The CronJob and Job
//     controllers are always allowed (ImplicitJobCreators).
//  6. A pod template whose runtimeClassName is exempt has its findings ignored (the job-creators policy
//     still applies). Otherwise the engine evaluates the object. Findings suppressed by the engine's
//     config count as suppressed; findings suppressed by the object's own jobguard.io/ignore annotation
//     count unless Policy.HonorIgnoreAnnotations. Findings on containers of exempt images, and all the
//     findings of pods running as an exempt service account, are ignored (the audit annotation
//     "exempt" counts them).
//  7. Modes: findings at or above the enforce level deny the request (HTTP 200 with allowed=false,
//     status 403 Forbidden, a message naming each rule, severity and message, at most 2 KiB); those
//     at or above the warn level and not denied become warnings ("jobguard: rule (severity):
//     message", at most 16, of at most 240 bytes each); those at or above the audit level are
//     summarised in the audit annotations "findings" (JSON: rule, highest severity, count) and
//     "max-severity".
//
// Dry-run requests are answered the same; their metrics carry dry_run="true".
//
// # Robustness
//
// Only POST with Content-Type application/json is accepted (405, 415). A body over
// HandlerOptions.MaxBodyBytes is answered 413. A body that is not an admission.k8s.io/v1
// AdmissionReview is denied with status 400 when its request UID can be read, and answered HTTP 400
// otherwise. A request not judged within HandlerOptions.Timeout is answered 503, so that the webhook
// configuration's failurePolicy decides. A panic is recovered, logged with its stack, and answered
// with a denial (status 500). Logs carry rule IDs, kind, namespace/name, user, decision and latency,
// never object contents.
//
// # Wiring
//
// The caller builds the rules.Engine with Options.NamespaceLabels set to the NamespaceLister's Labels,
// so the PSS rules use each namespace's pod-security.kubernetes.io/enforce[-version] labels; see Handler.
// Server serves the Handler over TLS 1.2+ with /healthz, /readyz (ready once the namespaces are synced)
// and /metrics, reloading its certificate when the files change. SelfSigned writes a CA and a serving
// certificate for tests and --self-signed.
//
// The webhook configuration should name the webhook with at least three dot-separated segments (e.g.
// validate.jobguard.io: audit annotation keys are prefixed with it), use admissionReviewVersions [v1],
// sideEffects None, timeoutSeconds 10, and exclude the webhook's own namespace.
package webhook

package webhook

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the webhook's Prometheus metrics. Every label takes values from a small fixed set (kinds
// and operations outside it count as "other"), so a client posting made-up reviews cannot grow them.
type Metrics struct {
	requests   *prometheus.CounterVec
	decisions  *prometheus.CounterVec
	exemptions *prometheus.CounterVec
	latency    *prometheus.HistogramVec
}

// NewMetrics creates the metrics and registers them with reg (nil: not registered, e.g. in tests that
// only count).
//
//	jobguard_webhook_requests_total{kind,operation,code,dry_run}     requests by the HTTP or admission status code of the answer
//	jobguard_webhook_decisions_total{rule,mode,dry_run}              findings (and job-creators violations) that triggered a mode
//	jobguard_webhook_exemptions_total{reason,dry_run}                requests or findings let through by an exemption
//	jobguard_webhook_request_duration_seconds{kind,operation}        time from request to answer
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobguard_webhook_requests_total",
			Help: "Admission requests answered, by object kind, operation and status code (200 allowed, 403 denied, 4xx bad request).",
		}, []string{"kind", "operation", "code", "dry_run"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobguard_webhook_decisions_total",
			Help: "Findings that triggered a mode (enforce, warn, audit), by rule ID (job-creators for the job-creators policy).",
		}, []string{"rule", "mode", "dry_run"}),
		exemptions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobguard_webhook_exemptions_total",
			Help: "Requests allowed unjudged, or findings ignored, because of an exemption, by reason.",
		}, []string{"reason", "dry_run"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jobguard_webhook_request_duration_seconds",
			Help:    "Time to answer an admission request.",
			Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, []string{"kind", "operation"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.decisions, m.exemptions, m.latency} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// The kinds and operations that get a label value of their own.
var metricKinds = map[string]bool{
	"Pod": true, "PodTemplate": true, "ReplicationController": true, "CronJob": true, "Job": true,
	"Deployment": true, "DaemonSet": true, "StatefulSet": true, "ReplicaSet": true,
}

var metricOps = map[string]bool{"CREATE": true, "UPDATE": true, "DELETE": true, "CONNECT": true}

func kindLabel(kind string) string {
	if metricKinds[kind] {
		return kind
	}
	if kind == "" {
		return "none"
	}
	return "other"
}

func opLabel(op string) string {
	if metricOps[op] {
		return op
	}
	if op == "" {
		return "none"
	}
	return "other"
}

func (m *Metrics) observeRequest(kind, op string, code int, dryRun bool, d time.Duration) {
	if m == nil {
		return
	}
	k, o := kindLabel(kind), opLabel(op)
	m.requests.WithLabelValues(k, o, strconv.Itoa(code), strconv.FormatBool(dryRun)).Inc()
	m.latency.WithLabelValues(k, o).Observe(d.Seconds())
}

func (m *Metrics) observeDecision(rule string, mode Mode, dryRun bool) {
	if m == nil {
		return
	}
	m.decisions.WithLabelValues(rule, string(mode), strconv.FormatBool(dryRun)).Inc()
}

func (m *Metrics) observeExemption(reason string, dryRun bool) {
	if m == nil {
		return
	}
	m.exemptions.WithLabelValues(reason, strconv.FormatBool(dryRun)).Inc()
}

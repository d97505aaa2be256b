package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/jobguard/jobguard/internal/rules"
)

// Defaults of HandlerOptions.
const (
	// DefaultMaxBodyBytes holds an UPDATE review of the largest objects: the API server accepts request
	// bodies up to 3 MiB, and an UPDATE review carries the object and the old object, plus the review's
	// own fields.
	DefaultMaxBodyBytes = 7 << 20
	// DefaultTimeout is below the 10 s timeoutSeconds the webhook configuration should use (the API
	// server's maximum is 30 s), so jobguard answers before the API server gives up on it.
	DefaultTimeout = 8 * time.Second
)

// NamespaceLister returns the labels of a namespace, and whether the namespace is known. The webhook
// reads its jobguard.io/{enforce,warn,audit} labels; the engine reads the Pod Security Admission labels
// through rules.Options.NamespaceLabels. The returned map must not be modified.
type NamespaceLister interface {
	Labels(namespace string) (map[string]string, bool)
}

// StaticNamespaces is a NamespaceLister over a fixed map, for tests and for running without a cluster.
type StaticNamespaces map[string]map[string]string

// Labels returns the labels of namespace.
func (s StaticNamespaces) Labels(namespace string) (map[string]string, bool) {
	l, ok := s[namespace]
	return l, ok
}

// HandlerOptions tune a Handler. Zero values take the defaults.
type HandlerOptions struct {
	// MaxBodyBytes caps the request body; a larger one is answered 413. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Timeout is the per-request deadline. A request not judged by then is answered 503, so that the
	// webhook configuration's failurePolicy decides. Default DefaultTimeout.
	Timeout time.Duration
	// Logger receives one record per request (rule IDs, kind, namespace/name, user, decision, latency;
	// never object contents). Default: discarded.
	Logger *slog.Logger
	// Metrics, when set, counts requests, decisions and latency.
	Metrics *Metrics
}

// Handler is the http.Handler of the validating admission webhook (served at /validate). It is safe for
// concurrent use.
//
// The caller builds the engine, and must set rules.Options.NamespaceLabels to the same lister's Labels
// method, so that the PSS rules judge an object at its namespace's pod-security.kubernetes.io/enforce
// and enforce-version labels:
//
//	ns := webhook.NewNamespaceInformer(client, 0)
//	engine, err := rules.New(rules.Options{Config: cfg, NamespaceLabels: ns.Labels})
//	h := webhook.NewHandler(engine, policy, ns, webhook.HandlerOptions{Logger: log, Metrics: m})
//
// What it judges, and how, is described in the package documentation.
type Handler struct {
	engine     *rules.Engine
	policy     Policy
	namespaces NamespaceLister
	opts       HandlerOptions
	log        *slog.Logger
	metrics    *Metrics
	labelWarn  logLimiter
	httpWarn   logLimiter
}

// NewHandler returns the webhook handler. namespaces may be nil (every namespace then has the cluster
// defaults).
func NewHandler(engine *rules.Engine, policy Policy, namespaces NamespaceLister, opts HandlerOptions) *Handler {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{
		engine:     engine,
		policy:     policy,
		namespaces: namespaces,
		opts:       opts,
		log:        log,
		metrics:    opts.Metrics,
		labelWarn:  logLimiter{every: 10 * time.Minute},
		httpWarn:   logLimiter{every: 10 * time.Second},
	}
}

// Ready reports whether the handler can judge requests: true once the namespace lister (when it can
// tell, like NamespaceInformer) has synced.
func (h *Handler) Ready() bool {
	if s, ok := h.namespaces.(interface{ HasSynced() bool }); ok {
		return s.HasSynced()
	}
	return true
}

// reqState is what the request's deferred metrics and logs need, filled in as it becomes known.
type reqState struct {
	uid      types.UID
	kind, op string
	dryRun   bool
	code     int
	answered bool
	remote   string
}

const admissionAPIVersion = "admission.k8s.io/v1"

// ServeHTTP answers one AdmissionReview.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	st := &reqState{remote: r.RemoteAddr}
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("jobguard webhook: panic while answering a request; denying it",
				"panic", fmt.Sprint(v), "uid", string(st.uid), "kind", st.kind, "stack", string(debug.Stack()))
			if !st.answered {
				h.answerInternalError(w, st)
			}
		}
		h.metrics.observeRequest(st.kind, st.op, st.code, st.dryRun, time.Since(start))
	}()

	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.httpError(w, st, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: POST an admission.k8s.io/v1 AdmissionReview")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		h.httpError(w, st, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q not supported: want application/json", r.Header.Get("Content-Type")))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.httpError(w, st, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes: the AdmissionReview is too large to judge", tooBig.Limit))
			return
		}
		h.httpError(w, st, http.StatusBadRequest, "reading request body: "+err.Error())
		return
	}
	req, uid, err := parseReview(body)
	if err != nil {
		if uid == "" {
			h.httpError(w, st, http.StatusBadRequest, err.Error())
			return
		}
		st.uid = uid
		if h.httpWarn.allow("bad-review", time.Now()) {
			h.log.Warn("jobguard webhook: bad AdmissionReview; denying it", "uid", string(uid), "error", err.Error(), "remote", st.remote)
		}
		h.answer(w, st, deny(uid, http.StatusBadRequest, metav1.StatusReasonBadRequest, "jobguard: "+err.Error()))
		return
	}
	st.uid, st.kind, st.op = uid, req.Kind.Kind, string(req.Operation)
	st.dryRun = req.DryRun != nil && *req.DryRun

	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
	defer cancel()
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				h.log.Error("jobguard webhook: panic while judging a request; denying it",
					"panic", fmt.Sprint(v), "uid", string(uid), "kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name,
					"stack", string(debug.Stack()))
				done <- outcome{resp: internalError(uid), decision: "error"}
			}
		}()
		done <- h.review(req, st.dryRun)
	}()
	select {
	case out := <-done:
		h.logOutcome(req, st, out, start)
		h.answer(w, st, out.resp)
	case <-ctx.Done():
		h.log.Error("jobguard webhook: request not judged before the deadline; answering 503 (failurePolicy decides)",
			"uid", string(uid), "kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name, "timeout", h.opts.Timeout.String())
		st.code = http.StatusServiceUnavailable
		st.answered = true
		http.Error(w, "jobguard webhook: request not judged within "+h.opts.Timeout.String(), http.StatusServiceUnavailable)
	}
}

// parseReview decodes an admission.k8s.io/v1 AdmissionReview. On error it returns the request UID when
// one can be recovered, so the caller can answer with a well-formed denial.
func parseReview(body []byte) (*admissionv1.AdmissionRequest, types.UID, error) {
	var rev admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &rev); err != nil {
		return nil, recoverUID(body), fmt.Errorf("cannot decode AdmissionReview: %v", err)
	}
	if rev.Request == nil {
		return nil, "", errors.New("AdmissionReview has no request")
	}
	uid := rev.Request.UID
	if uid == "" {
		return nil, "", errors.New("AdmissionReview request has no uid")
	}
	if rev.APIVersion != admissionAPIVersion || rev.Kind != "AdmissionReview" {
		return nil, uid, fmt.Errorf("want apiVersion %s kind AdmissionReview, got apiVersion %q kind %q (set admissionReviewVersions: [v1])",
			admissionAPIVersion, rev.APIVersion, rev.Kind)
	}
	return rev.Request, uid, nil
}

// recoverUID finds request.uid in a body that did not decode as a whole (e.g. a field of the wrong type).
func recoverUID(body []byte) types.UID {
	var partial struct {
		Request *struct {
			UID types.UID `json:"uid"`
		} `json:"request"`
	}
	if err := json.Unmarshal(body, &partial); err != nil || partial.Request == nil {
		return ""
	}
	return partial.Request.UID
}

func deny(uid types.UID, code int32, reason metav1.StatusReason, msg string) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{
		UID:     uid,
		Allowed: false,
		Result:  &metav1.Status{Status: metav1.StatusFailure, Code: code, Reason: reason, Message: msg},
	}
}

func internalError(uid types.UID) *admissionv1.AdmissionResponse {
	return deny(uid, http.StatusInternalServerError, metav1.StatusReasonInternalError,
		"jobguard: internal error while judging the request (see the webhook's log)")
}

func (h *Handler) answerInternalError(w http.ResponseWriter, st *reqState) {
	if st.uid == "" {
		h.httpError(w, st, http.StatusInternalServerError, "internal error")
		return
	}
	h.answer(w, st, internalError(st.uid))
}

// answer writes resp as an AdmissionReview with HTTP 200, as the API server expects even for denials.
func (h *Handler) answer(w http.ResponseWriter, st *reqState, resp *admissionv1.AdmissionResponse) {
	st.answered = true
	st.code = http.StatusOK
	if resp.Result != nil && resp.Result.Code != 0 {
		st.code = int(resp.Result.Code)
	} else if !resp.Allowed {
		st.code = http.StatusForbidden
	}
	out := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: admissionAPIVersion, Kind: "AdmissionReview"},
		Response: resp,
	}
	b, err := json.Marshal(&out)
	if err != nil {
		// Only strings, bools and maps of strings: cannot happen; never answer half a review.
		h.log.Error("jobguard webhook: encoding the AdmissionReview", "error", err.Error(), "uid", string(st.uid))
		http.Error(w, "jobguard webhook: cannot encode response", http.StatusInternalServerError)
		st.code = http.StatusInternalServerError
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func (h *Handler) httpError(w http.ResponseWriter, st *reqState, code int, msg string) {
	st.answered = true
	st.code = code
	// Anyone who can reach the port can send these: log each kind at most every few seconds.
	if h.httpWarn.allow(strconv.Itoa(code), time.Now()) {
		h.log.Warn("jobguard webhook: rejected HTTP request", "code", code, "error", msg, "remote", st.remote)
	}
	http.Error(w, "jobguard webhook: "+msg, code)
}

func (h *Handler) logOutcome(req *admissionv1.AdmissionRequest, st *reqState, out outcome, start time.Time) {
	level := slog.LevelInfo
	if out.decision == decisionAllowed && len(out.rules) == 0 || out.decision == decisionSkipped || out.decision == decisionUnchanged {
		level = slog.LevelDebug
	}
	if !h.log.Enabled(context.Background(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("uid", string(req.UID)),
		slog.String("kind", req.Kind.Kind),
		slog.String("operation", string(req.Operation)),
		slog.String("namespace", req.Namespace),
		slog.String("name", out.name),
		slog.String("user", req.UserInfo.Username),
		slog.String("decision", out.decision),
		slog.Bool("dry_run", st.dryRun),
		slog.Duration("latency", time.Since(start)),
	}
	if req.SubResource != "" {
		attrs = append(attrs, slog.String("subresource", req.SubResource))
	}
	if len(out.rules) > 0 {
		attrs = append(attrs, slog.String("rules", strings.Join(out.rules, ",")))
	}
	if out.reason != "" {
		attrs = append(attrs, slog.String("reason", out.reason))
	}
	h.log.LogAttrs(context.Background(), level, "jobguard webhook: admission", attrs...)
}

// logLimiter lets one message per key through per interval.
type logLimiter struct {
	mu    sync.Mutex
	every time.Duration
	last  map[string]time.Time
}

func (l *logLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.last[key]; ok && now.Sub(t) < l.every {
		return false
	}
	if l.last == nil || len(l.last) >= 1024 {
		l.last = map[string]time.Time{}
	}
	l.last[key] = now
	return true
}

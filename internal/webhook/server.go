package webhook

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server timeouts. The handler answers within HandlerOptions.Timeout (8 s by default); reading a
// review of a few MiB and writing the answer fit well inside the rest.
const (
	DefaultAddr              = ":8443"
	DefaultCertCheckInterval = 5 * time.Second
	readHeaderTimeout        = 5 * time.Second
	readTimeout              = 20 * time.Second
	writeTimeout             = 20 * time.Second
	idleTimeout              = 120 * time.Second
	maxHeaderBytes           = 64 << 10
)

// ServerOptions configure a Server.
type ServerOptions struct {
	// Addr is the address to listen on (default DefaultAddr).
	Addr string
	// CertFile and KeyFile are the PEM serving certificate (with its chain) and key. They are read
	// again when they change (checked at most every CertCheckInterval), so a rotated Secret is served
	// without a restart.
	CertFile, KeyFile string
	// CertCheckInterval is how often, at most, the files are checked for changes (default 5 s).
	CertCheckInterval time.Duration
	// Gatherer is served at /metrics (default prometheus.DefaultGatherer). Register NewMetrics's
	// metrics with the matching Registerer.
	Gatherer prometheus.Gatherer
	// Ready, when set, must also be true for /readyz to answer 200 (the handler's own condition, the
	// namespace informer having synced, always applies).
	Ready func() bool
	// Logger receives server errors (TLS handshakes, certificate reloads). Default: discarded.
	Logger *slog.Logger
}

// Server is the webhook's HTTPS server: /validate (the Handler), /healthz, /readyz and /metrics, TLS 1.2
// or later only.
type Server struct {
	srv   *http.Server
	certs *CertReloader
	mux   *http.ServeMux
	tls   *tls.Config
	log   *slog.Logger
}

// NewServer returns a server for h. The certificate files must be readable now.
func NewServer(h *Handler, opts ServerOptions) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.CertCheckInterval <= 0 {
		opts.CertCheckInterval = DefaultCertCheckInterval
	}
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.DefaultGatherer
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	certs, err := NewCertReloader(opts.CertFile, opts.KeyFile, opts.CertCheckInterval, log)
	if err != nil {
		return nil, err
	}
	s := &Server{certs: certs, mux: http.NewServeMux(), log: log}
	s.tls = &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: certs.GetCertificate,
	}
	ready := func() bool { return h.Ready() && (opts.Ready == nil || opts.Ready()) }
	s.mux.Handle("/validate", h)
	s.mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: namespaces not synced\n"))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	s.mux.Handle("/metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{ErrorLog: slogPrinter{log}}))
	s.srv = &http.Server{
		Addr:              opts.Addr,
		Handler:           s.mux,
		TLSConfig:         s.tls,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Handler returns the server's routes without TLS (e.g. for httptest with TLSConfig).
func (s *Server) Handler() http.Handler { return s.mux }

// TLSConfig returns the server's TLS configuration: TLS 1.2 or later, the certificate from the files.
func (s *Server) TLSConfig() *tls.Config { return s.tls }

// ListenAndServe listens on the configured address and serves HTTPS until Shutdown, when it returns nil.
func (s *Server) ListenAndServe() error {
	ln, err := net.Listen("tcp", s.srv.Addr)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return s.Serve(ln)
}

// Serve serves HTTPS on ln until Shutdown, when it returns nil.
func (s *Server) Serve(ln net.Listener) error {
	err := s.srv.ServeTLS(ln, "", "")
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits for requests in flight to be answered, or ctx.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	p.log.Error("jobguard webhook: metrics", "error", fmt.Sprint(v...))
}

// CertReloader serves a certificate from PEM files, reading them again when their modification time or
// size changes, checked at most once per interval. A pair that fails to load (e.g. the certificate
// written and the key not yet) keeps the previous certificate in service and is tried again.
type CertReloader struct {
	certFile, keyFile string
	interval          time.Duration
	log               *slog.Logger

	mu       sync.Mutex
	cert     *tls.Certificate
	stamps   [2]fileStamp
	checked  time.Time
	failures int
}

type fileStamp struct {
	mod  time.Time
	size int64
}

// NewCertReloader loads the pair once; an error names the file.
func NewCertReloader(certFile, keyFile string, interval time.Duration, log *slog.Logger) (*CertReloader, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("webhook: a TLS certificate file and key file are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &CertReloader{certFile: certFile, keyFile: keyFile, interval: interval, log: log}
	stamps, err := c.stat()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("webhook: loading TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	c.cert, c.stamps, c.checked = &cert, stamps, time.Now()
	return c, nil
}

func (c *CertReloader) stat() ([2]fileStamp, error) {
	var st [2]fileStamp
	for i, f := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return st, fmt.Errorf("webhook: %w", err)
		}
		st[i] = fileStamp{mod: fi.ModTime(), size: fi.Size()}
	}
	return st, nil
}

// GetCertificate is tls.Config.GetCertificate.
func (c *CertReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); now.Sub(c.checked) >= c.interval {
		c.checked = now
		c.reload()
	}
	return c.cert, nil
}

func (c *CertReloader) reload() {
	stamps, err := c.stat()
	if err != nil {
		c.logFailure("checking TLS certificate files", err)
		return
	}
	if stamps == c.stamps {
		return
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		c.logFailure("reloading TLS certificate; still serving the previous one", err)
		return
	}
	c.cert, c.stamps, c.failures = &cert, stamps, 0
	c.log.Info("jobguard webhook: reloaded TLS certificate", "cert", c.certFile)
}

// logFailure logs the first failure of a run and then every 12th, so a broken file does not flood.
func (c *CertReloader) logFailure(msg string, err error) {
	if c.failures%12 == 0 {
		c.log.Error("jobguard webhook: "+msg, "cert", c.certFile, "key", c.keyFile, "error", err.Error())
	}
	c.failures++
}

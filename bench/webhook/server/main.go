// Command server is a stand-in for `jobguard webhook` for the webhook benchmark: it builds the same
// server from internal/webhook's API (the rule engine, the default policy, a namespace informer on the
// given cluster, self-signed certificates) for as long as the real command is not available.
// bench/webhook prefers `jobguard webhook` when the binary has it.
//
//	server -self-signed DIR -addr 127.0.0.1:8443 -kubeconfig FILE
//
// Without -kubeconfig, every namespace has the cluster defaults (webhook.StaticNamespaces).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/jobguard/jobguard/internal/rules"
	"github.com/jobguard/jobguard/internal/webhook"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8443", "address to listen on")
	selfSigned := flag.String("self-signed", "", "directory to write a self-signed CA and serving certificate to, and serve")
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster whose namespace labels to watch (empty: none)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *selfSigned == "" {
		fmt.Fprintln(os.Stderr, "server: -self-signed DIR is required")
		os.Exit(2)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "server:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "server:", err)
			os.Exit(1)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	if err := run(*addr, *selfSigned, *kubeconfig); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(addr, dir, kubeconfig string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if _, err := webhook.SelfSigned(dir); err != nil {
		return err
	}
	var namespaces webhook.NamespaceLister = webhook.StaticNamespaces{}
	if kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return fmt.Errorf("kubeconfig %s: %w", kubeconfig, err)
		}
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return err
		}
		inf := webhook.NewNamespaceInformer(client, log)
		inf.Start(ctx)
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		synced := inf.WaitForSync(wctx)
		cancel()
		if !synced {
			return errors.New("namespaces did not sync within 30 s")
		}
		namespaces = inf
	}
	engine, err := rules.New(rules.Options{NamespaceLabels: namespaces.Labels})
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	metrics, err := webhook.NewMetrics(reg)
	if err != nil {
		return err
	}
	h := webhook.NewHandler(engine, webhook.DefaultPolicy(), namespaces, webhook.HandlerOptions{Logger: log, Metrics: metrics})
	srv, err := webhook.NewServer(h, webhook.ServerOptions{
		Addr:     addr,
		CertFile: filepath.Join(dir, webhook.CertFileName),
		KeyFile:  filepath.Join(dir, webhook.KeyFileName),
		Gatherer: reg,
		Logger:   log,
	})
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

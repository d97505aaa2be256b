package main

import (
	"fmt"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
)

// restConfigAndContext resolves the kubeconfig the kubectl way and names the cluster for findings
// and messages: the --context given, else the kubeconfig's current context, else the server URL.
func restConfigAndContext(kube *genericclioptions.ConfigFlags) (*rest.Config, string, error) {
	cfg, err := kube.ToRESTConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	raw, err := kube.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	name := raw.CurrentContext
	if kube.Context != nil && *kube.Context != "" {
		name = *kube.Context
	}
	if name == "" {
		name = cfg.Host
	}
	return cfg, name, nil
}

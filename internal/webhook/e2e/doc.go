// Package e2e tests the admission webhook end to end: a real kube-apiserver (internal/testcluster)
// calls the webhook, served in the test process over TLS, through the ValidatingWebhookConfiguration
// shipped in deploy/webhook.yaml. Only its tests have code; run them with
//
//	go test ./internal/webhook/e2e/
package e2e

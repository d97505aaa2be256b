package rules

import "testing"

func TestExecMiner(t *testing.T) {
	runExecCases(t, "exec-miner", []execCase{
		{name: "xmrig with pool", podSpec: "containers:\n- name: app\n  image: alpine\n  command: [\"/usr/local/bin/xmrig\"]\n  args: [\"-o\", \"stratum+tcp://pool.example.net:3333\", \"--donate-level\", \"1\"]", want: 1, contains: "xmrig"},
		{name: "renamed binary with stratum URL", podSpec: shC("/tmp/kworker -o stratum+tcp://198.51.100.4:4444 -u wallet"), want: 1, contains: "stratum"},
		{name: "pool URL in env", podSpec: "containers:\n- name: app\n  image: alpine\n  env:\n  - {name: POOL, value: \"stratum+tcp://pool.example.net:14444\"}", want: 1, contains: `env "POOL"`},
		{name: "ordinary worker", podSpec: shC("python3 /app/worker.py --threads 4"), want: 0},
		{name: "redis on its port", podSpec: "containers:\n- name: app\n  image: redis\n  args: [\"--port\", \"6379\"]", want: 0},
	})
}

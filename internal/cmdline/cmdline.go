// Package cmdline reads what a container actually runs — its exec-form command line, the shell
// scripts handed to sh -c or mounted from ConfigMaps, interpreter one-liners and environment
// values — and reports attack indicators: download-and-execute, decode-and-execute, reverse
// shells, cryptominers, host escapes, host persistence and credential theft.
//
// Shell is parsed with mvdan.cc/sh/v3/syntax and then evaluated abstractly: variables, quoting,
// $IFS, brace expansion, command and process substitution, heredocs, eval and nested sh -c are
// followed, and every value carries where its content came from (a download, a raw network
// connection, a decoder, a credential file). An indicator is reported when such content reaches a
// place that executes or sends it. Scripts that do not parse are analysed line by line and, where
// a line still does not parse, by plain word splitting, because attackers write broken shell on
// purpose. Nothing is ever executed.
//
// The package only finds indicators; turning them into findings with severities is the job of
// the rules.
package cmdline

import (
	"strings"
	"unicode/utf8"

	"mvdan.cc/sh/v3/syntax"
)

// Class names the kind of attack an indicator points at. The values are part of the JSON contract.
type Class string

const (
	// DownloadExecute: content fetched from the network is run, piped into a shell or interpreter or
	// written to a file that is then executed (curl, wget, busybox wget, python urllib/requests,
	// reads from /dev/tcp).
	DownloadExecute Class = "download-execute"
	// DecodeExecute: decoded content is run (base64 -d | sh, python -c exec(base64...)).
	DecodeExecute Class = "decode-execute"
	// ReverseShell: a shell is wired to a network connection (bash -i >& /dev/tcp/h/p, nc -e,
	// socat exec:, python/perl socket one-liners, mkfifo+nc).
	ReverseShell Class = "reverse-shell"
	// Miner: a cryptocurrency miner (miner names, stratum URLs, --donate-level, pool ports, wallets).
	Miner Class = "miner"
	// HostEscape: the container reaches into the host (nsenter -t 1, chroot into a host mount, the
	// host container runtime socket, host block devices, core_pattern/release_agent writes).
	HostEscape Class = "host-escape"
	// HostPersistence: something is written where the host will run it later (cron, systemd units,
	// rc.local, authorized_keys, static pod manifests).
	HostPersistence Class = "host-persistence"
	// CredentialTheft: a service-account token, kubeconfig or cloud credential is read and sent to a
	// destination outside the cluster.
	CredentialTheft Class = "credential-theft"
)

// Indicator is one piece of evidence that a command line does something an attacker would.
type Indicator struct {
	Class Class `json:"class"`
	// Detail is a human sentence, e.g. "output of curl http://x/y.sh piped into sh".
	Detail string `json:"detail"`
	// Evidence is the offending command text, on one line and at most 200 bytes.
	Evidence string `json:"evidence"`
	// URL is the remote location involved when one is known: where a payload was downloaded from,
	// where credentials are sent, the mining pool. Rules may use it for allow-lists.
	URL string `json:"url,omitempty"`
}

// Options refine an analysis with what the caller knows about the container.
type Options struct {
	// Env is the container's environment (literal values only). The analysed shell sees these
	// variables, and Kubernetes $(VAR) references in argv are expanded the way the kubelet does.
	Env map[string]string
	// HostMounts maps a container mount path to the host path mounted there (hostPath volumes),
	// e.g. {"/cron": "/var/spool/cron"}. The usual host mount points (/host, /rootfs, /node, ...)
	// are always treated as the host's root.
	HostMounts map[string]string
}

// Limits that keep pathological input cheap.
const (
	maxScript     = 1 << 20 // bytes of one script that are analysed
	maxParsed     = 4 << 20 // bytes parsed in one analysis, nested scripts included
	maxDepth      = 8       // nesting of sh -c, eval, decoded payloads, ...
	maxSteps      = 20000   // commands evaluated in one analysis
	maxValue      = 256 << 10
	maxIndicators = 64
	maxEvidence   = 200
	maxNest       = 500 // syntactic nesting handed to the parser
)

// Analyze inspects a container's exec-form command line (command then args, already
// concatenated) and returns indicators, deduplicated, in a stable order (the order the offending
// commands appear in). It never panics and never fails: an unparsable script is analysed as far
// as possible.
func Analyze(argv []string) []Indicator { return AnalyzeWith(argv, nil) }

// AnalyzeWith is Analyze with what the caller knows about the container.
func AnalyzeWith(argv []string, opts *Options) (out []Indicator) {
	if len(argv) == 0 {
		return nil
	}
	r := newRun(opts)
	defer r.rescue(&out)
	st := r.root()
	words := make([]val, len(argv))
	for i, a := range argv {
		if opts != nil && opts.Env != nil {
			a = kubeExpand(a, opts.Env)
		}
		words[i] = lit(a)
	}
	st.run(words, nil, stdio{}, "")
	st.finish()
	return r.result()
}

// AnalyzeScript inspects shell script text, e.g. a ConfigMap key run by the container or the -c
// argument. A script whose #! line names python, perl, ruby, node or php is analysed as code of
// that language.
func AnalyzeScript(script string) []Indicator { return AnalyzeScriptWith(script, nil) }

// AnalyzeScriptWith is AnalyzeScript with what the caller knows about the container.
func AnalyzeScriptWith(script string, opts *Options) (out []Indicator) {
	if strings.TrimSpace(script) == "" {
		return nil
	}
	r := newRun(opts)
	defer r.rescue(&out)
	st := r.root()
	st.file(lit(script), nil, "script")
	st.finish()
	return r.result()
}

// AnalyzeFile inspects the content of a script file, such as a ConfigMap key found through
// ScriptFiles: its language is taken from the #! line, else from the file name's extension
// (.py, .pl, .rb, .js, .php, .lua), else it is shell.
func AnalyzeFile(name, content string, opts *Options) (out []Indicator) {
	if strings.TrimSpace(content) == "" {
		return nil
	}
	r := newRun(opts)
	defer r.rescue(&out)
	st := r.root()
	lang := "script"
	if !strings.HasPrefix(content, "#!") {
		lang = langByExt(name)
	}
	st.file(lit(content), nil, lang)
	st.finish()
	return r.result()
}

func langByExt(name string) string {
	ext := name
	if i := strings.LastIndexByte(name, '.'); i >= 0 && !strings.Contains(name[i:], "/") {
		ext = name[i+1:]
	} else {
		return "script"
	}
	switch ext {
	case "py":
		return "python"
	case "pl", "pm":
		return "perl"
	case "rb":
		return "ruby"
	case "js", "mjs", "cjs":
		return "node"
	case "php":
		return "php"
	case "lua":
		return "lua"
	case "awk":
		return "awk"
	}
	return "script"
}

// AnalyzeEnv inspects one environment variable of a container: a miner pool, wallet or stratum
// URL, a command line kept in a variable, or a base64-encoded payload.
func AnalyzeEnv(name, value string) (out []Indicator) {
	if len(value) < 4 || !envWorthAnalysing(name, value) {
		return nil
	}
	r := newRun(nil)
	defer r.rescue(&out)
	st := r.root()
	st.env(name, value)
	return r.result()
}

// ScriptFiles returns the paths of script files that argv runs, so callers can resolve them to
// mounted ConfigMap keys and analyse their content with AnalyzeScript: the script operand of a
// shell or interpreter (["sh", "/scripts/run.sh"], ["python3", "/app/x.py"]), files sourced or run
// inside sh -c (["/bin/bash", "-c", ". /cfg/x.sh"]) and commands given by path
// (["/scripts/entrypoint.sh"]). Relative paths are returned as written (relative to the working
// directory). Known shells, interpreters and wrappers are not returned.
func ScriptFiles(argv []string) (out []string) {
	if len(argv) == 0 {
		return nil
	}
	r := newRun(nil)
	r.collect = true
	defer func() {
		if recover() != nil {
			out = r.scripts
		}
	}()
	st := r.root()
	words := make([]val, len(argv))
	for i, a := range argv {
		words[i] = lit(a)
	}
	st.run(words, nil, stdio{}, "")
	return r.scripts
}

// run is the state of one analysis shared by every nested script.
type run struct {
	opts  *Options
	out   []Indicator
	seen  map[string]struct{}
	files map[string]val  // content of files written so far, by cleaned path
	fds   map[int]string  // file descriptors above 2 opened on /dev/tcp or /dev/udp
	fifos map[string]bool // named pipes made by mkfifo/mknod
	// sinks are the output process substitutions >(...) by the path that names them: what a
	// command writes there is the commands' stdin.
	sinks   map[string]*sink
	trees   map[string]val // directories filled from a download (extract.go), by cleaned path
	cwd     string         // the working directory cd moved to ("" when unknown or not moved)
	called  map[*syntax.Stmt]bool
	steps   int  // commands evaluated
	parsed  int  // bytes handed to the parser
	collect bool // ScriptFiles mode: gather script paths, report nothing
	scripts []string
}

// sink is an output process substitution and its text, the evidence of what runs there.
type sink struct {
	ps      *syntax.ProcSubst
	text    string
	reading bool // its commands are running on what was written: a write from them is not fed back
}

func newRun(opts *Options) *run { return &run{opts: opts} }

func (r *run) root() *state { return &state{r: r} }

// rescue turns an unexpected panic (a bug here or in the parser) into the indicators found so
// far: the contract is that analysis never fails.
func (r *run) rescue(out *[]Indicator) {
	if recover() != nil {
		*out = r.result()
	}
}

func (r *run) stop() bool { return r.steps > maxSteps || len(r.out) >= maxIndicators }

func (r *run) result() []Indicator {
	if len(r.out) == 0 {
		return nil
	}
	return r.out
}

func (r *run) addScript(p string) {
	if p == "" {
		return
	}
	for _, s := range r.scripts {
		if s == p {
			return
		}
	}
	r.scripts = append(r.scripts, p)
}

// emit records an indicator unless one of the same class with the same evidence exists.
func (st *state) emit(class Class, detail, evidence, url string) {
	r := st.r
	if r.collect || len(r.out) >= maxIndicators {
		return
	}
	ev := trimEvidence(evidence)
	key := string(class) + "\x00" + ev
	if r.seen == nil {
		r.seen = make(map[string]struct{})
	}
	if _, dup := r.seen[key]; dup {
		return
	}
	r.seen[key] = struct{}{}
	if st.ctx != "" {
		detail = st.ctx + detail
	}
	r.out = append(r.out, Indicator{Class: class, Detail: oneLine(detail, 400), Evidence: ev, URL: oneLine(url, 400)})
}

// retract withdraws an indicator of class about network data run by a shell once the same
// evidence turns out to be a reverse shell: that is the better description.
func (st *state) retract(class Class, evidence string) {
	r := st.r
	ev := trimEvidence(evidence)
	for i, ind := range r.out {
		if ind.Class == class && ind.Evidence == ev && strings.Contains(ind.Detail, "data read from ") {
			r.out = append(r.out[:i], r.out[i+1:]...)
			delete(r.seen, string(class)+"\x00"+ev)
			return
		}
	}
}

// trimEvidence puts s on one printable line of at most maxEvidence bytes.
func trimEvidence(s string) string { return oneLine(s, maxEvidence) }

func oneLine(s string, limit int) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(min(len(s), limit+3))
	space := false
	for i, c := range s {
		if c == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				c = '?'
			}
		}
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == ' ' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(c)
		if b.Len() > limit {
			break
		}
	}
	out := b.String()
	if len(out) <= limit {
		return out
	}
	cut := limit - 3
	for cut > 0 && !utf8.RuneStart(out[cut]) {
		cut--
	}
	return out[:cut] + "..."
}

// argvText renders argv for evidence, quoting arguments that contain blanks or quotes.
func argvText(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if b.Len() > 4*maxEvidence {
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		if a == "" || strings.ContainsAny(a, " \t\n'\"|;&<>") {
			b.WriteByte('\'')
			b.WriteString(strings.ReplaceAll(a, "'", `'\''`))
			b.WriteByte('\'')
		} else {
			b.WriteString(a)
		}
	}
	return b.String()
}

// kubeExpand expands $(VAR) references to variables of env the way the kubelet expands a
// container's command and args; $$ escapes a dollar and unknown references are left alone.
func kubeExpand(s string, env map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
			continue
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end >= 0 {
				name := s[i+2 : i+2+end]
				if v, ok := env[name]; ok {
					b.WriteString(v)
					i += 2 + end
					continue
				}
			}
		}
		b.WriteByte('$')
	}
	return b.String()
}

package cmdline

import (
	"sort"
	"strconv"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"
)

var parsers = sync.Pool{New: func() any { return syntax.NewParser(syntax.Variant(syntax.LangBash)) }}

// stdio is what a command's standard streams carry or are connected to.
type stdio struct {
	in    val       // data arriving on stdin
	hasIn bool      // stdin is fed by a pipe, redirection, heredoc or here-string
	net   [3]string // /dev/tcp or /dev/udp path each standard fd is connected to
	fds   map[int]string
	text  string // evidence text of the enclosing pipeline
}

// res is what evaluating a command or statement tells its pipeline.
type res struct {
	out     val    // what it writes to stdout
	shell   bool   // a shell reading its commands from stdin
	netc    string // a network client (nc h p), described
	outFifo bool   // stdout goes into a named pipe
}

// redir is an evaluated redirection.
type redir struct {
	op   syntax.RedirOperator
	fd   int // -1 for the operator's default
	word val
}

// write is a file that a redirection writes.
type write struct {
	path val
	fd   int // 1, 2, or 3 for both
}

// script parses src and evaluates it in st.
func (st *state) script(src string) {
	if len(src) > maxScript {
		src = src[:maxScript]
	}
	if strings.Contains(src, "\r\n") {
		// Scripts edited on Windows: read them as the author meant.
		src = strings.ReplaceAll(src, "\r\n", "\n")
	}
	r := st.r
	if r.parsed+len(src) > maxParsed || r.stop() {
		return
	}
	r.parsed += len(src)
	st.src = src
	if tooDeep(src) {
		st.fallback(src)
		st.finish()
		return
	}
	p := parsers.Get().(*syntax.Parser)
	end := 0
	failed := false
	for s, err := range p.StmtsSeq(strings.NewReader(src)) {
		if err != nil {
			failed = true
			break
		}
		st.stmt(s, stdio{})
		if e := offset(s.End()); e > end {
			end = e
		}
		if r.stop() {
			break
		}
	}
	parsers.Put(p)
	if failed && !r.stop() {
		st.recoverLines(src[min(end, len(src)):])
	}
	st.finish()
}

// recoverLines analyses what follows a syntax error line by line: a line that parses on its own is
// evaluated, any other is word-split.
func (st *state) recoverLines(rest string) {
	saved := st.src
	defer func() { st.src = saved }()
	rest = strings.ReplaceAll(rest, "\\\n", "")
	for len(rest) > 0 && !st.r.stop() {
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		st.src = line
		if !tooDeep(line) {
			p := parsers.Get().(*syntax.Parser)
			f, err := p.Parse(strings.NewReader(line), "")
			parsers.Put(p)
			if err == nil {
				for _, s := range f.Stmts {
					st.stmt(s, stdio{})
				}
				continue
			}
		}
		st.fallback(line)
	}
}

// finish evaluates functions that were declared but never called: their body may still run
// (through an alias, a trap, an obfuscated call).
func (st *state) finish() {
	if len(st.funcs) == 0 {
		return
	}
	names := make([]string, 0, len(st.funcs))
	for name := range st.funcs {
		names = append(names, name)
	}
	sort.Strings(names) // a stable order of indicators
	for _, name := range names {
		fn := st.funcs[name]
		if !st.r.called[fn.body] && !st.r.stop() {
			st.r.markCalled(fn.body)
			saved := st.src
			st.src = fn.src
			st.stmt(fn.body, stdio{})
			st.src = saved
		}
	}
}

func (r *run) markCalled(body *syntax.Stmt) {
	if r.called == nil {
		r.called = make(map[*syntax.Stmt]bool)
	}
	r.called[body] = true
}

func offset(p syntax.Pos) int {
	if !p.IsValid() {
		return -1
	}
	return int(p.Offset())
}

// text returns the source of n for evidence.
func (st *state) text(n syntax.Node) string {
	a, b := offset(n.Pos()), offset(n.End())
	if a < 0 || b > len(st.src) || a >= b {
		return ""
	}
	return strings.TrimRight(st.src[a:b], "; \t\n")
}

// tooDeep reports whether src nests deeper than is safe to hand to the recursive-descent parser
// (whose stack overflow would be fatal). It over-approximates: quotes are ignored.
func tooDeep(src string) bool {
	depth, run := 0, 0
	backquote := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '(', '{', '[', '?':
			depth++
		case ')', '}', ']', ':':
			if depth > 0 {
				depth--
			}
		case '`':
			if backquote {
				if depth > 0 {
					depth--
				}
			} else {
				depth++
			}
			backquote = !backquote
		case '!', '-', '+', '~', '=':
			run++
			if run > maxNest {
				return true
			}
			continue
		case ' ', '\t':
			continue
		default:
			if (c == 'i' || c == 'f' || c == 'w' || c == 'u' || c == 'c' || c == 's' || c == 'e' || c == 'd') &&
				(i == 0 || !isWordByte(src[i-1])) {
				depth += keywordDepth(src[i:])
				if depth < 0 {
					depth = 0
				}
			}
		}
		run = 0
		if depth > maxNest {
			return true
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// keywordDepth is +1 for a reserved word that opens a compound command and -1 for one that
// closes it.
func keywordDepth(s string) int {
	word := func(w string) bool {
		return strings.HasPrefix(s, w) && (len(s) == len(w) || !isWordByte(s[len(w)]))
	}
	switch {
	case word("if"), word("case"), word("for"), word("while"), word("until"), word("select"):
		return 1
	case word("fi"), word("esac"), word("done"):
		return -1
	}
	return 0
}

// stmts evaluates a list of statements and returns what they write to stdout.
func (st *state) stmts(list []*syntax.Stmt, in stdio) val {
	var out acc
	for _, s := range list {
		if st.r.stop() {
			break
		}
		out.add(st.stmt(s, in).out)
	}
	return out.val()
}

// stmt evaluates one statement.
func (st *state) stmt(s *syntax.Stmt, in stdio) res {
	if s == nil || st.r.stop() {
		return res{}
	}
	switch c := s.Cmd.(type) {
	case nil:
		rds := st.redirs(s.Redirs)
		cio, writes := st.applyRedirs(rds, st.inherit(in))
		return st.finishWrites(st.host, writes, res{}, cio, st.stmtText(s, in))
	case *syntax.CallExpr:
		if len(c.Args) == 0 {
			for _, as := range c.Assigns {
				st.assign(as)
			}
			if len(s.Redirs) > 0 {
				rds := st.redirs(s.Redirs)
				cio, writes := st.applyRedirs(rds, st.inherit(in))
				return st.finishWrites(st.host, writes, res{}, cio, st.stmtText(s, in))
			}
			return res{}
		}
		var words []val
		for _, w := range c.Args {
			words = st.fields(w, words)
		}
		for _, as := range c.Assigns {
			st.assign(as)
		}
		return st.run(words, st.redirs(s.Redirs), in, st.stmtText(s, in))
	case *syntax.BinaryCmd:
		if c.Op == syntax.Pipe || c.Op == syntax.PipeAll {
			return st.pipeline(s, in)
		}
		// a && b || c: walk the left spine without recursion, it can be very long.
		var chain []*syntax.Stmt
		x := s
		for {
			b, ok := x.Cmd.(*syntax.BinaryCmd)
			if !ok || (b.Op != syntax.AndStmt && b.Op != syntax.OrStmt) || len(x.Redirs) > 0 || x.Negated {
				break
			}
			chain = append(chain, b.Y)
			x = b.X
		}
		var out acc
		out.add(st.stmt(x, in).out)
		for i := len(chain) - 1; i >= 0 && !st.r.stop(); i-- {
			out.add(st.stmt(chain[i], in).out)
		}
		return res{out: out.val()}
	case *syntax.FuncDecl:
		if c.Name != nil && c.Body != nil {
			st.ensureFuncs()[c.Name.Value] = funcDef{body: c.Body, src: st.src}
		}
		return res{}
	case *syntax.DeclClause:
		for _, as := range c.Args {
			if !as.Naked {
				st.assign(as)
			}
		}
		return res{}
	}
	return st.compound(s, in)
}

// stmtText is the evidence for s: the enclosing pipeline when there is one.
func (st *state) stmtText(s *syntax.Stmt, in stdio) string {
	if in.text != "" {
		return in.text
	}
	return st.text(s)
}

// compound evaluates a compound command with the redirections of its statement.
func (st *state) compound(s *syntax.Stmt, in stdio) res {
	rds := st.redirs(s.Redirs)
	cio, writes := st.applyRedirs(rds, st.inherit(in))
	cio.text = in.text
	if cio.text == "" && len(rds) > 0 {
		// The redirections of a compound command are part of what its commands do.
		cio.text = st.text(s)
	}
	var acc acc
	body := func(list []*syntax.Stmt) { acc.add(st.stmts(list, cio)) }
	switch c := s.Cmd.(type) {
	case *syntax.Subshell:
		body(c.Stmts)
	case *syntax.Block:
		body(c.Stmts)
	case *syntax.IfClause:
		for ic := c; ic != nil && !st.r.stop(); ic = ic.Else {
			st.stmts(ic.Cond, cio)
			body(ic.Then)
		}
	case *syntax.WhileClause:
		st.stmts(c.Cond, cio)
		body(c.Do)
	case *syntax.ForClause:
		if wi, ok := c.Loop.(*syntax.WordIter); ok && wi.Name != nil {
			var items []val
			for _, w := range wi.Items {
				items = st.fields(w, items)
			}
			if len(items) > 0 {
				st.setVar(wi.Name.Value, items[0])
			} else {
				st.setVar(wi.Name.Value, unknown(""))
			}
		}
		body(c.Do)
	case *syntax.CaseClause:
		st.value(c.Word)
		for _, it := range c.Items {
			body(it.Stmts)
		}
	case *syntax.TimeClause:
		if c.Stmt != nil {
			acc.add(st.stmt(c.Stmt, cio).out)
		}
	case *syntax.CoprocClause:
		if c.Stmt != nil {
			st.stmt(c.Stmt, cio)
		}
	default:
		st.substsIn(s.Cmd)
	}
	return st.finishWrites(st.host, writes, res{out: acc.val()}, cio, st.stmtText(s, in))
}

// substsIn evaluates the command and process substitutions inside a node that is otherwise not
// interpreted (tests, arithmetic).
func (st *state) substsIn(n syntax.Node) {
	depth := 0
	syntax.Walk(n, func(n syntax.Node) bool {
		if n == nil {
			depth--
			return true
		}
		if depth > 200 || st.r.stop() {
			return false
		}
		switch x := n.(type) {
		case *syntax.CmdSubst:
			st.cmdSubst(x)
			return false
		case *syntax.ProcSubst:
			st.procSubst(x)
			return false
		}
		depth++
		return true
	})
}

func (st *state) assign(as *syntax.Assign) {
	if as == nil || as.Name == nil {
		return
	}
	var v val
	switch {
	case as.Array != nil:
		var a acc
		for i, e := range as.Array.Elems {
			if i > 0 {
				a.add(lit(" "))
			}
			a.add(st.value(e.Value))
		}
		v = a.val()
	case as.Value != nil:
		v = st.value(as.Value)
	default:
		v = lit("")
	}
	if as.Append {
		old, _ := st.lookup(as.Name.Value)
		v = concat(old, v)
	}
	st.setVar(as.Name.Value, v)
}

// pipeline evaluates a | b | c, feeding each stage's output to the next.
func (st *state) pipeline(s *syntax.Stmt, in stdio) res {
	var stages []*syntax.Stmt
	x := s
	for {
		b, ok := x.Cmd.(*syntax.BinaryCmd)
		if !ok || (b.Op != syntax.Pipe && b.Op != syntax.PipeAll) || len(x.Redirs) > 0 {
			break
		}
		stages = append(stages, b.Y)
		x = b.X
	}
	stages = append(stages, x)
	for i, j := 0, len(stages)-1; i < j; i, j = i+1, j-1 {
		stages[i], stages[j] = stages[j], stages[i]
	}
	text := in.text
	if text == "" {
		text = st.text(s)
	}
	results := make([]res, len(stages))
	for i, stg := range stages {
		sub := in
		sub.text = text
		if i > 0 {
			sub.in, sub.hasIn = results[i-1].out, true
		}
		results[i] = st.stmt(stg, sub)
		if st.r.stop() {
			break
		}
	}
	st.pipeCheck(results, text)
	return res{out: results[len(results)-1].out}
}

// pipeCheck finds reverse shells made of a pipeline: a shell reading its commands from stdin
// whose output goes to a network client (cat /tmp/f | sh -i 2>&1 | nc h p > /tmp/f), or which
// reads from a network client and writes into a named pipe (nc h p < /tmp/f | sh > /tmp/f).
func (st *state) pipeCheck(results []res, text string) {
	for k, r := range results {
		if !r.shell {
			continue
		}
		for j := k + 1; j < len(results); j++ {
			if results[j].netc != "" {
				st.retract(DownloadExecute, text)
				st.emit(ReverseShell, "shell reading commands from a pipe sends its output to "+results[j].netc, text, "")
				return
			}
		}
		if r.outFifo {
			for j := 0; j < k; j++ {
				if results[j].netc != "" {
					st.retract(DownloadExecute, text)
					st.emit(ReverseShell, "shell runs commands from "+results[j].netc+" and writes its output into a named pipe", text, "")
					return
				}
			}
		}
	}
}

// inherit fills in what st's shell passes to every command.
func (st *state) inherit(in stdio) stdio {
	if !in.hasIn && st.base.hasIn {
		in.in, in.hasIn = st.base.in, true
	}
	for i := range in.net {
		if in.net[i] == "" {
			in.net[i] = st.base.net[i]
		}
	}
	return in
}

// redirs evaluates the redirections of a statement.
func (st *state) redirs(rs []*syntax.Redirect) []redir {
	if len(rs) == 0 {
		return nil
	}
	out := make([]redir, 0, len(rs))
	for _, r := range rs {
		fd := -1
		if r.N != nil {
			if n, err := strconv.Atoi(r.N.Value); err == nil {
				fd = n
			} else {
				fd = 10 // {name}>: bash picks a free fd of 10 or more
			}
		}
		var w val
		switch r.Op {
		case syntax.Hdoc, syntax.DashHdoc:
			w = st.heredoc(r)
		default:
			w = st.value(r.Word)
		}
		out = append(out, redir{op: r.Op, fd: fd, word: w})
	}
	return out
}

// heredoc returns the body of a here-document, expanded unless its delimiter is quoted.
func (st *state) heredoc(r *syntax.Redirect) val {
	if r.Hdoc == nil {
		return lit("")
	}
	quoted := false
	if r.Word != nil {
		for _, p := range r.Word.Parts {
			switch x := p.(type) {
			case *syntax.SglQuoted, *syntax.DblQuoted:
				quoted = true
			case *syntax.Lit:
				if strings.ContainsRune(x.Value, '\\') {
					quoted = true
				}
			}
		}
	}
	if quoted {
		return st.valueCtx(r.Hdoc, ctxRaw)
	}
	return st.valueCtx(r.Hdoc, ctxDouble)
}

func isNetPath(p string) bool {
	return strings.HasPrefix(p, "/dev/tcp/") || strings.HasPrefix(p, "/dev/udp/")
}

func netVal(p string) val { return val{fl: fNet, src: p, url: p} }

// applyRedirs works out a command's standard streams and the files it writes.
func (st *state) applyRedirs(rds []redir, in stdio) (stdio, []write) {
	if len(rds) == 0 {
		return in, nil
	}
	io := in
	var writes []write
	setNet := func(fd int, p string) {
		if fd >= 0 && fd < 3 {
			io.net[fd] = p
			return
		}
		if io.fds == nil {
			io.fds = make(map[int]string)
		}
		io.fds[fd] = p
	}
	netOf := func(fd int) string {
		if fd >= 0 && fd < 3 {
			return io.net[fd]
		}
		if p, ok := io.fds[fd]; ok {
			return p
		}
		return st.r.fds[fd]
	}
	setIn := func(v val) { io.in, io.hasIn = v, true }
	for _, rd := range rds {
		fd := rd.fd
		p := rd.word.s
		switch rd.op {
		case syntax.RdrIn, syntax.RdrInOut:
			if fd < 0 {
				fd = 0
			}
			if isNetPath(p) {
				setNet(fd, p)
				if fd == 0 {
					setIn(netVal(p))
				}
				continue
			}
			if fd == 0 {
				setIn(st.fileContent(rd.word, st.host))
			}
		case syntax.DplIn, syntax.DplOut:
			if fd < 0 {
				fd = 0
				if rd.op == syntax.DplOut {
					fd = 1
				}
			}
			if n, err := strconv.Atoi(strings.TrimSuffix(p, "-")); err == nil {
				t := netOf(n)
				setNet(fd, t)
				if fd == 0 && t != "" {
					setIn(netVal(t))
				}
				continue
			}
			if p == "-" || rd.op == syntax.DplIn {
				continue
			}
			// >& file is &> file.
			if isNetPath(p) {
				setNet(1, p)
				setNet(2, p)
				continue
			}
			writes = append(writes, write{path: rd.word, fd: 3})
		case syntax.RdrOut, syntax.AppOut, syntax.RdrClob, syntax.AppClob:
			if fd < 0 {
				fd = 1
			}
			if isNetPath(p) {
				setNet(fd, p)
				continue
			}
			if fd == 1 || fd == 2 {
				io.net[fd] = ""
			}
			writes = append(writes, write{path: rd.word, fd: fd})
		case syntax.RdrAll, syntax.AppAll, syntax.RdrAllClob, syntax.AppAllClob:
			if isNetPath(p) {
				setNet(1, p)
				setNet(2, p)
				continue
			}
			io.net[1], io.net[2] = "", ""
			writes = append(writes, write{path: rd.word, fd: 3})
		case syntax.Hdoc, syntax.DashHdoc:
			if fd <= 0 {
				setIn(rd.word)
			}
		case syntax.WordHdoc:
			if fd <= 0 {
				setIn(concat(rd.word, lit("\n")))
			}
		}
	}
	return io, writes
}

// finishWrites records what a command wrote into files and checks where it wrote.
func (st *state) finishWrites(host bool, writes []write, r res, io stdio, text string) res {
	gone := io.net[1] != ""
	for _, w := range writes {
		p := w.path.s
		if w.fd != 2 {
			st.recordFile(p, r.out)
			if st.r.fifos[cleanPath(p)] {
				r.outFifo = true
			}
			gone = true
		}
		content := val{}
		if w.fd != 2 {
			content = r.out
		}
		st.checkWrite(host, p, text, "", content)
	}
	if gone {
		r.out = val{}
	}
	return r
}

// fallback analyses text that the parser rejects, by splitting it into statements, pipeline
// stages and words the way a lenient shell would.
func (st *state) fallback(text string) {
	text = strings.ReplaceAll(text, "${IFS}", " ")
	text = strings.ReplaceAll(text, "$IFS", " ")
	for _, stmt := range splitStatements(text) {
		if st.r.stop() {
			return
		}
		stages := splitUnquoted(stmt, "|")
		results := make([]res, 0, len(stages))
		var prev val
		for i, stage := range stages {
			words, rds := st.lenientWords(stage)
			if len(words) == 0 && len(rds) == 0 {
				continue
			}
			if len(words) == 1 && len(rds) == 0 && isAssignment(words[0].s) {
				name, value, _ := strings.Cut(words[0].s, "=")
				st.setVar(name, lit(value))
				continue
			}
			in := stdio{text: stmt}
			if i > 0 {
				in.in, in.hasIn = prev, true
			}
			r := st.run(words, rds, in, stmt)
			prev = r.out
			results = append(results, r)
		}
		st.pipeCheck(results, stmt)
	}
}

func isAssignment(s string) bool {
	name, _, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

// splitStatements splits at newlines, ;, && , || and & outside quotes. Newlines always split,
// so an unterminated quote cannot swallow the rest of the text.
func splitStatements(text string) []string {
	var out []string
	start := 0
	var quote byte
	add := func(end int) {
		if s := strings.TrimSpace(text[start:end]); s != "" {
			out = append(out, s)
		}
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '\n' {
			add(i)
			start, quote = i+1, 0
			continue
		}
		if quote != 0 {
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' {
				i++
			}
			continue
		}
		switch c {
		case '\\':
			i++
		case '\'', '"':
			if strings.IndexByte(text[i+1:lineEnd(text, i+1)], c) >= 0 {
				quote = c
			}
		case ';':
			add(i)
			start = i + 1
		case '&':
			prev := byte(0)
			if i > 0 {
				prev = text[i-1]
			}
			if prev == '>' || prev == '<' || (i+1 < len(text) && text[i+1] == '>') {
				continue
			}
			add(i)
			if i+1 < len(text) && text[i+1] == '&' {
				i++
			}
			start = i + 1
		case '|':
			if i+1 < len(text) && text[i+1] == '|' {
				add(i)
				i++
				start = i + 1
			}
		}
	}
	add(len(text))
	return out
}

func lineEnd(s string, from int) int {
	if i := strings.IndexByte(s[from:], '\n'); i >= 0 {
		return from + i
	}
	return len(s)
}

// splitUnquoted splits s at sep outside quotes.
func splitUnquoted(s, sep string) []string {
	var out []string
	start := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if quote != 0 {
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' {
				i++
			}
			continue
		}
		switch {
		case c == '\\':
			i++
		case c == '\'' || c == '"':
			if strings.IndexByte(s[i+1:], c) >= 0 {
				quote = c
			}
		case strings.HasPrefix(s[i:], sep):
			out = append(out, s[start:i])
			start = i + len(sep)
			i += len(sep) - 1
		}
	}
	return append(out, s[start:])
}

// lenientWords splits one pipeline stage into words and redirections, removing quotes and
// backslashes and substituting variables known so far.
func (st *state) lenientWords(stage string) ([]val, []redir) {
	var words []val
	var rds []redir
	var cur strings.Builder
	inWord := false
	var pending *redir
	flush := func() {
		if !inWord {
			return
		}
		w := st.substVars(cur.String())
		cur.Reset()
		inWord = false
		if pending != nil {
			pending.word = w
			rds = append(rds, *pending)
			pending = nil
			return
		}
		words = append(words, w)
	}
	var quote byte
	for i := 0; i < len(stage); i++ {
		c := stage[i]
		if quote != 0 {
			if c == quote {
				quote = 0
				continue
			}
			if c == '\\' && quote == '"' && i+1 < len(stage) {
				i++
				c = stage[i]
			}
			cur.WriteByte(c)
			continue
		}
		switch c {
		case ' ', '\t', '\r', '(', ')', '{', '}', '`':
			flush()
		case '\'', '"':
			if strings.IndexByte(stage[i+1:], c) >= 0 {
				quote = c
			}
			inWord = true
		case '\\':
			if i+1 < len(stage) {
				i++
				cur.WriteByte(stage[i])
				inWord = true
			}
		case '>', '<':
			// An all-digit word before the operator is its file descriptor.
			fd := -1
			if inWord {
				if n, err := strconv.Atoi(cur.String()); err == nil {
					fd = n
					cur.Reset()
					inWord = false
				}
			}
			flush()
			op, n := lenientRedirOp(stage[i:])
			i += n - 1
			pending = &redir{op: op, fd: fd}
			if op == syntax.DplIn || op == syntax.DplOut {
				j := i + 1
				for j < len(stage) && (stage[j] >= '0' && stage[j] <= '9' || stage[j] == '-') {
					j++
				}
				if j > i+1 {
					pending.word = lit(stage[i+1 : j])
					rds = append(rds, *pending)
					pending = nil
					i = j - 1
				}
			}
		case '&':
			if i+1 < len(stage) && stage[i+1] == '>' {
				flush()
				pending = &redir{op: syntax.RdrAll, fd: -1}
				i++
				if i+1 < len(stage) && stage[i+1] == '>' {
					pending.op = syntax.AppAll
					i++
				}
				continue
			}
			flush()
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return words, rds
}

func lenientRedirOp(s string) (syntax.RedirOperator, int) {
	for _, o := range []struct {
		tok string
		op  syntax.RedirOperator
	}{
		{"<<<", syntax.WordHdoc}, {">>", syntax.AppOut}, {">&", syntax.DplOut}, {">|", syntax.RdrClob},
		{"<&", syntax.DplIn}, {"<>", syntax.RdrInOut}, {"<<", syntax.Hdoc}, {">", syntax.RdrOut}, {"<", syntax.RdrIn},
	} {
		if strings.HasPrefix(s, o.tok) {
			return o.op, len(o.tok)
		}
	}
	return syntax.RdrOut, 1
}

// substVars replaces $NAME and ${NAME} with values known so far.
func (st *state) substVars(s string) val {
	if !strings.Contains(s, "$") {
		return lit(s)
	}
	var out acc
	for len(s) > 0 {
		i := strings.IndexByte(s, '$')
		if i < 0 || i+1 >= len(s) {
			out.add(lit(s))
			return out.val()
		}
		out.add(lit(s[:i]))
		rest := s[i+1:]
		braced := rest[0] == '{'
		if braced {
			rest = rest[1:]
		}
		n := 0
		for n < len(rest) && (rest[n] == '_' || (rest[n] >= 'a' && rest[n] <= 'z') || (rest[n] >= 'A' && rest[n] <= 'Z') || (n > 0 && rest[n] >= '0' && rest[n] <= '9')) {
			n++
		}
		if n == 0 {
			out.add(lit("$"))
			s = s[i+1:]
			continue
		}
		v, _ := st.param(rest[:n])
		out.add(v)
		rest = rest[n:]
		if braced {
			if j := strings.IndexByte(rest, '}'); j >= 0 {
				rest = rest[j+1:]
			}
		}
		s = rest
	}
	return out.val()
}

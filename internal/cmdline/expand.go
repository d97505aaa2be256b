package cmdline

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"mvdan.cc/sh/v3/syntax"
)

// flags say where a value's content came from.
type flags uint8

const (
	fDownload flags = 1 << iota // fetched by a downloader (curl, wget, urllib, ...)
	fNet                        // read from a raw network connection (/dev/tcp, nc)
	fDecode                     // produced by a decoder (base64 -d, xxd -r, tr, ...)
	fSecret                     // holds credentials (service-account token, kubeconfig, ...)
	fFifo                       // read from a named pipe (the loop of mkfifo reverse shells)

	fRemote = fDownload | fNet
	fExec   = fDownload | fNet | fDecode
)

// val is a shell value as far as it can be known without running anything.
type val struct {
	s     string
	known bool   // s is exactly the value
	ph    bool   // an unknown expansion whose text is only a placeholder such as "$NAME"
	fl    flags  // where the content came from
	src   string // what produced remote or secret content, e.g. "curl http://x/y.sh"
	url   string // remote location of remote content
	dec   string // the decoder of decoded content, e.g. "base64 -d"
	file  *val   // for a process substitution <(...): the content of the file the word names
}

func lit(s string) val { return val{s: s, known: true} }

func unknown(s string) val { return val{s: s, ph: true} }

// concat appends b to a, keeping the union of their origins.
func concat(a, b val) val {
	var x acc
	x.add(a)
	x.add(b)
	return x.val()
}

// acc accumulates a value from parts in linear time, capped at maxValue bytes.
type acc struct {
	first string
	sb    strings.Builder
	multi bool
	meta  val
	parts int
}

func (a *acc) add(x val) {
	if a.parts == 0 {
		a.meta, a.first, a.parts = x, x.s, 1
		a.meta.s = ""
		return
	}
	if !a.multi {
		a.sb.Grow(min(len(a.first)+len(x.s), maxValue))
		a.sb.WriteString(a.first)
		a.multi = true
		a.meta.file = nil
	}
	a.parts++
	m := &a.meta
	m.known = m.known && x.known
	m.ph = m.ph && x.ph
	m.fl |= x.fl
	if m.src == "" {
		m.src, m.url = x.src, x.url
	}
	if m.dec == "" {
		m.dec = x.dec
	}
	room := maxValue - a.sb.Len()
	if len(x.s) > room {
		if room > 0 {
			a.sb.WriteString(x.s[:room])
		}
		m.known = false
		return
	}
	a.sb.WriteString(x.s)
}

func (a *acc) val() val {
	if a.parts == 0 {
		return lit("")
	}
	v := a.meta
	if a.multi {
		v.s = a.sb.String()
	} else {
		v.s = a.first
	}
	return v
}

// state is one shell's view while a script is evaluated: its variables, functions and
// positional parameters, and what every command it runs inherits.
type state struct {
	r      *run
	parent *state
	vars   map[string]val
	funcs  map[string]funcDef
	pos    []val // $0, $1, ...
	hasPos bool
	depth  int
	host   bool   // commands run with the host's filesystem as root (chroot /host, nsenter -t 1 -m)
	src    string // text the current syntax tree was parsed from, for evidence
	ctx    string // prefix of details, e.g. "in base64-decoded script: "
	base   stdio  // standard streams every command of this shell inherits
	inFunc int
}

// funcDef is a shell function with the text it was parsed from.
type funcDef struct {
	body *syntax.Stmt
	src  string
}

// child returns the state of a shell started by st.
func (st *state) child() *state {
	return &state{r: st.r, parent: st, depth: st.depth + 1, host: st.host, ctx: st.ctx}
}

func (st *state) lookup(name string) (val, bool) {
	for s := st; s != nil; s = s.parent {
		if v, ok := s.vars[name]; ok {
			return v, true
		}
	}
	if o := st.r.opts; o != nil {
		if v, ok := o.Env[name]; ok {
			return lit(v), true
		}
	}
	return val{}, false
}

func (st *state) setVar(name string, v val) {
	if st.vars == nil {
		st.vars = make(map[string]val)
	}
	v.file = nil
	st.vars[name] = v
}

func (st *state) positional() ([]val, bool) {
	for s := st; s != nil; s = s.parent {
		if s.hasPos {
			return s.pos, true
		}
	}
	return nil, false
}

// param returns the value of a parameter before any ${...} operator is applied.
func (st *state) param(name string) (val, bool) {
	if name == "" {
		return unknown(""), false
	}
	if c := name[0]; c >= '0' && c <= '9' {
		n, err := strconv.Atoi(name)
		pos, ok := st.positional()
		if err == nil && ok && n < len(pos) {
			return pos[n], true
		}
		if ok {
			return lit(""), false
		}
		return unknown("$" + name), false
	}
	switch name {
	case "@", "*":
		pos, ok := st.positional()
		if !ok {
			return unknown("$" + name), false
		}
		if len(pos) < 2 {
			return lit(""), true
		}
		return joinVals(pos[1:]), true
	case "#":
		if pos, ok := st.positional(); ok {
			return lit(strconv.Itoa(max(len(pos)-1, 0))), true
		}
		return unknown(""), true
	case "$", "!", "?", "-", "_", "RANDOM", "SECONDS", "LINENO", "PPID", "BASHPID":
		return unknown(""), true
	}
	if v, ok := st.lookup(name); ok {
		return v, true
	}
	if name == "IFS" {
		return lit(" \t\n"), true
	}
	return unknown("$" + name), false
}

type quoteCtx uint8

const (
	ctxUnquoted quoteCtx = iota
	ctxDouble
	ctxRaw
)

// fieldBuilder assembles the fields a word expands to.
type fieldBuilder struct {
	out     []val
	cur     acc
	open    bool // cur has begun (a quoted empty string begins a field)
	onlyPH  bool // cur holds nothing but unknown unquoted expansions
	nosplit bool
	ifs     string // field separators; "" means the default blank ones
}

func (b *fieldBuilder) reset() { b.cur, b.open, b.onlyPH = acc{}, false, true }

func (b *fieldBuilder) flush() {
	if b.open {
		v := b.cur.val()
		// A field made of nothing but unknown unquoted expansions is kept as a placeholder
		// ("$NAME"); run drops such words before the program name, where they most likely
		// expand to nothing: "$X curl" still runs curl.
		v.ph = b.onlyPH && v.fl == 0 && !b.nosplit
		b.out = append(b.out, v)
	}
	b.reset()
}

func (b *fieldBuilder) add(v val, split bool) {
	if !split || b.nosplit {
		b.append(v)
		return
	}
	if v.s == "" {
		if v.fl != 0 {
			// Unknown text from a download or decoder still makes a field: running it is the
			// point of many attacks.
			b.append(v)
		}
		return
	}
	ifs := b.ifs
	if ifs == "" {
		ifs = " \t\n"
	}
	s := v.s
	for len(s) > 0 {
		i := strings.IndexAny(s, ifs)
		if i < 0 {
			b.piece(v, s)
			return
		}
		if i > 0 {
			b.piece(v, s[:i])
		}
		b.flush()
		s = strings.TrimLeft(s[i:], ifs)
	}
}

func (b *fieldBuilder) append(v val) {
	if !v.ph {
		b.onlyPH = false
	}
	b.cur.add(v)
	b.open = true
}

func (b *fieldBuilder) piece(v val, s string) {
	p := v
	p.s = s
	p.file = nil
	b.append(p)
}

// fields expands w into the fields it becomes as a command argument (brace expansion, field
// splitting of unquoted expansions, quote removal). Globs are kept literally.
func (st *state) fields(w *syntax.Word, out []val) []val {
	if w == nil {
		return out
	}
	syntax.SplitBraces(w)
	if hasBraceExp(w.Parts) {
		n := 0
		for _, parts := range braceAlts(w.Parts, &n) {
			out = st.fieldsOf(parts, out)
		}
		return out
	}
	return st.fieldsOf(w.Parts, out)
}

func (st *state) fieldsOf(parts []syntax.WordPart, out []val) []val {
	b := fieldBuilder{out: out}
	if v, ok := st.lookup("IFS"); ok && v.known && v.s != "" {
		b.ifs = v.s
	}
	b.reset()
	for _, p := range parts {
		st.part(p, ctxUnquoted, &b)
	}
	b.flush()
	return b.out
}

// value expands w as one string without field splitting (assignments, redirection targets,
// here-strings, case subjects).
func (st *state) value(w *syntax.Word) val {
	return st.valueCtx(w, ctxUnquoted)
}

func (st *state) valueCtx(w *syntax.Word, ctx quoteCtx) val {
	if w == nil {
		return lit("")
	}
	b := fieldBuilder{nosplit: true}
	b.reset()
	for _, p := range w.Parts {
		st.part(p, ctx, &b)
	}
	if !b.open {
		return lit("")
	}
	return b.cur.val()
}

func (st *state) part(p syntax.WordPart, ctx quoteCtx, b *fieldBuilder) {
	switch x := p.(type) {
	case *syntax.Lit:
		s := x.Value
		switch ctx {
		case ctxUnquoted:
			s = unescape(s)
		case ctxDouble:
			s = unescapeDouble(s)
		}
		b.add(lit(s), false)
	case *syntax.SglQuoted:
		s := x.Value
		if x.Dollar {
			s = ansiC(s)
		}
		b.add(lit(s), false)
	case *syntax.DblQuoted:
		b.add(lit(""), false)
		for _, q := range x.Parts {
			st.part(q, ctxDouble, b)
		}
	case *syntax.ParamExp:
		// "$@" and "${a[@]}" make one field per element even when quoted.
		b.add(st.paramExp(x), ctx == ctxUnquoted || (ctx == ctxDouble && allElems(x)))
	case *syntax.CmdSubst:
		b.add(st.cmdSubst(x), ctx == ctxUnquoted)
	case *syntax.ArithmExp:
		if n, ok := st.arith(x.X, 0); ok {
			b.add(lit(strconv.FormatInt(n, 10)), false)
		} else {
			b.add(unknown(""), ctx == ctxUnquoted)
		}
	case *syntax.ProcSubst:
		b.add(st.procSubst(x), false)
	case *syntax.ExtGlob:
		pat := ""
		if x.Pattern != nil {
			pat = x.Pattern.Value
		}
		b.add(lit(x.Op.String()+pat+")"), false)
	case *syntax.BraceExp:
		b.add(lit("{"), false)
		sep := ","
		if x.Sequence {
			sep = ".."
		}
		for i, e := range x.Elems {
			if i > 0 {
				b.add(lit(sep), false)
			}
			for _, q := range e.Parts {
				st.part(q, ctx, b)
			}
		}
		b.add(lit("}"), false)
	}
}

// paramExp evaluates ${...}.
func (st *state) paramExp(pe *syntax.ParamExp) val {
	if pe.Param == nil {
		return unknown("")
	}
	name := pe.Param.Value
	v, set := st.param(name)
	switch {
	case pe.Excl:
		return unknown("")
	case pe.Length:
		if v.known {
			return lit(strconv.Itoa(utf8.RuneCountInString(v.s)))
		}
		return unknown("")
	}
	if pe.Slice != nil {
		if !v.known {
			return withText(v, "")
		}
		off, ok := st.arith(pe.Slice.Offset, 0)
		if !ok {
			return withText(v, "")
		}
		s := v.s
		if off < 0 {
			off += int64(len(s))
		}
		if off < 0 || off > int64(len(s)) {
			return lit("")
		}
		s = s[off:]
		if pe.Slice.Length != nil {
			n, ok := st.arith(pe.Slice.Length, 0)
			if !ok {
				return withText(v, "")
			}
			if n < 0 {
				n += int64(len(s))
			}
			if n < 0 {
				return lit("")
			}
			if n < int64(len(s)) {
				s = s[:n]
			}
		}
		v.s = s
		return v
	}
	if pe.Repl != nil {
		if !v.known {
			return v
		}
		orig := st.value(pe.Repl.Orig)
		with := st.value(pe.Repl.With)
		if !orig.known || !with.known || strings.ContainsAny(orig.s, "*?[") || orig.s == "" {
			return withText(v, v.s)
		}
		out := v
		if pe.Repl.All {
			out.s = strings.ReplaceAll(v.s, orig.s, with.s)
		} else {
			out.s = strings.Replace(v.s, orig.s, with.s, 1)
		}
		if len(out.s) > maxValue {
			out.s, out.known = out.s[:maxValue], false
		}
		return out
	}
	if pe.Exp == nil {
		return v
	}
	empty := v.known && v.s == ""
	switch pe.Exp.Op {
	case syntax.DefaultUnset:
		if !set {
			return st.value(pe.Exp.Word)
		}
	case syntax.DefaultUnsetOrNull:
		if !set || empty {
			return st.value(pe.Exp.Word)
		}
	case syntax.AssignUnset, syntax.AssignUnsetOrNull:
		if !set || (empty && pe.Exp.Op == syntax.AssignUnsetOrNull) {
			d := st.value(pe.Exp.Word)
			st.setVar(name, d)
			return d
		}
	case syntax.AlternateUnset:
		if set {
			return st.value(pe.Exp.Word)
		}
		return lit("")
	case syntax.AlternateUnsetOrNull:
		if set && !empty {
			return st.value(pe.Exp.Word)
		}
		return lit("")
	case syntax.ErrorUnset, syntax.ErrorUnsetOrNull:
	case syntax.RemSmallPrefix, syntax.RemLargePrefix, syntax.RemSmallSuffix, syntax.RemLargeSuffix:
		pat := st.value(pe.Exp.Word)
		// Glob trimming is quadratic: only small values are worth it.
		st.r.steps++
		if !v.known || !pat.known || len(v.s) > 512 || len(pat.s) > 32 {
			return withText(v, v.s)
		}
		v.s = trimPattern(v.s, pat.s, pe.Exp.Op)
	case syntax.UpperAll:
		v.s = strings.ToUpper(v.s)
	case syntax.LowerAll:
		v.s = strings.ToLower(v.s)
	case syntax.UpperFirst, syntax.LowerFirst:
		if r, n := utf8.DecodeRuneInString(v.s); n > 0 {
			f := strings.ToUpper
			if pe.Exp.Op == syntax.LowerFirst {
				f = strings.ToLower
			}
			v.s = f(string(r)) + v.s[n:]
		}
	default:
		return withText(v, v.s)
	}
	return v
}

func allElems(pe *syntax.ParamExp) bool {
	if pe.Param != nil && pe.Param.Value == "@" {
		return true
	}
	if w, ok := pe.Index.(*syntax.Word); ok {
		return w.Lit() == "@"
	}
	return false
}

// withText returns v with text s that is no longer exact.
func withText(v val, s string) val {
	v.s, v.known = s, false
	return v
}

func (st *state) cmdSubst(cs *syntax.CmdSubst) val {
	if len(cs.Stmts) == 1 {
		// $(< file) is the file's content.
		s := cs.Stmts[0]
		if s.Cmd == nil && len(s.Redirs) == 1 && s.Redirs[0].Op == syntax.RdrIn {
			v := st.fileContent(st.value(s.Redirs[0].Word), st.host)
			v.s = strings.TrimRight(v.s, "\n")
			return v
		}
	}
	out := st.stmts(cs.Stmts, stdio{})
	out.s = strings.TrimRight(out.s, "\n")
	out.file = nil
	out.ph = false
	return out
}

// procSubst evaluates a process substitution. <(...) names a file with the commands' output;
// >(...) names a file whose content the commands read: they run now with an unknown stdin, and
// again on what a command writes there (recordFile), so "curl URL | tee >(sh)" pipes the download
// into sh.
func (st *state) procSubst(ps *syntax.ProcSubst) val {
	out := st.stmts(ps.Stmts, stdio{})
	if ps.Op == syntax.CmdOut {
		// Like bash, name them /dev/fd/63, 62 ... so that several can be told apart.
		p := "/dev/fd/" + strconv.Itoa(63-min(len(st.r.sinks), 50))
		if st.r.sinks == nil {
			st.r.sinks = make(map[string]*sink)
		}
		if _, taken := st.r.sinks[p]; !taken {
			st.r.sinks[p] = &sink{ps: ps, text: st.text(ps)}
		}
		return lit(p)
	}
	return val{s: "/dev/fd/63", known: true, file: &out}
}

// arith evaluates the integer arithmetic of $((...)) and ${a:off:len} as far as it is literal.
func (st *state) arith(x syntax.ArithmExpr, depth int) (int64, bool) {
	if depth > 64 || x == nil {
		return 0, false
	}
	switch e := x.(type) {
	case *syntax.Word:
		v := st.value(e)
		if !v.known {
			return 0, false
		}
		s := strings.TrimSpace(v.s)
		if n, err := strconv.ParseInt(s, 0, 64); err == nil {
			return n, true
		}
		if w, ok := st.lookup(s); ok && w.known {
			n, err := strconv.ParseInt(strings.TrimSpace(w.s), 0, 64)
			return n, err == nil
		}
		return 0, s == ""
	case *syntax.ParenArithm:
		return st.arith(e.X, depth+1)
	case *syntax.UnaryArithm:
		n, ok := st.arith(e.X, depth+1)
		if !ok {
			return 0, false
		}
		switch e.Op {
		case syntax.Minus:
			return -n, true
		case syntax.Plus:
			return n, true
		case syntax.BitNegation:
			return ^n, true
		case syntax.Not:
			if n == 0 {
				return 1, true
			}
			return 0, true
		}
	case *syntax.BinaryArithm:
		a, ok := st.arith(e.X, depth+1)
		if !ok {
			return 0, false
		}
		b, ok := st.arith(e.Y, depth+1)
		if !ok {
			return 0, false
		}
		switch e.Op {
		case syntax.Add:
			return a + b, true
		case syntax.Sub:
			return a - b, true
		case syntax.Mul:
			return a * b, true
		case syntax.Quo:
			if b != 0 {
				return a / b, true
			}
		case syntax.Rem:
			if b != 0 {
				return a % b, true
			}
		case syntax.And:
			return a & b, true
		case syntax.Or:
			return a | b, true
		case syntax.Xor:
			return a ^ b, true
		}
	}
	return 0, false
}

// unescape removes the backslashes of an unquoted word.
func unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			if s[i] != '\n' {
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// unescapeDouble removes the backslashes that are special inside double quotes.
func unescapeDouble(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '$', '`', '"', '\\':
				b.WriteByte(s[i+1])
				i++
				continue
			case '\n':
				i++
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// ansiC decodes the escapes of $'...', which are also those of echo -e and printf.
func ansiC(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case 'a':
			b.WriteByte(7)
		case 'b':
			b.WriteByte(8)
		case 'e', 'E':
			b.WriteByte(27)
		case 'f':
			b.WriteByte(12)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte(11)
		case 'x', 'u', 'U':
			limit := 2
			switch e {
			case 'u':
				limit = 4
			case 'U':
				limit = 8
			}
			j := i + 1
			for j < len(s) && j-i-1 < limit && isHex(s[j]) {
				j++
			}
			if j == i+1 {
				b.WriteByte('\\')
				b.WriteByte(e)
				continue
			}
			n, _ := strconv.ParseUint(s[i+1:j], 16, 32)
			if e == 'x' {
				b.WriteByte(byte(n))
			} else {
				b.WriteRune(rune(n))
			}
			i = j - 1
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			if e == '0' && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '7' {
				j++ // \0NNN as echo -e writes it
			}
			k := j
			for k < len(s) && k-j < 3 && s[k] >= '0' && s[k] <= '7' {
				k++
			}
			n, _ := strconv.ParseUint(s[j:k], 8, 16)
			b.WriteByte(byte(n))
			i = k - 1
		case 'c':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i] & 0x1f)
			}
		default:
			b.WriteByte(e)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hasBraceExp(parts []syntax.WordPart) bool {
	for _, p := range parts {
		if _, ok := p.(*syntax.BraceExp); ok {
			return true
		}
	}
	return false
}

// braceAlts lists the part sequences a word with brace expansions expands to, at most 64.
func braceAlts(parts []syntax.WordPart, n *int) [][]syntax.WordPart {
	const limit = 64
	i := 0
	for i < len(parts) {
		if _, ok := parts[i].(*syntax.BraceExp); ok {
			break
		}
		i++
	}
	if i == len(parts) {
		*n++
		return [][]syntax.WordPart{parts}
	}
	be := parts[i].(*syntax.BraceExp)
	var elems [][]syntax.WordPart
	if be.Sequence {
		elems = braceSeq(be)
	} else {
		for _, e := range be.Elems {
			elems = append(elems, e.Parts)
		}
	}
	rest := braceAlts(parts[i+1:], n)
	var out [][]syntax.WordPart
	for _, e := range elems {
		for _, r := range rest {
			if len(out) >= limit {
				return out
			}
			alt := make([]syntax.WordPart, 0, i+len(e)+len(r))
			alt = append(alt, parts[:i]...)
			alt = append(alt, e...)
			alt = append(alt, r...)
			out = append(out, alt)
		}
	}
	return out
}

// braceSeq expands {a..b} of small numbers or single letters.
func braceSeq(be *syntax.BraceExp) [][]syntax.WordPart {
	if len(be.Elems) < 2 {
		return nil
	}
	from, to := be.Elems[0].Lit(), be.Elems[1].Lit()
	var out [][]syntax.WordPart
	add := func(s string) { out = append(out, []syntax.WordPart{&syntax.Lit{Value: s}}) }
	if a, err := strconv.Atoi(from); err == nil {
		if b, err := strconv.Atoi(to); err == nil {
			step := 1
			if b < a {
				step = -1
			}
			for i := a; len(out) < 32; i += step {
				add(strconv.Itoa(i))
				if i == b {
					break
				}
			}
			return out
		}
	}
	if len(from) == 1 && len(to) == 1 {
		step := 1
		if to[0] < from[0] {
			step = -1
		}
		for c := int(from[0]); len(out) < 32; c += step {
			add(string(rune(c)))
			if c == int(to[0]) {
				break
			}
		}
	}
	return out
}

// trimPattern implements ${v#p}, ${v##p}, ${v%p} and ${v%%p} with * and ? globs.
func trimPattern(s, pat string, op syntax.ParExpOperator) string {
	switch op {
	case syntax.RemSmallPrefix:
		for i := 0; i <= len(s); i++ {
			if globMatch(pat, s[:i]) {
				return s[i:]
			}
		}
	case syntax.RemLargePrefix:
		for i := len(s); i >= 0; i-- {
			if globMatch(pat, s[:i]) {
				return s[i:]
			}
		}
	case syntax.RemSmallSuffix:
		for i := len(s); i >= 0; i-- {
			if globMatch(pat, s[i:]) {
				return s[:i]
			}
		}
	case syntax.RemLargeSuffix:
		for i := 0; i <= len(s); i++ {
			if globMatch(pat, s[i:]) {
				return s[:i]
			}
		}
	}
	return s
}

// globMatch matches s against a pattern of literals, * and ?.
func globMatch(pat, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := -1, -1
	for px < len(pat) || sx < len(s) {
		if px < len(pat) {
			switch c := pat[px]; c {
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if c == '\\' && px+1 < len(pat) {
					c = pat[px+1]
					if sx < len(s) && s[sx] == c {
						px += 2
						sx++
						continue
					}
				} else if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextSx > 0 && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}

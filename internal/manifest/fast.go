package manifest

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
)

// The fast path reads the YAML that Kubernetes manifests, Helm and kustomize output use in
// practice straight into JSON and Lines, without building a yaml.v3 node tree (which is where
// most of the time and allocations of a load went). It covers one document whose root is a block
// or flow mapping, made of:
//
//   - block mappings and block sequences, including "- key: v" items and sequences at the
//     indentation of their parent key;
//   - plain scalars, single- and double-quoted scalars (with escapes), also over several lines;
//   - flow sequences and mappings, nested, over one line or several;
//   - literal and folded block scalars with chomping and indentation indicators;
//   - comments, a leading "---" and a trailing "..." line, CRLF line ends;
//   - Lists, whose items it reads as objects of their own.
//
// Anything else (anchors, aliases, tags, merge keys, complex keys, empty sequence items, tabs
// outside of scalars and comments, directives, content after "---", a sequence or scalar root, a
// document yaml.v3 would refuse) makes it give up on the document, which yaml.v3 then reads as
// before. The fast path only ever produces what the yaml.v3 path produces for the same document,
// and never an error (FuzzFastPath and FuzzFastPathGen check both). It also gives up on what would
// not become plain objects (no apiVersion or kind, kustomize configuration, a typed object that
// does not decode, a List item that is not such an object), so that skip notes and errors keep
// coming from one place, with their lines.
//
// Giving up is a panic of fastBail, recovered by fastDocument: the reader is recursive and gives
// up in many places.

// fastBail is panicked inside the fast path to give up on a document; fastDocument recovers it.
type fastBail struct{}

// fastStrict makes panics other than fastBail crash instead of falling back, for tests.
var fastStrict = false

// maxFastDepth is the deepest nesting the fast path reads; deeper documents go to yaml.v3, which
// reports them past maxDepth.
const maxFastDepth = 200

// maxSimpleKey is the longest key the fast path reads: YAML allows 1024 characters between the
// start of an implicit key and its ':'.
const maxSimpleKey = 1000

// fact is a field of the object read on the way: apiVersion, kind, and metadata.name,
// generateName and namespace. As with lookups in the node tree, the last of duplicate keys wins.
type fact struct {
	state uint8 // factMissing, factNull, factScalar or factOther
	value string
}

const (
	factMissing = iota
	factNull
	factScalar
	factOther // a mapping or sequence
)

// listItem is where an item of the items of a List starts.
type listItem struct {
	i, ls, ln, flow int
	mapping         bool // the item is a block or flow mapping (otherwise the List is left)
}

// fastParser holds the state of the fast path over one document, and buffers reused across
// documents.
type fastParser struct {
	w   *walker
	src []byte
	i   int // cursor
	ls  int // start of the line of the cursor
	ln  int // line of the cursor in the file

	depth   int
	flow    int   // >0 inside a flow collection
	objLine int   // line of the root mapping's first key
	target  *fact // the fact the next scalar value sets, or nil
	scratch []byte
	node    yaml.Node // for the rare scalars resolved through yaml.v3

	apiVersion, kind, name, generateName, namespace fact

	// itemsFact is the root's items; itemsSeq says it is a sequence, whose items start at items.
	itemsFact fact
	itemsSeq  bool
	items     []listItem
	listItems []listItem // a copy of items while they are read

	strs map[string]string // interned apiVersion, kind and namespace values
}

// fastDocument reads the document c with the fast path and appends its objects to objs. ok is
// false when the fast path gave up on it; then nothing was appended.
func (p *parser) fastDocument(c chunk, in []*input.Object) (objs []*input.Object, ok bool) {
	objs = in
	if !fastText(c.doc) {
		return objs, false
	}
	f := &p.fast
	f.w = &p.w
	n := len(objs)
	defer func() {
		if r := recover(); r != nil {
			if _, bail := r.(fastBail); !bail && fastStrict {
				panic(r)
			}
			clear(objs[n:])
			objs, ok = objs[:n], false
		}
	}()
	if !f.document(c) {
		return objs, false
	}
	if !f.isList() {
		return append(objs, p.fastObject(false)), true
	}
	// A List: read each item again as an object, as the yaml.v3 path does.
	if !f.plainObject(false) {
		f.bail()
	}
	items := append(f.listItems[:0], f.items...)
	f.listItems = items
	for _, it := range items {
		if !it.mapping {
			f.bail() // an error: left to yaml.v3
		}
		f.i, f.ls, f.ln, f.flow, f.depth = it.i, it.ls, it.ln, it.flow, 1
		f.reset()
		if f.at(f.i) == '{' {
			f.flowMapping(ctxRoot)
		} else {
			f.blockMapping(it.i-it.ls, ctxRoot)
		}
		if f.isList() {
			f.bail() // a List in a List
		}
		objs = append(objs, p.fastObject(true))
	}
	return objs, true
}

// fastObject returns the object the fast path just read, or gives up when it is not a plain
// object, or does not decode.
func (p *parser) fastObject(inList bool) *input.Object {
	f := &p.fast
	if !f.plainObject(inList) {
		f.bail()
	}
	apiVersion, kind := f.apiVersion.value, f.kind.value
	name := f.name.value
	if f.name.state != factScalar || name == "" {
		name = ""
		if f.generateName.state == factScalar {
			name = f.generateName.value
		}
	}
	ns := ""
	if f.namespace.state == factScalar {
		ns = f.namespace.value
	}
	src := finding.Resource{
		APIVersion: apiVersion,
		Kind:       kind,
		Namespace:  ns,
		Name:       name,
		File:       p.file,
		Line:       f.objLine,
	}
	obj := &input.Object{Source: src, Lines: p.w.lines()}
	if p.isKnown(apiVersion, kind) {
		var err error
		if obj.Obj, err = input.DecodeValid(apiVersion, kind, p.w.buf); err != nil {
			f.bail() // the yaml.v3 path reports it at the line of the field
		}
	}
	return obj
}

// plainObject reports whether the mapping just read is an object that needs neither a skip note
// nor an error: it has a string apiVersion and kind, and is no kustomize configuration.
func (f *fastParser) plainObject(inList bool) bool {
	return f.apiVersion.state == factScalar && f.kind.state == factScalar && f.apiVersion.value != "" &&
		f.kind.value != "" && (inList || input.Group(f.apiVersion.value) != "kustomize.config.k8s.io")
}

// isList reports whether the mapping just read is a List for the yaml.v3 path: its kind ends in
// List and its items are a sequence or null.
func (f *fastParser) isList() bool {
	return f.kind.state == factScalar && strings.HasSuffix(f.kind.value, "List") &&
		(f.itemsSeq || f.itemsFact.state == factNull)
}

// fastText reports whether doc has no character the fast path leaves to yaml.v3: control
// characters but tab, LF and CRLF (yaml.v3 refuses most, and breaks lines at a lone CR), NEL,
// line and paragraph separators (line breaks too), byte order marks, U+FFFE and U+FFFF.
func fastText(doc []byte) bool {
	for i := 0; i < len(doc); i++ {
		// Eight bytes at a time while none is below 0x20 (line breaks are) or above 0x7E.
		for i+8 <= len(doc) {
			x := binary.LittleEndian.Uint64(doc[i:])
			below := (x - 0x2020202020202020) &^ x // high bit set where a byte is below 0x20
			above := x | (x + 0x0101010101010101)  // high bit set where a byte is 0x7F or more
			if (below|above)&0x8080808080808080 != 0 {
				break
			}
			i += 8
		}
		if i >= len(doc) {
			break
		}
		c := doc[i]
		if textBytes[c] == 0 {
			continue
		}
		switch c {
		case '\r':
			if i+1 >= len(doc) || doc[i+1] != '\n' {
				return false
			}
		case 0xC2:
			if i+1 < len(doc) && doc[i+1] < 0xA0 {
				return false
			}
		case 0xE2:
			if i+2 < len(doc) && doc[i+1] == 0x80 && (doc[i+2] == 0xA8 || doc[i+2] == 0xA9) {
				return false
			}
		case 0xEF:
			if i+2 < len(doc) && (doc[i+1] == 0xBB && doc[i+2] == 0xBF || doc[i+1] == 0xBF && doc[i+2] >= 0xBE) {
				return false
			}
		default: // other C0 controls and DEL
			return false
		}
	}
	return true
}

// textBytes is 1 for the bytes fastText looks at more closely.
var textBytes = func() (t [256]uint8) {
	for c := range 0x20 {
		t[c] = 1
	}
	t['\t'], t['\n'], t[0x7F], t[0xC2], t[0xE2], t[0xEF] = 0, 0, 1, 1, 1, 1
	return t
}()

func (f *fastParser) bail() { panic(fastBail{}) }

// document reads the document c into f.w. It reports false for documents whose root is not a
// mapping.
func (f *fastParser) document(c chunk) bool {
	f.src, f.i, f.ls, f.ln = c.doc, 0, 0, c.start
	f.depth, f.flow = 0, 0
	f.w.arenaMax = arenaLimit(len(c.doc))
	f.reset()

	if isMarker(f.lineBytes(), '-') {
		f.i += 3
		f.endLine()
	}
	col := f.nextContent()
	if col < 0 {
		return false
	}
	switch c := f.at(f.i); {
	case c == '{':
		f.flowMapping(ctxRoot)
		f.endLine()
	case f.isKey():
		f.blockMapping(col, ctxRoot)
	default:
		return false
	}
	if f.nextContent() >= 0 {
		f.bail()
	}
	return f.objLine > 0 // an empty mapping is no object
}

// reset readies f and its walker for the next object.
func (f *fastParser) reset() {
	w := f.w
	f.objLine, f.target = 0, nil
	f.apiVersion, f.kind, f.name, f.generateName, f.namespace = fact{}, fact{}, fact{}, fact{}, fact{}
	f.itemsFact, f.itemsSeq, f.items = fact{}, false, f.items[:0]
	w.lineOff, w.budget = 0, 0
	w.json, w.recordOffs = true, false
	w.buf, w.path, w.arena, w.ents, w.offs = w.buf[:0], w.path[:0], w.arena[:0], w.ents[:0], w.offs[:0]
	w.depth, w.segments, w.noLines, w.inAlias, w.active = 0, 0, 0, 0, w.active[:0]
}

// Contexts of a mapping, for facts.
const (
	ctxOther = iota
	ctxRoot
	ctxMeta // the value of the root's metadata
)

// at returns the byte at i, or 0 past the end (NUL never occurs in text).
func (f *fastParser) at(i int) byte {
	if i < len(f.src) {
		return f.src[i]
	}
	return 0
}

func isBreakZ(c byte) bool { return c == '\n' || c == '\r' || c == 0 }

func isBlankZ(c byte) bool { return c == ' ' || c == '\t' || isBreakZ(c) }

// lineBytes returns the rest of the current line from the cursor, without its line break.
func (f *fastParser) lineBytes() []byte {
	rest := f.src[f.i:]
	if j := bytes.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	return bytes.TrimSuffix(rest, []byte{'\r'})
}

// nextLine moves the cursor to the start of the next line (or the end).
func (f *fastParser) nextLine() {
	j := bytes.IndexByte(f.src[f.i:], '\n')
	if j < 0 {
		f.i = len(f.src)
		f.ls = f.i
		return
	}
	f.i += j + 1
	f.ls = f.i
	f.ln++
}

// spaces skips spaces; a tab there is left to yaml.v3.
func (f *fastParser) spaces() {
	for f.at(f.i) == ' ' {
		f.i++
	}
	if f.at(f.i) == '\t' {
		f.bail()
	}
}

// endLine checks that only spaces and a comment follow on the line, and moves to the next line.
func (f *fastParser) endLine() {
	f.spaces()
	switch c := f.at(f.i); {
	case isBreakZ(c):
	case c == '#' && f.src[f.i-1] == ' ':
	default:
		f.bail()
	}
	f.nextLine()
}

// nextContent moves the cursor from the start of its line past blank and comment lines to the
// first character of the next line with content, and returns its column; -1 at the end of the
// document (the end of the input or a "..." line).
func (f *fastParser) nextContent() int {
	f.i = f.ls
	for {
		f.spaces()
		switch c := f.at(f.i); {
		case c == 0:
			return -1
		case c == '#' || c == '\n' || c == '\r':
			f.nextLine()
			continue
		case f.i == f.ls && c == '.' && isMarker(f.lineBytes(), '.'):
			f.nextLine()
			for f.i < len(f.src) { // nothing but blank lines may follow
				f.spaces()
				if !isBreakZ(f.at(f.i)) {
					f.bail()
				}
				f.nextLine()
			}
			return -1
		case f.i == f.ls && c == '-' && isMarker(f.lineBytes(), '-'):
			f.bail()
		}
		return f.i - f.ls
	}
}

func (f *fastParser) enter() {
	if f.depth++; f.depth > maxFastDepth {
		f.bail()
	}
}

// isKey reports whether an implicit key ("key:" followed by a blank) starts at the cursor, which
// it does not move.
func (f *fastParser) isKey() bool {
	i, ln, ls := f.i, f.ln, f.ls
	defer func() { f.i, f.ln, f.ls = i, ln, ls }()
	switch c := f.at(f.i); c {
	case '"', '\'':
		f.quoted()
		f.spaces()
		return f.ln == ln && f.at(f.i) == ':' && isBlankZ(f.at(f.i+1))
	}
	if !f.plainStart() {
		return false
	}
	f.plainEnd(false)
	return f.at(f.i) == ':' && isBlankZ(f.at(f.i+1))
}

// key reads the implicit key at the cursor, up to and including its ':', and enters it: writes
// it to the JSON, pushes it on the path, records its line and says what fact its value is.
func (f *fastParser) key(ctx int, first bool) {
	w := f.w
	line, start := f.ln, f.i
	var raw []byte
	plain := false
	switch f.at(f.i) {
	case '"', '\'':
		raw = f.quoted()
		if f.ln != line {
			f.bail() // an implicit key is on one line
		}
		f.spaces()
	default:
		if !f.plainStart() {
			f.bail()
		}
		s := f.i
		raw = f.src[s:f.plainEnd(f.flow > 0)]
		plain = true
		f.spaces()
	}
	// In block context ':' must be followed by a blank, even after a quoted key.
	if f.at(f.i) != ':' || f.i-start > maxSimpleKey || f.flow == 0 && !isBlankZ(f.at(f.i+1)) {
		f.bail()
	}
	f.i++
	if !first {
		w.buf = append(w.buf, ',')
	}
	var jkey []byte // the key as kubectl writes it to JSON, when not raw
	if plain {
		if string(raw) == "<<" {
			f.bail() // a merge key
		}
		jkey = f.plainKey(raw)
	}
	if jkey == nil {
		jkey = raw
	}
	w.buf = appendString(w.buf, jkey)
	w.buf = append(w.buf, ':')
	w.path = appendPathKey(w.path, jkey)
	w.segments++
	w.enteredKey(line)

	f.target = nil
	switch ctx {
	case ctxRoot:
		switch string(raw) {
		case "apiVersion":
			if f.apiVersion.state != factMissing {
				f.bail() // the yaml.v3 path reports the duplicate
			}
			f.target = &f.apiVersion
		case "kind":
			if f.kind.state != factMissing {
				f.bail()
			}
			f.target = &f.kind
		case "metadata":
			f.name, f.generateName, f.namespace = fact{}, fact{}, fact{}
		case "items":
			f.target = &f.itemsFact
			f.itemsSeq, f.items = false, f.items[:0]
		}
	case ctxMeta:
		switch string(raw) {
		case "name":
			f.target = &f.name
		case "generateName":
			f.target = &f.generateName
		case "namespace":
			f.target = &f.namespace
		}
	}
}

// valueCtx is the context of the value of the key just read in a mapping of context ctx.
func valueCtx(ctx int, w *walker) int {
	if ctx == ctxRoot && string(w.path) == "metadata" {
		return ctxMeta
	}
	return ctxOther
}

// rootKey notes the line of the root mapping's first key, the cursor on it: it is the object's
// line, which Lines need not repeat.
func (f *fastParser) rootKey() {
	if f.objLine == 0 {
		f.objLine, f.w.inherited = f.ln, f.ln
	}
}

// setFact records the value of the current target fact.
func (f *fastParser) setFact(state uint8, raw []byte) {
	t := f.target
	if t == nil {
		return
	}
	f.target = nil
	t.state, t.value = state, ""
	if state != factScalar {
		return
	}
	if t == &f.name || t == &f.generateName {
		t.value = string(raw)
		return
	}
	if s, ok := f.strs[string(raw)]; ok {
		t.value = s
		return
	}
	t.value = string(raw)
	if f.strs == nil {
		f.strs = make(map[string]string)
	}
	if len(f.strs) < 1024 {
		f.strs[t.value] = t.value
	}
}

// enterSequence sets the fact of a sequence value, and reports whether it is the root's items.
func (f *fastParser) enterSequence() bool {
	items := f.target == &f.itemsFact
	f.setFact(factOther, nil)
	f.itemsSeq = f.itemsSeq || items
	return items
}

// noteItem notes where the item of the root's items at the cursor starts.
func (f *fastParser) noteItem() {
	it := listItem{i: f.i, ls: f.ls, ln: f.ln, flow: f.flow}
	it.mapping = f.at(f.i) == '{' || f.flow == 0 && f.isKey()
	f.items = append(f.items, it)
}

// blockMapping reads a block mapping whose keys are at column indent, the cursor on the first.
func (f *fastParser) blockMapping(indent, ctx int) {
	w := f.w
	f.enter()
	f.setFact(factOther, nil)
	w.buf = append(w.buf, '{')
	for first := true; ; first = false {
		f.rootKey()
		saved := w.save()
		f.key(ctx, first)
		f.blockValue(indent, valueCtx(ctx, w))
		w.restore(saved)
		col := f.nextContent()
		if col < indent {
			break
		}
		if col > indent {
			f.bail()
		}
	}
	w.buf = append(w.buf, '}')
	f.depth--
}

// blockSequence reads a block sequence whose '-' are at column indent, the cursor on the first.
func (f *fastParser) blockSequence(indent int) {
	w := f.w
	f.enter()
	items := f.enterSequence()
	w.buf = append(w.buf, '[')
	for n := 0; ; n++ {
		if n > 0 {
			w.buf = append(w.buf, ',')
		}
		f.i++ // '-'
		f.spaces()
		saved := w.save()
		w.pushIndex(n)
		switch c := f.at(f.i); {
		case c == '#':
			f.bail() // yaml.v3 moves such comments around
		case isBreakZ(c):
			f.nextLine()
			col := f.nextContent()
			if col <= indent {
				f.bail() // an empty item
			}
			w.record(f.ln)
			if items {
				f.noteItem()
			}
			f.blockNode(col, ctxOther)
		default:
			w.record(f.ln)
			if items {
				f.noteItem()
			}
			col := f.i - f.ls
			if c == '-' && isBlankZ(f.at(f.i+1)) {
				f.blockSequence(col)
			} else if f.isKey() {
				f.blockMapping(col, ctxOther)
			} else {
				f.inlineValue(indent, ctxOther)
			}
		}
		w.restore(saved)
		col := f.nextContent()
		if col < indent || col == indent && !(f.at(f.i) == '-' && isBlankZ(f.at(f.i+1))) {
			break
		}
		if col > indent {
			f.bail()
		}
	}
	w.buf = append(w.buf, ']')
	f.depth--
}

// blockNode reads the collection that starts a line, at column col.
func (f *fastParser) blockNode(col, ctx int) {
	switch {
	case f.at(f.i) == '-' && isBlankZ(f.at(f.i+1)):
		f.blockSequence(col)
	case f.isKey():
		f.blockMapping(col, ctx)
	default:
		f.bail() // a scalar or flow collection on a line of its own
	}
}

// blockValue reads the value of a block mapping key at column owner, the cursor after its ':'.
func (f *fastParser) blockValue(owner, ctx int) {
	f.spaces()
	if c := f.at(f.i); isBreakZ(c) || c == '#' {
		f.nextLine()
		col := f.nextContent()
		switch {
		case col > owner:
			f.blockNode(col, ctx)
		case col == owner && f.at(f.i) == '-' && isBlankZ(f.at(f.i+1)):
			f.blockSequence(col) // a sequence at the indentation of its key
		default:
			f.w.buf = append(f.w.buf, "null"...)
			f.setFact(factNull, nil)
		}
		return
	}
	f.inlineValue(owner, ctx)
}

// inlineValue reads a value that starts on the line of its key or '-': a scalar, a block scalar
// or a flow collection, whose parent collection is at column owner. It leaves the cursor at the
// start of the next line.
func (f *fastParser) inlineValue(owner, ctx int) {
	w := f.w
	switch c := f.at(f.i); c {
	case '|', '>':
		s := f.blockScalar(owner)
		w.buf = appendString(w.buf, s)
		f.setFact(factScalar, s)
		return
	case '"', '\'':
		s := f.quoted()
		w.buf = appendString(w.buf, s)
		f.setFact(factScalar, s)
	case '[':
		f.flowSequence()
	case '{':
		f.flowMapping(ctx)
	default:
		if !f.plainStart() {
			f.bail()
		}
		start := f.i
		end := f.plainEnd(false)
		if f.at(f.i) == ':' {
			f.bail() // "a: b: c"
		}
		if s, more := f.plainMore(owner, f.src[start:end]); more {
			f.plainScalar(s)
		} else {
			f.plainScalar(f.src[start:end])
		}
	}
	f.endLine()
}

// plainStart reports whether a plain scalar may start at the cursor. It is stricter than YAML:
// '?' and ':' never start one.
func (f *fastParser) plainStart() bool {
	switch c := f.at(f.i); c {
	case '-':
		return !isBlankZ(f.at(f.i + 1))
	case 0, ' ', '\t', '\r', '\n', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	}
	return true
}

// plainEnd scans the one-line plain scalar at the cursor and returns its end; the cursor is left
// after the blanks that follow it. In a flow collection it gives up when the scalar may go on on
// the next line.
func (f *fastParser) plainEnd(flow bool) int {
	stop := &blockStops
	if flow {
		stop = &flowStops
	}
	i := f.i
	end := i
	for {
		for i < len(f.src) && stop[f.src[i]] == 0 {
			i++
			end = i
		}
		switch c := f.at(i); {
		case c == '\t':
			f.bail()
		case c == ' ':
			j := i + 1
			for f.at(j) == ' ' {
				j++
			}
			n := f.at(j)
			if n == '\t' {
				f.bail()
			}
			if isBreakZ(n) || n == '#' || f.plainStop(j, flow) {
				f.i = j
				if flow && isBreakZ(n) {
					f.plainContinues()
				}
				return end
			}
			i = j
		case isBreakZ(c):
			f.i = i
			if flow {
				f.plainContinues()
			}
			return end
		case f.plainStop(i, flow):
			f.i = i
			return end
		default:
			i++
			end = i
		}
	}
}

// plainMore reads the lines that continue the plain scalar first of a block collection at column
// owner, the cursor after first. Lines indented past owner continue it, a comment ends it; line
// breaks fold as in quoted scalars. more is false when no line continues it.
func (f *fastParser) plainMore(owner int, first []byte) (s []byte, more bool) {
	for isBreakZ(f.at(f.i)) {
		j, ls, ln, breaks := f.i, f.ls, f.ln, 0
	ahead:
		for {
			switch f.at(j) {
			case '\r':
				j++
			case '\n':
				j++
				ls, ln, breaks = j, ln+1, breaks+1
			case ' ':
				j++
			case '\t':
				f.bail()
			default:
				break ahead
			}
		}
		if c := f.at(j); c == 0 || c == '#' || j-ls <= owner {
			break
		}
		if !more {
			s, more = append(f.scratch[:0], first...), true
		}
		if breaks == 1 {
			s = append(s, ' ')
		}
		for ; breaks > 1; breaks-- {
			s = append(s, '\n')
		}
		f.i, f.ls, f.ln = j, ls, ln
		end := f.plainEnd(false)
		if f.at(f.i) == ':' {
			f.bail() // a mapping value after a multi-line scalar
		}
		s = append(s, f.src[j:end]...)
	}
	if more {
		f.scratch = s
	}
	return s, more
}

// blockStops and flowStops are 1 for the bytes plainEnd looks at more closely, in block and flow
// context.
var blockStops, flowStops = func() (b, f [256]uint8) {
	for _, c := range " \t\r\n:" {
		b[c], f[c] = 1, 1
	}
	for _, c := range ",?[]{}" {
		f[c] = 1
	}
	return b, f
}()

// plainStop reports whether the character at i ends a plain scalar: ':' before a blank, and the
// flow indicators in a flow collection.
func (f *fastParser) plainStop(i int, flow bool) bool {
	switch f.at(i) {
	case ':':
		return isBlankZ(f.at(i + 1))
	case ',', '?', '[', ']', '{', '}':
		return flow
	}
	return false
}

// plainContinues gives up when the plain scalar of a flow collection that ended a line goes on
// on the next one: what follows the line break must be a comment or end it.
func (f *fastParser) plainContinues() {
	j := f.i
	for {
		switch f.at(j) {
		case ' ', '\n', '\r':
			j++
			continue
		case '\t':
			f.bail()
		}
		break
	}
	if c := f.at(j); c != '#' && !f.plainStop(j, true) && c != 0 {
		f.bail()
	}
}

// plainScalar writes the plain scalar s as JSON, resolved as yaml.v3 and kubectl do.
func (f *fastParser) plainScalar(s []byte) {
	w := f.w
	switch plainClass(s) {
	case plainString:
		w.buf = appendString(w.buf, s)
		f.setFact(factScalar, s)
		return
	case plainNull:
		w.buf = append(w.buf, "null"...)
		f.setFact(factNull, nil)
		return
	case plainTrue:
		w.buf = append(w.buf, "true"...)
	case plainFalse:
		w.buf = append(w.buf, "false"...)
	case plainInt:
		w.buf = append(w.buf, s...)
	default:
		n := f.resolve(s)
		if n.ShortTag() == "!!null" {
			w.buf = append(w.buf, "null"...)
			f.setFact(factNull, nil)
			return
		}
		w.scalarJSON(n)
	}
	f.setFact(factScalar, s)
}

// plainKey returns the JSON key of the plain key s, or nil when it is s itself.
func (f *fastParser) plainKey(s []byte) []byte {
	switch plainClass(s) {
	case plainString, plainInt:
		return nil
	case plainNull:
		return []byte("null")
	case plainTrue:
		return []byte("true")
	case plainFalse:
		return []byte("false")
	}
	k, err := f.w.key(f.resolve(s))
	if err != nil {
		f.bail()
	}
	return []byte(k)
}

// resolve returns a plain scalar node of value s, tagged as yaml.v3 tags it.
func (f *fastParser) resolve(s []byte) *yaml.Node {
	n := &f.node
	*n = yaml.Node{Kind: yaml.ScalarNode, Value: string(s)}
	n.Tag = n.ShortTag()
	return n
}

// Classes of plain scalars, by how yaml.v3 resolves them.
const (
	plainString = iota
	plainNull
	plainTrue
	plainFalse
	plainInt   // an integer in canonical JSON form
	plainOther // left to yaml.v3: other numbers, timestamps, special floats
)

// plainClass tells how yaml.v3 resolves the plain scalar s (YAML 1.2 core schema, as yaml.v3
// implements it), without allocating for the common cases.
func plainClass(s []byte) int {
	if len(s) == 0 {
		return plainNull
	}
	switch s[0] {
	case 'y', 'Y', 'n', 'N', 't', 'T', 'f', 'F', 'o', 'O', '~':
		switch string(s) {
		case "true", "True", "TRUE":
			return plainTrue
		case "false", "False", "FALSE":
			return plainFalse
		case "~", "null", "Null", "NULL":
			return plainNull
		}
		return plainString
	case '+', '-', '.', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		// Numbers, timestamps and the special floats use no other characters than these.
		for _, c := range s {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' ||
				strings.IndexByte("xXoOtTzZ+-._:, ", c) >= 0) {
				switch string(s) {
				case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
					return plainOther
				}
				return plainString
			}
		}
		if len(s) <= 300 && isJSONInt(string(s)) {
			return plainInt
		}
		return plainOther
	}
	return plainString
}

// quoted reads the single- or double-quoted scalar at the cursor and returns its value (in the
// source or in f.scratch).
func (f *fastParser) quoted() []byte {
	q := f.at(f.i)
	start := f.i + 1
	for i := start; ; i++ {
		switch c := f.at(i); {
		case c == q && !(q == '\'' && f.at(i+1) == '\''):
			f.i = i + 1
			return f.src[start:i]
		case c == q || c == '\\' && q == '"' || isBreakZ(c):
			return f.unquote(q, start)
		}
	}
}

// unquote reads a quoted scalar with escapes or over several lines from start, just after its
// opening quote: line breaks fold into a space, or into the empty lines that follow them, and
// white space around them goes.
func (f *fastParser) unquote(q byte, start int) []byte {
	s := f.scratch[:0]
	i := start
	for {
		if i == f.ls && i+3 <= len(f.src) && (string(f.src[i:i+3]) == "---" || string(f.src[i:i+3]) == "...") && isBlankZ(f.at(i+3)) {
			f.bail() // a document marker: yaml.v3 refuses it here
		}
		leadingBlanks := false
	run:
		for {
			c := f.at(i)
			switch {
			case c == 0:
				f.bail() // not closed
			case c == ' ' || c == '\t' || c == '\n' || c == '\r':
				break run
			case c == q && q == '\'':
				if f.at(i+1) != '\'' {
					f.i, f.scratch = i+1, s
					return s
				}
				s = append(s, '\'')
				i += 2
			case c == q:
				f.i, f.scratch = i+1, s
				return s
			case c == '\\' && q == '"':
				if n := f.at(i + 1); n == '\n' || n == '\r' { // an escaped line break
					i = f.lineBreak(i + 1)
					leadingBlanks = true
					break run
				}
				s, i = f.escape(s, i)
			default:
				s = append(s, c)
				i++
			}
		}
		ws, wsEnd := i, i
		leadingBreak, breaks := false, 0
		for {
			c := f.at(i)
			if c == ' ' || c == '\t' {
				i++
				if !leadingBlanks {
					wsEnd = i
				}
				continue
			}
			if c != '\n' && c != '\r' {
				break
			}
			if !leadingBlanks {
				leadingBreak, leadingBlanks = true, true
			} else {
				breaks++
			}
			i = f.lineBreak(i)
		}
		switch {
		case !leadingBlanks:
			s = append(s, f.src[ws:wsEnd]...)
		case leadingBreak && breaks == 0:
			s = append(s, ' ')
		default:
			for ; breaks > 0; breaks-- {
				s = append(s, '\n')
			}
		}
	}
}

// lineBreak moves past the line break at i, to the start of the next line, and returns it.
func (f *fastParser) lineBreak(i int) int {
	if f.src[i] == '\r' {
		i++ // fastText made sure LF follows
	}
	i++
	f.ls, f.ln = i, f.ln+1
	return i
}

// escape appends the character of the escape sequence at i of a double-quoted scalar to s, and
// returns the index after the sequence.
func (f *fastParser) escape(s []byte, i int) ([]byte, int) {
	n := 0
	switch e := f.at(i + 1); e {
	case '0':
		s = append(s, 0)
	case 'a':
		s = append(s, '\a')
	case 'b':
		s = append(s, '\b')
	case 't', '\t':
		s = append(s, '\t')
	case 'n':
		s = append(s, '\n')
	case 'v':
		s = append(s, '\v')
	case 'f':
		s = append(s, '\f')
	case 'r':
		s = append(s, '\r')
	case 'e':
		s = append(s, 0x1B)
	case ' ', '"', '\'', '\\':
		s = append(s, e)
	case 'N':
		s = utf8.AppendRune(s, 0x85)
	case '_':
		s = utf8.AppendRune(s, 0xA0)
	case 'L':
		s = utf8.AppendRune(s, 0x2028)
	case 'P':
		s = utf8.AppendRune(s, 0x2029)
	case 'x':
		n = 2
	case 'u':
		n = 4
	case 'U':
		n = 8
	default:
		f.bail() // an unknown escape
	}
	i += 2
	if n == 0 {
		return s, i
	}
	r := 0
	for k := 0; k < n; k++ {
		d := hexDigit(f.at(i + k))
		if d < 0 {
			f.bail()
		}
		r = r<<4 | d
	}
	if r >= 0xD800 && r <= 0xDFFF || r > 0x10FFFF {
		f.bail()
	}
	return utf8.AppendRune(s, rune(r)), i + n
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// blockScalar reads the literal or folded block scalar at the cursor, of a collection at column
// owner, and returns its value (in f.scratch). It leaves the cursor at the start of the line that
// ends it.
func (f *fastParser) blockScalar(owner int) []byte {
	literal := f.at(f.i) == '|'
	f.i++
	chomp, inc := 0, 0 // chomp: -1 strip, 0 clip, 1 keep
	chomping := func(c byte) bool {
		switch c {
		case '-':
			chomp = -1
		case '+':
			chomp = 1
		default:
			return false
		}
		f.i++
		return true
	}
	indentation := func(c byte) bool {
		if c < '1' || c > '9' {
			if c == '0' {
				f.bail()
			}
			return false
		}
		inc = int(c - '0')
		f.i++
		return true
	}
	if chomping(f.at(f.i)) {
		indentation(f.at(f.i))
	} else if indentation(f.at(f.i)) {
		chomping(f.at(f.i))
	}
	f.endLine()

	indent := 0
	if inc > 0 {
		indent = owner + inc
	}
	s := f.scratch[:0]
	breaks := 0 // line breaks not written yet
	// Leading empty lines; without an indentation indicator, the most indented of them and the
	// first line with content give the indentation.
	maxIndent := 0
	for {
		col := f.blockIndent(indent)
		maxIndent = max(maxIndent, col)
		if c := f.at(f.i); c != '\n' && c != '\r' {
			break
		}
		breaks++
		f.nextLine()
	}
	if indent == 0 {
		indent = max(maxIndent, owner+1, 1)
	}
	leadingBreak, leadingBlank := false, false
	for f.i-f.ls == indent && f.i < len(f.src) {
		c := f.at(f.i)
		trailingBlank := c == ' ' || c == '\t'
		if !literal && leadingBreak && !leadingBlank && !trailingBlank {
			if breaks == 0 {
				s = append(s, ' ') // folded
			}
		} else if leadingBreak {
			s = append(s, '\n')
		}
		for ; breaks > 0; breaks-- {
			s = append(s, '\n')
		}
		leadingBlank = trailingBlank
		e := f.i
		for e < len(f.src) && f.src[e] != '\n' && f.src[e] != '\r' {
			e++
		}
		s = append(s, f.src[f.i:e]...)
		f.i = e
		if leadingBreak = e < len(f.src); !leadingBreak {
			f.ls = e
			break
		}
		f.nextLine()
		for {
			f.blockIndent(indent)
			if c := f.at(f.i); c != '\n' && c != '\r' {
				break
			}
			breaks++
			f.nextLine()
		}
	}
	if chomp != -1 && leadingBreak {
		s = append(s, '\n')
	}
	if chomp == 1 {
		for ; breaks > 0; breaks-- {
			s = append(s, '\n')
		}
	}
	f.scratch = s
	if f.i >= len(f.src) {
		f.ls = len(f.src)
	}
	f.i = f.ls
	return s
}

// blockIndent moves the cursor from the start of its line past the indentation of a block scalar
// (all spaces while indent is 0, otherwise up to indent) and returns the column reached.
func (f *fastParser) blockIndent(indent int) int {
	f.i = f.ls
	for f.at(f.i) == ' ' && (indent == 0 || f.i-f.ls < indent) {
		f.i++
	}
	col := f.i - f.ls
	if f.at(f.i) == '\t' && (indent == 0 || col < indent) {
		f.bail()
	}
	return col
}

// flowWS skips white space, line breaks and comments inside a flow collection.
func (f *fastParser) flowWS() {
	for {
		switch f.at(f.i) {
		case ' ':
			f.i++
		case '\t':
			f.bail()
		case '\r', '\n':
			f.nextLine()
		case '#':
			if f.i > f.ls && f.src[f.i-1] != ' ' {
				f.bail()
			}
			f.nextLine()
		default:
			return
		}
	}
}

// flowNode reads a node inside a flow collection.
func (f *fastParser) flowNode(ctx int) {
	w := f.w
	switch c := f.at(f.i); c {
	case '[':
		f.flowSequence()
	case '{':
		f.flowMapping(ctx)
	case '"', '\'':
		s := f.quoted()
		w.buf = appendString(w.buf, s)
		f.setFact(factScalar, s)
	default:
		if !f.plainStart() {
			f.bail()
		}
		start := f.i
		f.plainScalar(f.src[start:f.plainEnd(true)])
	}
}

// flowSequence reads the flow sequence at the cursor.
func (f *fastParser) flowSequence() {
	w := f.w
	f.enter()
	items := f.enterSequence()
	f.flow++
	f.i++
	w.buf = append(w.buf, '[')
	for n := 0; ; n++ {
		f.flowWS()
		if f.at(f.i) == ']' {
			break
		}
		if n > 0 {
			w.buf = append(w.buf, ',')
		}
		saved := w.save()
		w.pushIndex(n)
		w.record(f.ln)
		if items {
			f.noteItem()
		}
		f.flowNode(ctxOther)
		w.restore(saved)
		f.flowWS()
		if c := f.at(f.i); c == ']' {
			break
		} else if c != ',' {
			f.bail()
		}
		f.i++
	}
	f.i++
	w.buf = append(w.buf, ']')
	f.flow--
	f.depth--
}

// flowMapping reads the flow mapping at the cursor.
func (f *fastParser) flowMapping(ctx int) {
	w := f.w
	f.enter()
	f.setFact(factOther, nil)
	f.flow++
	f.i++
	w.buf = append(w.buf, '{')
	for first := true; ; first = false {
		f.flowWS()
		if f.at(f.i) == '}' {
			break
		}
		f.rootKey()
		saved := w.save()
		f.key(ctx, first)
		f.flowWS()
		if c := f.at(f.i); c == ',' || c == '}' {
			f.bail() // an empty value
		}
		f.flowNode(valueCtx(ctx, w))
		w.restore(saved)
		f.flowWS()
		if c := f.at(f.i); c == '}' {
			break
		} else if c != ',' {
			f.bail()
		}
		f.i++
	}
	f.i++
	w.buf = append(w.buf, '}')
	f.flow--
	f.depth--
}

package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/input"
)

// Parse parses the bytes of one file (or of one admission request, or of stdin) named name. It
// returns the objects with a kind, in order, and one *Error per malformed document; the other
// documents are still returned.
func Parse(name string, data []byte, opts Options) ([]*input.Object, []error) {
	return parseBytes(name, data, opts, false, false)
}

func parseBytes(name string, data []byte, opts Options, perDocument, noFast bool) ([]*input.Object, []error) {
	p := newParser(&opts)
	p.perDocument, p.noFast = perDocument, noFast
	if int64(len(data)) > opts.maxSize() {
		p.fail(name, 0, tooLarge(int64(len(data)), opts.maxSize()))
		return nil, p.errs
	}
	p.parse(name, data)
	return p.objs, p.errs
}

// parser accumulates the objects and errors of one Load or Parse call and holds the buffers reused
// from one object to the next. A parallel Load has one parser per worker (see loader), none of
// whose state is shared.
type parser struct {
	opts *Options
	objs []*input.Object
	errs []error
	// notes, when buffer is set, holds the skip notes for the loader to pass on in input order
	// (Options.Skipped is called from one goroutine); otherwise they go to Options.Skipped at once.
	notes  []note
	buffer bool

	file string
	w    walker
	fast fastParser
	// perDocument turns off the single-decoder path (see stream), and noFast the fast path
	// (see fastDocument), for tests.
	perDocument, noFast bool
	known               map[[2]string]bool // input.Known by apiVersion and kind (it allocates an object)

	docs, fastDocs int // documents read, and those the fast path read (for measurements)

	chunks   []chunk         // documents of the current file
	done     []fastResult    // what the fast path did with each chunk
	fastObjs []*input.Object // objects of the documents the fast path read
	read     []byte          // file contents, reused from file to file
}

// note is a skip note kept for Options.Skipped.
type note struct {
	file string
	line int
	why  string
}

// fastResult is what the fast path did with a document: whether it read it, and the objects it
// found.
type fastResult struct {
	objs []*input.Object
	ok   bool
}

func newParser(opts *Options) *parser { return &parser{opts: opts, known: map[[2]string]bool{}} }

func (p *parser) isKnown(apiVersion, kind string) bool {
	k := [2]string{apiVersion, kind}
	known, ok := p.known[k]
	if !ok {
		known = input.Known(apiVersion, kind)
		if len(p.known) < 1000 {
			p.known[k] = known
		}
	}
	return known
}

func (p *parser) fail(file string, line int, err error) {
	p.errs = append(p.errs, &Error{File: file, Line: line, Err: err})
}

// parse reads one file's bytes.
func (p *parser) parse(name string, data []byte) {
	p.file = name
	data, ok := text(data)
	if !ok {
		p.fail(name, 0, ErrBinary)
		return
	}
	chunks := p.chunks[:0]
	splitDocuments(data, func(c chunk) { chunks = append(chunks, c) })
	p.chunks = chunks
	done := slices.Grow(p.done[:0], len(chunks))[:len(chunks)]
	objs := p.fastChunks(chunks, done, p.fastObjs[:0])
	p.finish(data, chunks, done)
	clear(objs)
	clear(done)
	p.done, p.fastObjs = done[:0], objs[:0]
}

// fastChunks reads the documents chunks with the fast path, appending the objects it reads to
// objs, and says in done[i] what it did with chunks[i].
func (p *parser) fastChunks(chunks []chunk, done []fastResult, objs []*input.Object) []*input.Object {
	for i, c := range chunks {
		from, ok := len(objs), false
		if !p.noFast {
			objs, ok = p.fastDocument(c, objs)
		}
		p.docs++
		if ok {
			p.fastDocs++
		}
		// Later appends may move objs; this slice keeps the array these objects are in.
		done[i] = fastResult{objs: objs[from:len(objs):len(objs)], ok: ok}
	}
	return objs
}

// finish passes on the objects of the documents of data that the fast path read, in order, and
// reads the others with yaml.v3: runs of them with one decoder where it can.
func (p *parser) finish(data []byte, chunks []chunk, done []fastResult) {
	stream := -1 // whether data is streamable, once known
	for i := 0; i < len(chunks); {
		if r := done[i]; r.ok {
			p.objs = append(p.objs, r.objs...)
			i++
			continue
		}
		j := i + 1
		for j < len(chunks) && !done[j].ok {
			j++
		}
		next := i
		if j-i > 1 && !p.perDocument {
			if stream < 0 {
				stream = 0
				if streamable(data) {
					stream = 1
				}
			}
			if stream == 1 {
				next += p.stream(data, chunks[i:j])
			}
		}
		for _, c := range chunks[next:j] {
			p.document(c.doc, c.start, c.first)
		}
		i = j
	}
}

// chunk is one document of a file: its bytes, their offset in the file, the line it starts at,
// and its first line with content.
type chunk struct {
	doc          []byte
	off          int
	start, first int
}

// stream reads the documents of chunks, consecutive documents of data, with one yaml.Decoder,
// which saves setting up a parser per document (a sixth of the parsing time), and returns the
// index of the first chunk it did not read: on an error it stops, and the documents from the
// failing one on are read one by one, which reports the error at its line and goes on past it.
// Only streamable data comes here, so the decoder sees the same documents as splitDocuments and
// reads each the same way.
func (p *parser) stream(data []byte, chunks []chunk) (next int) {
	last := chunks[len(chunks)-1]
	data = data[chunks[0].off : last.off+len(last.doc)]
	lineOff := chunks[0].start - 1 // the decoder counts lines from the first chunk's
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for next < len(chunks) {
		var n yaml.Node
		if !decode(dec, &n) || n.Kind != yaml.DocumentNode {
			return next
		}
		if len(n.Content) == 0 {
			continue
		}
		root := n.Content[0]
		if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
			continue // an empty document, wherever yaml.v3 places it
		}
		line := root.Line + lineOff
		i := next
		for i+1 < len(chunks) && chunks[i+1].start <= line {
			i++
		}
		if line < chunks[i].start {
			continue // not expected: a document that chunk did not have
		}
		for _, c := range chunks[next:i] { // chunks the decoder found empty: read them alone
			p.document(c.doc, c.start, c.first)
		}
		p.root(root, lineOff, len(chunks[i].doc), chunks[i].start)
		next = i + 1
	}
	return next
}

// decode reads the next document, reporting false at the end, on an error or on a panic.
func decode(dec *yaml.Decoder, n *yaml.Node) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return dec.Decode(n) == nil
}

// streamable reports whether a yaml.Decoder reads data's documents as splitDocuments and
// document do: data has no anchors (a decoder resolves aliases to anchors of earlier documents),
// no directives (which it may carry over too), and none of the characters fastText leaves to
// yaml.v3: line breaks but LF and CRLF (a decoder would see document markers after others), and
// control characters (a decoder reading from an io.Reader does not refuse one at the end of its
// input as yaml.Unmarshal does, but stops before it and reports nothing).
func streamable(data []byte) bool {
	if len(data) > 0 && data[0] == '%' || bytes.Contains(data, []byte("\n%")) || !fastText(data) {
		return false
	}
	for i := bytes.IndexByte(data, '&'); i >= 0; {
		if mayBeAnchor(data, i) {
			return false
		}
		j := bytes.IndexByte(data[i+1:], '&')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return true
}

// mayBeAnchor reports whether the '&' at data[i] may start an anchor: it follows what may come
// before a node (line start, blank, flow indicator, ':') and is followed by a name. "a && b" and
// "x=1&y=2" are not anchors; "cmd &>/dev/null" is taken for one, which only costs speed.
func mayBeAnchor(data []byte, i int) bool {
	if i > 0 {
		switch data[i-1] {
		case '\n', ' ', '\t', '[', '{', ',', ':':
		default:
			return false
		}
	}
	if i+1 >= len(data) {
		return false
	}
	switch data[i+1] {
	case ' ', '\t', '\r', '\n', '&':
		return false
	}
	return true
}

// text returns data as UTF-8 text without a byte order mark, converting UTF-16 (which YAML allows
// and some Windows editors write) when it starts with a byte order mark. ok is false for binary
// content: NUL bytes or invalid UTF-8.
func text(data []byte) (_ []byte, ok bool) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	case len(data) >= 2 && len(data)%2 == 0 && (data[0] == 0xFF && data[1] == 0xFE || data[0] == 0xFE && data[1] == 0xFF):
		le := data[0] == 0xFF
		u := make([]uint16, 0, len(data)/2-1)
		for i := 2; i+1 < len(data); i += 2 {
			if le {
				u = append(u, uint16(data[i])|uint16(data[i+1])<<8)
			} else {
				u = append(u, uint16(data[i])<<8|uint16(data[i+1]))
			}
		}
		var b bytes.Buffer
		b.Grow(len(u))
		for _, r := range utf16.Decode(u) {
			if r == utf8.RuneError {
				return nil, false
			}
			b.WriteRune(r)
		}
		data = b.Bytes()
	}
	if bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
		return nil, false
	}
	return data, true
}

// splitDocuments calls fn with each YAML document of data that has content: its bytes and their
// offset, the 1-based line where it starts and the line of its first content. Documents are split at "---" and "..." lines
// (column 0), as YAML forbids those markers inside content and kubectl splits the same way;
// splitting first lets a malformed document be reported while the others are still read. Empty
// and comment-only documents are not passed on. A "---" that follows directives (%YAML, %TAG)
// stays in their document.
func splitDocuments(data []byte, fn func(chunk)) {
	start, startLine, contentLine := 0, 1, 0
	content, directive := false, false
	line := 1
	for pos := 0; pos < len(data); line++ {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			end += pos
			next = end + 1
		} else {
			end = len(data)
		}
		l := data[pos:end]
		switch {
		case isMarker(l, '-'):
			if content || !directive {
				if content {
					fn(chunk{data[start:pos], start, startLine, contentLine})
				}
				start, startLine, directive = pos, line, false
			}
			content, contentLine = hasContent(l[3:]), line
		case isMarker(l, '.'):
			if content {
				fn(chunk{data[start:next], start, startLine, contentLine})
			}
			start, startLine, content, directive = next, line+1, false, false
		case !content:
			if len(l) > 0 && l[0] == '%' {
				directive = true
			} else {
				content, contentLine = hasContent(l), line
			}
		}
		pos = next
	}
	if content {
		fn(chunk{data[start:], start, startLine, contentLine})
	}
}

// isMarker reports whether line is a document marker: three c at column 0, then the end of the
// line or white space.
func isMarker(line []byte, c byte) bool {
	if len(line) < 3 || line[0] != c || line[1] != c || line[2] != c {
		return false
	}
	return len(line) == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r'
}

// hasContent reports whether a line holds more than white space and a comment.
func hasContent(l []byte) bool {
	for _, c := range l {
		switch c {
		case ' ', '\t', '\r':
			continue
		case '#':
			return false
		}
		return true
	}
	return false
}

// document parses one document of p.file starting at line start, with content from line first. A
// panic anywhere below becomes an error for this document.
func (p *parser) document(doc []byte, start, first int) {
	defer func() {
		if r := recover(); r != nil {
			p.fail(p.file, start, fmt.Errorf("internal error reading this document: %v", r))
		}
	}()
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		// yaml.v3 gives no line for some errors (an unknown anchor) and for those on the first line.
		line, msg := yamlError(err)
		if strings.HasPrefix(msg, "did not find expected") {
			if len(doc) <= maxRefine {
				line = problemLine(doc, msg, line)
			} else {
				line++ // the 1-based line where the enclosing block starts
			}
		}
		if line > 0 {
			line += start - 1
		} else {
			line = first
		}
		p.fail(p.file, line, errors.New(msg))
		return
	}
	if n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
		return
	}
	p.root(n.Content[0], start-1, len(doc), start)
}

// root reads the root node of a document of size bytes starting at line start, whose node lines
// are lineOff lines off. A panic becomes an error for this document.
func (p *parser) root(root *yaml.Node, lineOff, size, start int) {
	defer func() {
		if r := recover(); r != nil {
			p.fail(p.file, start, fmt.Errorf("internal error reading this document: %v", r))
		}
	}()
	p.w.lineOff = lineOff
	p.w.budget = aliasBudget(size)
	p.w.arenaMax = arenaLimit(size)
	line := p.w.line(root.Line)
	switch root.Kind {
	case yaml.MappingNode:
		p.object(root, 0, 0)
	case yaml.SequenceNode:
		// kubectl reads neither; a sequence of objects is surely a mistake, any other sequence
		// (an Ansible playbook, say) is just not a manifest.
		for _, it := range root.Content {
			if it = p.w.deref(it); it != nil && p.w.lookup(it, "kind") != nil {
				p.fail(p.file, line, errors.New("document is a YAML sequence of objects, which kubectl does not read: separate the objects with --- or wrap them in a List"))
				return
			}
		}
		p.skip(line, "skipped: a YAML sequence, not a Kubernetes object")
	case yaml.ScalarNode:
		if root.ShortTag() != "!!null" {
			p.skip(line, "skipped: a "+scalarName(root)+", not a Kubernetes object")
		}
	default:
		p.fail(p.file, line, errors.New("document is not a Kubernetes object"))
	}
}

func (p *parser) skip(line int, why string) {
	switch {
	case p.opts.Skipped == nil:
	case p.buffer:
		p.notes = append(p.notes, note{p.file, line, why})
	default:
		p.opts.Skipped(p.file, line, why)
	}
}

// aliasBudget is how much alias expansion a document of n bytes may do: ten times its size, within
// fixed bounds, counted in nodes plus scalar bytes.
func aliasBudget(n int) int {
	return min(100_000+10*n, 1<<25)
}

// maxRefine is the largest document whose parser errors are located by problemLine, which parses
// it about log2(lines) times.
const maxRefine = 1 << 20

// problemLine finds the line of a yaml.v3 parser error ("did not find expected key"), which
// yaml.v3 reports at the line before the enclosing block (its 0-based start): it is the last line
// of the shortest prefix of doc that fails the same way. reported is yaml.v3's line.
func problemLine(doc []byte, msg string, reported int) int {
	var ends []int // ends[i] is the end of line i+1, newline included
	for i, c := range doc {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(doc) {
		ends = append(ends, len(doc))
	}
	fails := func(lines int) bool {
		var n yaml.Node
		err := yaml.Unmarshal(doc[:ends[lines-1]], &n)
		if err == nil {
			return false
		}
		_, m := yamlError(err)
		return m == msg
	}
	lo := max(reported, 1) // the problem is at or after the block it sits in
	if lo > len(ends) {
		return reported
	}
	i := lo + sort.Search(len(ends)-lo+1, func(i int) bool { return fails(lo + i) })
	if i > len(ends) {
		return reported
	}
	return i
}

// yamlError splits a yaml.v3 error into its line (0 when it has none) and message.
func yamlError(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				return n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return 0, msg
}

func scalarName(n *yaml.Node) string {
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "number"
	case "!!bool":
		return "boolean"
	}
	return "string"
}

// maxListDepth bounds Lists nested in Lists.
const maxListDepth = 8

// object turns the mapping m (a document, or an item of a List) into an object. listDepth is how
// many Lists m sits in; aliasLine is the line of the alias the List item m was written as, or 0.
func (p *parser) object(m *yaml.Node, listDepth, aliasLine int) {
	w := &p.w
	line := w.line(m.Line)
	if len(m.Content) > 0 {
		line = w.line(m.Content[0].Line)
	}
	if aliasLine > 0 {
		line = w.line(aliasLine)
	}
	for _, key := range []string{"apiVersion", "kind"} {
		// The object's identity written twice is two objects run together, most likely files
		// joined without "---" between them: reading it as one would hide the first.
		if first, again := w.duplicateKey(m, key); again != nil {
			p.fail(p.file, w.line(again.Line), fmt.Errorf("duplicate key %q (first at line %d): two objects run together? Separate documents with ---", key, w.line(first.Line)))
			return
		}
	}
	apiVersion, hasAPIVersion, err := p.stringField(m, "apiVersion")
	if err != nil {
		p.fail(p.file, line, err)
		return
	}
	kind, hasKind, err := p.stringField(m, "kind")
	if err != nil {
		p.fail(p.file, line, err)
		return
	}
	switch {
	case !hasAPIVersion && !hasKind:
		if listDepth > 0 {
			p.fail(p.file, line, errors.New("List item has no apiVersion/kind"))
		} else {
			p.skip(line, "skipped: no apiVersion/kind")
		}
		return
	case input.Group(apiVersion) == "kustomize.config.k8s.io" && listDepth == 0:
		p.skip(line, "skipped: kustomize configuration, not a Kubernetes object")
		return
	case !hasKind && listDepth == 0 && w.lookup(m, "name") != nil && w.lookup(m, "version") != nil:
		p.skip(line, "skipped: Helm chart metadata, not a Kubernetes object")
		return
	case !hasKind:
		p.fail(p.file, line, fmt.Errorf("object has apiVersion %q but no kind", apiVersion))
		return
	case !hasAPIVersion:
		p.fail(p.file, line, fmt.Errorf("%s has no apiVersion", kind))
		return
	}

	if strings.HasSuffix(kind, "List") {
		if items := w.lookup(m, "items"); items != nil && (items.Kind == yaml.SequenceNode || items.ShortTag() == "!!null") {
			p.list(items, kind, listDepth)
			return
		}
	}

	meta := w.lookup(m, "metadata")
	name := w.scalar(w.lookup(meta, "name"))
	if name == "" {
		name = w.scalar(w.lookup(meta, "generateName"))
	}
	src := finding.Resource{
		APIVersion: apiVersion,
		Kind:       kind,
		Namespace:  w.scalar(w.lookup(meta, "namespace")),
		Name:       name,
		File:       p.file,
		Line:       line,
	}
	known := p.isKnown(apiVersion, kind)
	if err := w.convert(m, line, known, false, aliasLine > 0); err != nil {
		p.failObject(src, err)
		return
	}
	obj := &input.Object{Source: src, Lines: w.lines()}
	if known {
		obj.Obj, err = input.DecodeValid(apiVersion, kind, w.buf)
		if err != nil {
			p.fail(p.file, p.decodeErrorLine(m, src, aliasLine > 0), err)
			return
		}
	}
	p.objs = append(p.objs, obj)
}

// list reads the items of a List.
func (p *parser) list(items *yaml.Node, kind string, listDepth int) {
	if listDepth >= maxListDepth {
		p.fail(p.file, p.w.line(items.Line), fmt.Errorf("%s nested in more than %d Lists", kind, maxListDepth))
		return
	}
	for i, it := range items.Content {
		if p.w.budget--; p.w.budget < 0 {
			p.fail(p.file, p.w.line(it.Line), ErrAliasBomb)
			return
		}
		aliasLine := 0
		if it.Kind == yaml.AliasNode {
			aliasLine = it.Line
		}
		it = p.w.deref(it)
		if it == nil || it.Kind != yaml.MappingNode {
			p.fail(p.file, p.w.line(items.Content[i].Line), fmt.Errorf("%s item %d is not an object", kind, i))
			continue
		}
		p.object(it, listDepth+1, aliasLine)
	}
}

// stringField returns the string value of m's key; ok is false when the key is missing, null or
// empty.
func (p *parser) stringField(m *yaml.Node, key string) (v string, ok bool, err error) {
	n := p.w.lookup(m, key)
	if n == nil || n.ShortTag() == "!!null" {
		return "", false, nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", false, fmt.Errorf("%s is not a string (line %d)", key, p.w.line(n.Line))
	}
	return n.Value, n.Value != "", nil
}

// failObject records err about the object src; a *lineError carries its own line.
func (p *parser) failObject(src finding.Resource, err error) {
	line := src.Line
	var le *lineError
	if errors.As(err, &le) {
		line = le.line
		err = le.err
	}
	what := src.APIVersion + " " + src.Kind
	if src.Name != "" {
		what += " " + src.Name
	}
	p.fail(p.file, line, fmt.Errorf("%s: %w", what, err))
}

// decodeErrorLine finds the line of the field input.Decode rejected: it decodes the JSON again to
// get the byte offset of the error, and maps it back to a line through offsets recorded while the
// JSON is written anew. It falls back to the object's line.
func (p *parser) decodeErrorLine(m *yaml.Node, src finding.Resource, viaAlias bool) int {
	fresh, err := input.Decode(src.APIVersion, src.Kind, []byte("{}"))
	if err != nil || fresh == nil {
		return src.Line
	}
	w := &p.w
	// The first conversion passed within the budget; this one repeats it.
	budget := w.budget
	defer func() { w.budget = budget }()
	w.budget = 1 << 25
	if w.convert(m, src.Line, true, true, viaAlias) != nil {
		return src.Line
	}
	var te *json.UnmarshalTypeError
	if err := json.Unmarshal(w.buf, fresh); !errors.As(err, &te) {
		return src.Line
	}
	// The value that failed is the last one starting before the offset of the error.
	i := sort.Search(len(w.offs), func(i int) bool { return int64(w.offs[i].off) >= te.Offset })
	if i == 0 {
		return src.Line
	}
	return w.offs[i-1].line
}

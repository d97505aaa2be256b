package manifest

import (
	"fmt"
	"math"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/jobguard/jobguard/internal/input"
)

const (
	// maxDepth bounds the nesting of a document (mappings and sequences, aliases included).
	maxDepth = 1000
	// maxLinePath and maxLineDepth bound the JSON paths recorded in Object.Lines; deeper fields
	// are found through their nearest recorded ancestor (input.Object.LineOf).
	maxLinePath  = 512
	maxLineDepth = 32
	// maxLookups bounds the mappings visited by one lookup through merge keys.
	maxLookups = 1000
)

// lineError is an error tied to a line of the file.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }
func (e *lineError) Unwrap() error { return e.err }

// lineEnt is one recorded path: path bytes [start,end) of the arena, and its line.
type lineEnt struct {
	start, end int32
	line       int32
}

// offLine maps a byte offset of the JSON output to the line of the value written there.
type offLine struct {
	off, line int
}

// walker converts one object's node tree to JSON (into buf) and records the lines of its mapping
// keys and sequence items under their JSON paths. Its buffers are reused from object to object.
type walker struct {
	lineOff int // added to node lines: the line before the document's first line
	budget  int // alias expansion still allowed in this document

	json bool   // write JSON into buf
	buf  []byte // JSON of the object
	path []byte // JSON path of the current node

	arena    []byte    // the bytes of every recorded path of the object
	arenaMax int       // the most arena bytes an object of this document may use
	ents     []lineEnt // recorded paths
	depth    int       // nesting of the current node
	segments int       // segments of path
	noLines  int       // >0 inside a subtree whose lines are not recorded
	// inherited is the line input.Object.LineOf gives the current node's path when it is not
	// recorded (its nearest recorded ancestor's, or the object's): a path on that same line is
	// not recorded, which keeps Lines small and LineOf unchanged.
	inherited int
	inAlias   int // >0 inside an alias expansion
	active    []*yaml.Node

	recordOffs bool // record offs, to map a decode error back to a line
	offs       []offLine
}

// arenaLimit is how many bytes of paths one object of a document of size bytes may record: a few
// times the document, so that hostile input (deep paths, many short keys) cannot make Lines
// explode; the paths left out fall back to their ancestors in LineOf.
func arenaLimit(size int) int { return 1<<20 + 4*size }

func (w *walker) line(l int) int { return l + w.lineOff }

// convert walks the object m, at line objLine of the file. With json it writes m's JSON to w.buf.
// viaAlias says m is the target of an alias (a List item written as *anchor): its expansion counts
// against the budget.
func (w *walker) convert(m *yaml.Node, objLine int, json, recordOffs, viaAlias bool) error {
	w.json, w.recordOffs, w.inherited = json, recordOffs, objLine
	w.buf, w.path, w.arena, w.ents, w.offs = w.buf[:0], w.path[:0], w.arena[:0], w.ents[:0], w.offs[:0]
	w.depth, w.segments, w.noLines, w.inAlias, w.active = 0, 0, 0, 0, w.active[:0]
	if viaAlias {
		w.inAlias = 1
	}
	w.mark(m.Line)
	return w.value(m)
}

// lines returns the recorded lines.
func (w *walker) lines() input.Lines {
	if len(w.ents) == 0 {
		return input.Lines{}
	}
	pairs := make([]int32, 0, 2*len(w.ents))
	for _, e := range w.ents {
		pairs = append(pairs, e.end, e.line)
	}
	return input.NewLines(string(w.arena), pairs)
}

func (w *walker) mark(line int) {
	if w.recordOffs {
		w.offs = append(w.offs, offLine{off: len(w.buf), line: w.line(line)})
	}
}

func (w *walker) errorf(line int, format string, args ...any) error {
	return &lineError{line: w.line(line), err: fmt.Errorf(format, args...)}
}

func (w *walker) value(n *yaml.Node) error {
	if w.inAlias > 0 {
		w.budget -= 1 + len(n.Value)
		if w.budget < 0 {
			return &lineError{line: w.line(n.Line), err: ErrAliasBomb}
		}
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if w.json {
			w.scalarJSON(n)
		}
		return nil
	case yaml.AliasNode:
		return w.alias(n, w.value)
	}
	if w.depth >= maxDepth {
		return w.errorf(n.Line, "nested deeper than %d levels", maxDepth)
	}
	w.depth++
	var err error
	switch n.Kind {
	case yaml.MappingNode:
		err = w.mapping(n)
	case yaml.SequenceNode:
		err = w.sequence(n)
	default:
		err = w.errorf(n.Line, "unexpected YAML node")
	}
	w.depth--
	return err
}

// alias expands the alias n with fn, refusing self-reference.
func (w *walker) alias(n *yaml.Node, fn func(*yaml.Node) error) error {
	t := n.Alias
	if t == nil {
		return w.errorf(n.Line, "alias *%s has no anchor", n.Value)
	}
	for _, a := range w.active {
		if a == t {
			return w.errorf(n.Line, "alias *%s refers to a node that contains it", n.Value)
		}
	}
	w.active = append(w.active, t)
	w.inAlias++
	err := fn(t)
	w.inAlias--
	w.active = w.active[:len(w.active)-1]
	return err
}

func (w *walker) mapping(n *yaml.Node) error {
	if w.json {
		w.buf = append(w.buf, '{')
	}
	_, err := w.pairs(n, true)
	if w.json {
		w.buf = append(w.buf, '}')
	}
	return err
}

// pairs writes the key/value pairs of mapping n, after those its merge keys ("<<: *base") bring,
// so that its own keys win (the last of duplicate keys wins in JSON). first says whether nothing
// was written yet in the enclosing JSON object.
func (w *walker) pairs(n *yaml.Node, first bool) (bool, error) {
	c := n.Content
	for i := 0; i+1 < len(c); i += 2 {
		if isMerge(c[i]) {
			var err error
			if first, err = w.merge(c[i+1], first); err != nil {
				return first, err
			}
		}
	}
	for i := 0; i+1 < len(c); i += 2 {
		k, v := c[i], c[i+1]
		if isMerge(k) {
			continue
		}
		key, err := w.key(k)
		if err != nil {
			return first, err
		}
		if w.json {
			if !first {
				w.buf = append(w.buf, ',')
			}
			w.buf = appendString(w.buf, key)
			w.buf = append(w.buf, ':')
		}
		first = false
		saved := w.save()
		w.pushKey(key)
		w.enteredKey(k.Line)
		err = w.value(v)
		w.restore(saved)
		if err != nil {
			return first, err
		}
	}
	return first, nil
}

// merge writes the pairs of the value of a merge key: a mapping, or a sequence of mappings of
// which the first wins (so they are written last first).
func (w *walker) merge(v *yaml.Node, first bool) (bool, error) {
	var err error
	switch v.Kind {
	case yaml.AliasNode:
		err = w.alias(v, func(t *yaml.Node) error {
			if w.budget -= 1; w.budget < 0 {
				return &lineError{line: w.line(v.Line), err: ErrAliasBomb}
			}
			first, err = w.merge(t, first)
			return err
		})
		return first, err
	case yaml.MappingNode:
		if w.depth >= maxDepth {
			return first, w.errorf(v.Line, "nested deeper than %d levels", maxDepth)
		}
		w.depth++
		first, err = w.pairs(v, first)
		w.depth--
		return first, err
	case yaml.SequenceNode:
		for i := len(v.Content) - 1; i >= 0; i-- {
			it := v.Content[i]
			if it.Kind != yaml.MappingNode && it.Kind != yaml.AliasNode {
				return first, w.errorf(it.Line, "merge key (<<) value must be a mapping or a list of mappings")
			}
			if first, err = w.merge(it, first); err != nil {
				return first, err
			}
		}
		return first, nil
	}
	return first, w.errorf(v.Line, "merge key (<<) value must be a mapping or a list of mappings")
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge"
}

// key returns the JSON key of a mapping key node: scalars become strings as kubectl turns them
// (1 -> "1", True -> "true", ~ -> "null").
func (w *walker) key(k *yaml.Node) (string, error) {
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", w.errorf(k.Line, "mapping key is not a string")
	}
	switch k.ShortTag() {
	case "!!str":
		return k.Value, nil
	case "!!null":
		return "null", nil
	case "!!bool":
		if b, ok := boolValue(k.Value); ok {
			return strconv.FormatBool(b), nil
		}
	case "!!int", "!!float":
		b := appendNumber(nil, k)
		if len(b) > 0 && b[0] == '"' {
			return k.Value, nil
		}
		return string(b), nil
	}
	return k.Value, nil
}

func (w *walker) sequence(n *yaml.Node) error {
	if w.json {
		w.buf = append(w.buf, '[')
	}
	for i, it := range n.Content {
		if w.json && i > 0 {
			w.buf = append(w.buf, ',')
		}
		saved := w.save()
		w.pushIndex(i)
		w.record(it.Line)
		w.mark(it.Line)
		err := w.value(it)
		w.restore(saved)
		if err != nil {
			return err
		}
	}
	if w.json {
		w.buf = append(w.buf, ']')
	}
	return nil
}

// pathState is what entering a mapping key or sequence item changes, restored on leaving it.
type pathState struct{ pathLen, segments, noLines, inherited int }

func (w *walker) save() pathState {
	return pathState{len(w.path), w.segments, w.noLines, w.inherited}
}

func (w *walker) restore(s pathState) {
	w.path, w.segments, w.noLines, w.inherited = w.path[:s.pathLen], s.segments, s.noLines, s.inherited
}

// pushKey appends key to the path.
func (w *walker) pushKey(key string) {
	w.path = appendPathKey(w.path, key)
	w.segments++
}

// pushIndex appends the sequence index i to the path.
func (w *walker) pushIndex(i int) {
	w.path = append(w.path, '[')
	w.path = strconv.AppendInt(w.path, int64(i), 10)
	w.path = append(w.path, ']')
	w.segments++
}

// enteredKey records the mapping key just pushed, at line. The values of status and
// metadata.managedFields are long and never pointed at: their keys only are recorded.
func (w *walker) enteredKey(line int) {
	w.record(line)
	w.mark(line)
	if w.segments <= 2 {
		if p := string(w.path); p == "status" || p == "metadata.managedFields" {
			w.noLines++
		}
	}
}

// appendPathKey appends key to a JSON path: ".key", or `["key"]` when it holds characters other
// than letters, digits, '-' and '_' (annotation keys such as "jobguard.io/ignore").
func appendPathKey[T string | []byte](path []byte, key T) []byte {
	simple := len(key) > 0
	for i := 0; i < len(key) && simple; i++ {
		c := key[i]
		simple = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
	}
	if simple {
		if len(path) > 0 {
			path = append(path, '.')
		}
		return append(path, key...)
	}
	path = append(path, '[')
	path = strconv.AppendQuote(path, string(key))
	return append(path, ']')
}

// record records the current path at line, unless lines are off here or LineOf would find that
// line through an ancestor anyway.
func (w *walker) record(line int) {
	line = w.line(line)
	if line == w.inherited || w.inAlias > 0 || w.noLines > 0 || w.segments > maxLineDepth || len(w.path) > maxLinePath ||
		len(w.arena)+len(w.path) > w.arenaMax {
		return
	}
	start := len(w.arena)
	w.arena = append(w.arena, w.path...)
	w.ents = append(w.ents, lineEnt{start: int32(start), end: int32(len(w.arena)), line: int32(line)})
	w.inherited = line
}

// scalarJSON writes the JSON of a scalar as kubectl (sigs.k8s.io/yaml) would, with YAML 1.2 bools.
func (w *walker) scalarJSON(n *yaml.Node) {
	// yaml.v3 resolves the tag of plain scalars while parsing, so this is cheap.
	switch n.ShortTag() {
	case "!!null":
		w.buf = append(w.buf, "null"...)
	case "!!bool":
		if b, ok := boolValue(n.Value); ok {
			w.buf = strconv.AppendBool(w.buf, b)
		} else {
			w.buf = appendString(w.buf, n.Value)
		}
	case "!!int", "!!float":
		w.buf = appendNumber(w.buf, n)
	default: // !!str, !!timestamp (kept as text, as kubectl does), !!binary (base64 text), custom tags
		w.buf = appendString(w.buf, n.Value)
	}
}

func boolValue(s string) (v, ok bool) {
	switch s {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	return false, false
}

// appendNumber writes an int or float scalar as a JSON number: canonical forms as they are, others
// (0x1F, 0o17, 0644 as octal, 1_000, +1, .5, 1.0) through their value, as kubectl's conversion to
// JSON does. Values JSON cannot hold (.inf, .nan) and invalid ones are written as strings.
func appendNumber(b []byte, n *yaml.Node) []byte {
	s := n.Value
	if isJSONInt(s) {
		return append(b, s...)
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return appendString(b, s)
	}
	switch x := v.(type) {
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return appendString(b, s)
		}
		return appendFloat(b, x)
	}
	return appendString(b, s)
}

// appendFloat formats f as encoding/json does.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// isJSONInt reports whether s is an integer in canonical JSON form (no sign, leading zero or
// underscore).
func isJSONInt(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	if s == "" || s[0] == '0' && len(s) > 1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// appendString writes s as a JSON string.
func appendString[T string | []byte](b []byte, s T) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if jsonPlain[c] {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			const hex = "0123456789abcdef"
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonPlain is true for the bytes appendString copies as they are.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// deref follows an alias to its node.
func (w *walker) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// duplicateKey returns the first two of m's own keys named key (merge keys aside), or nils.
func (w *walker) duplicateKey(m *yaml.Node, key string) (first, again *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := w.deref(m.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode || k.Value != key || isMerge(k) {
			continue
		}
		if first != nil {
			return first, k
		}
		first = k
	}
	return nil, nil
}

// lookup returns the value of key in mapping m (following aliases and merge keys, own keys first,
// the last of duplicates), or nil.
func (w *walker) lookup(m *yaml.Node, key string) *yaml.Node {
	visits := 0
	return w.lookupIn(w.deref(m), key, &visits)
}

func (w *walker) lookupIn(m *yaml.Node, key string, visits *int) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	if *visits++; *visits > maxLookups {
		return nil
	}
	c := m.Content
	for i := len(c) - 2; i >= 0; i -= 2 {
		k := w.deref(c[i])
		if k != nil && k.Kind == yaml.ScalarNode && k.Value == key && !isMerge(k) {
			return w.deref(c[i+1])
		}
	}
	for i := 0; i+1 < len(c); i += 2 {
		if !isMerge(c[i]) {
			continue
		}
		v := w.deref(c[i+1])
		if v == nil {
			continue
		}
		if v.Kind == yaml.SequenceNode {
			for _, it := range v.Content {
				if r := w.lookupIn(w.deref(it), key, visits); r != nil {
					return r
				}
			}
		} else if r := w.lookupIn(v, key, visits); r != nil {
			return r
		}
	}
	return nil
}

// scalar returns the text of a scalar node, "" for nil, null and other nodes.
func (w *walker) scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return ""
	}
	return n.Value
}

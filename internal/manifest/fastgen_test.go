package manifest

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// FuzzFastPathGen compares the fast path with the yaml.v3 path, as FuzzFastPath does, on
// documents generated from a seed: random nestings of what the fast path reads (and of what it
// must leave alone), with mutate random byte edits on top.
func FuzzFastPathGen(f *testing.F) {
	for i := range 32 {
		f.Add(uint64(i), uint8(i%3))
	}
	f.Fuzz(func(t *testing.T, seed uint64, mutate uint8) {
		checkFastPath(t, genYAML(seed, int(mutate%8)))
	})
}

func TestFastPathGenerated(t *testing.T) {
	n := 4000
	if testing.Short() {
		n = 400
	}
	handled, total := 0, 0
	for i := range n {
		h, tot := checkFastPath(t, genYAML(uint64(i)+1e6, 0))
		handled += h
		total += tot
		checkFastPath(t, genYAML(uint64(i)+2e6, 1+i%3))
	}
	// Generated documents use constructs left to yaml.v3 on purpose; most are still read.
	if handled < total/3 {
		t.Errorf("the fast path read %d of %d generated documents", handled, total)
	}
	t.Logf("the fast path read %d of %d generated documents", handled, total)
}

// yamlGen writes a random YAML document.
type yamlGen struct {
	r     *rand.Rand
	b     []byte
	depth int
}

// genYAML returns a random document for seed, with mutate random byte edits.
func genYAML(seed uint64, mutate int) []byte {
	g := &yamlGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	if g.one(3) {
		g.s("---")
		g.comment()
		g.nl()
	}
	g.blanks(0)
	if g.one(8) {
		g.s("apiVersion: v1\nkind: " + g.pick([]string{"List", "ConfigMapList", "Widget"}) + "\nitems:\n")
		for range g.r.IntN(3) {
			g.s("- apiVersion: example.com/v1\n  kind: " + g.pick([]string{"Widget", "List", "Widget"}) + "\n")
			g.mapping(2, false)
		}
		if g.one(2) {
			g.s("  - {apiVersion: v1, kind: Widget,\n    metadata: {name: f}}\n")
		}
	}
	g.s("apiVersion: example.com/v1\n")
	if g.one(8) {
		g.s("kind: ConfigMap\napiVersion: v1\n")
	} else {
		g.s("kind: Widget\n")
	}
	g.mapping(0, true)
	if g.one(6) {
		g.s("...\n")
	}
	for range mutate {
		if len(g.b) == 0 {
			break
		}
		i := g.r.IntN(len(g.b))
		switch g.r.IntN(3) {
		case 0:
			g.b = append(g.b[:i], g.b[i+1:]...)
		case 1:
			c := " \t\n:-#'\"[]{},|>&*!?%.0a\\"[g.r.IntN(24)]
			g.b = append(g.b[:i], append([]byte{c}, g.b[i:]...)...)
		default:
			g.b[i] = " \n:-#'\"[]{},|>1+"[g.r.IntN(16)]
		}
	}
	if g.one(8) {
		return bytes.ReplaceAll(g.b, []byte("\n"), []byte("\r\n"))
	}
	return g.b
}

func (g *yamlGen) one(n int) bool         { return g.r.IntN(n) == 0 }
func (g *yamlGen) s(s string)             { g.b = append(g.b, s...) }
func (g *yamlGen) nl()                    { g.b = append(g.b, '\n') }
func (g *yamlGen) sp(n int)               { g.b = append(g.b, strings.Repeat(" ", n)...) }
func (g *yamlGen) pick(s []string) string { return s[g.r.IntN(len(s))] }

// comment maybe writes a trailing comment.
func (g *yamlGen) comment() {
	if g.one(6) {
		g.s(" # " + g.pick([]string{"c", "a: b", "- x", "#", "'"}))
	}
}

// blanks maybe writes blank and comment lines.
func (g *yamlGen) blanks(indent int) {
	for g.one(5) {
		if g.one(2) {
			g.sp(g.r.IntN(indent + 3))
			g.s("# comment")
		} else if g.one(3) {
			g.sp(g.r.IntN(6))
		}
		g.nl()
	}
}

var genKeys = []string{"name", "image", "a", "b", "c", "metadata", "namespace", "generateName", "labels",
	"app.kubernetes.io/name", "run.sh", "'quoted key'", `"dq\tkey"`, "1", "0x1F", "true", "~", "null", "1.5",
	"-k", "with space", "status", "managedFields", "<<", "k", "k", `""`, "a b:c"}

var genWords = []string{"x", "hello world", "nginx:1.27", "*/5 * * * *", "a:b", "http://x/y?z=1#f", "-c",
	"--to", "a'b", `a"b`, "é ü", "100m", "0.5", "1.", "3", "-3", "007", "1e3", "a  b", "x #y", "x#y", "~",
	"y", "on", "[x]", "{y}", "a,b", ": x", "- x", "? x", "x:", "x: y", "&x", "*x", "!x", "|", ">", "%", "@", "`"}

func (g *yamlGen) scalar() {
	if g.one(8) { // over several lines
		q := g.pick([]string{"", "'", `"`})
		g.s(q + g.pick(genWords))
		for range 1 + g.r.IntN(3) {
			g.s(g.pick([]string{"", " ", "  ", "\t", `\`}))
			g.s(g.pick([]string{"\n", "\n\n", "\n  \n", "\n# c\n"}))
			g.sp(g.r.IntN(8))
			g.s(g.pick(genWords))
		}
		g.s(q)
		return
	}
	switch g.r.IntN(6) {
	case 0:
		g.s(g.pick(trickyScalars))
	case 1:
		g.s("'" + strings.ReplaceAll(g.pick(genWords), "'", "''") + "'")
	case 2:
		g.s(`"` + g.pick([]string{"x", `\"q\"`, `\\`, `\t\n`, `\u00e9`, `\x41`, `\U0001F600`, `\/`, `\z`, `a b`, `\ud800`}) + `"`)
	default:
		g.s(g.pick(genWords))
	}
}

// value writes the value of a key or item whose collection is at column owner, after "key:" or
// "- ". inSeq says it is a sequence item.
func (g *yamlGen) value(owner int, inSeq bool) {
	g.depth++
	defer func() { g.depth-- }()
	n := 8
	if g.depth > 4 {
		n = 4 // scalars and flow only, further down
	}
	switch g.r.IntN(n) {
	case 0, 1:
		g.s(" ")
		g.scalar()
		g.comment()
		g.nl()
	case 2:
		g.s(" ")
		g.flow(0)
		g.comment()
		g.nl()
	case 3:
		g.s(" ")
		g.blockScalar(owner)
	case 4:
		if g.one(6) {
			g.comment()
		}
		g.nl()
		g.blanks(owner)
		g.mapping(owner+1+g.r.IntN(3), false)
	case 5:
		g.nl()
		g.blanks(owner)
		ind := owner + g.r.IntN(3)
		if inSeq {
			ind++
		}
		g.sequence(ind)
	case 6:
		if inSeq {
			g.s(" ")
			col := len(g.b) - bytes.LastIndexByte(g.b, '\n') - 1
			g.compactMapping(col)
		} else {
			g.nl() // empty value
		}
	default:
		if inSeq {
			g.s(" ")
			col := len(g.b) - bytes.LastIndexByte(g.b, '\n') - 1
			g.sequenceItems(col, true)
		} else {
			g.s(" ")
			g.scalar()
			g.nl()
		}
	}
}

func (g *yamlGen) key() {
	if g.one(40) {
		g.s(g.pick(trickyScalars))
		return
	}
	g.s(g.pick(genKeys))
}

// mapping writes a block mapping at column indent.
func (g *yamlGen) mapping(indent int, root bool) {
	for i := range 1 + g.r.IntN(4) {
		if root && i == 0 && g.one(2) {
			g.s("metadata:\n")
			g.sp(indent + 2)
			g.s("name: " + g.pick([]string{"n", "'q'", "~", "", "1", "{a: b}"}) + "\n")
			continue
		}
		g.sp(indent)
		g.key()
		g.s(g.pick([]string{":", ":", ":", " :"}))
		g.value(indent, false)
		g.blanks(indent)
	}
}

// compactMapping writes a mapping whose first key is at the cursor, at column col.
func (g *yamlGen) compactMapping(col int) {
	for i := range 1 + g.r.IntN(3) {
		if i > 0 {
			g.sp(col)
		}
		g.key()
		g.s(":")
		g.value(col, false)
		g.blanks(col)
	}
}

// sequence writes a block sequence at column indent.
func (g *yamlGen) sequence(indent int) {
	g.sp(indent)
	g.sequenceItems(indent, false)
}

// sequenceItems writes the items of a block sequence at column indent, the first '-' at the
// cursor.
func (g *yamlGen) sequenceItems(indent int, compact bool) {
	for i := range 1 + g.r.IntN(3) {
		if i > 0 {
			g.sp(indent)
		}
		g.s("-")
		if g.one(10) {
			g.s("  ")
		}
		g.value(indent, true)
		g.blanks(indent)
	}
}

// blockScalar writes a block scalar of a collection at column owner.
func (g *yamlGen) blockScalar(owner int) {
	g.s(g.pick([]string{"|", ">"}))
	inc := 0
	switch g.r.IntN(6) {
	case 0:
		g.s(g.pick([]string{"-", "+"}))
	case 1:
		inc = 1 + g.r.IntN(3)
		g.s(string(rune('0' + inc)))
		if g.one(2) {
			g.s(g.pick([]string{"-", "+"}))
		}
	case 2:
		g.s(g.pick([]string{"-", "+"}))
		inc = 1 + g.r.IntN(3)
		g.s(string(rune('0' + inc)))
	}
	g.comment()
	g.nl()
	indent := owner + 1 + g.r.IntN(3)
	if inc > 0 {
		indent = owner + inc
	}
	for range g.r.IntN(5) {
		switch g.r.IntN(7) {
		case 0:
			g.sp(g.r.IntN(indent + 3))
		case 1:
			g.sp(indent + 1 + g.r.IntN(3))
			g.s(g.pick(genWords))
		case 2:
			g.sp(indent)
			g.s("# not a comment")
		case 3:
			g.sp(indent)
			g.s("\ttab")
		default:
			g.sp(indent)
			g.s(g.pick(genWords))
			if g.one(4) {
				g.s("  ")
			}
		}
		g.nl()
	}
}

// flow writes a flow collection, breaking lines here and there.
func (g *yamlGen) flow(depth int) {
	br := func() {
		switch g.r.IntN(12) {
		case 0:
			g.nl()
			g.sp(g.r.IntN(5))
		case 1:
			g.s(" # c\n")
			g.sp(g.r.IntN(5))
		case 2:
			g.s("  ")
		}
	}
	item := func() {
		if depth < 3 && g.one(4) {
			g.flow(depth + 1)
		} else {
			g.scalar()
		}
	}
	seq := g.one(2)
	if seq {
		g.s("[")
	} else {
		g.s("{")
	}
	n := g.r.IntN(4)
	for i := range n {
		br()
		if !seq {
			g.key()
			g.s(g.pick([]string{": ", ": ", ":", " : "}))
			br()
		}
		item()
		br()
		if i < n-1 || g.one(6) {
			g.s(",")
			if g.one(2) {
				g.s(" ")
			}
		}
	}
	br()
	if seq {
		g.s("]")
	} else {
		g.s("}")
	}
}

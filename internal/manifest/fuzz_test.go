package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jobguard/jobguard/internal/input"
)

// FuzzParse checks that Parse never panics (a recovered panic shows as an "internal error"), that
// every object and error points at a line of the input, and that the JSON written for any mapping
// is valid. Seeds: the fixtures, plus testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	fixtures, _ := filepath.Glob("testdata/*.*")
	for _, p := range fixtures {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// An upper bound of the lines of the input: yaml.v3 also breaks lines at CR, NEL, LS and PS.
		maxLine := 1
		for _, br := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
			maxLine += bytes.Count(data, []byte(br))
		}
		if len(data) > 1 && (data[0] == 0xFF || data[0] == 0xFE) { // UTF-16
			maxLine = len(data)
		}
		inRange := func(what string, line int, zeroOK bool) {
			if line > maxLine || line < 1 && !(zeroOK && line == 0) {
				t.Fatalf("%s: line %d outside 1..%d", what, line, maxLine)
			}
		}
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("%d bytes took %v", len(data), d)
			}
		}()
		objs, errs := Parse("fuzz.yaml", data, Options{
			Skipped: func(file string, line int, why string) {
				if file != "fuzz.yaml" || why == "" {
					t.Fatalf("Skipped(%q, %d, %q)", file, line, why)
				}
				inRange("skipped "+why, line, false)
			},
			MaxFileSize: 1 << 20,
		})
		for _, o := range objs {
			s := o.Source
			if s.File != "fuzz.yaml" || s.Kind == "" || s.APIVersion == "" {
				t.Fatalf("source %+v", s)
			}
			inRange("object", s.Line, false)
			if (o.Obj != nil) != input.Known(s.APIVersion, s.Kind) {
				t.Fatalf("%s %s: Obj %T", s.APIVersion, s.Kind, o.Obj)
			}
			for p, l := range o.Lines.All() {
				if p == "" {
					t.Fatal("empty path in Lines")
				}
				inRange("Lines["+p+"]", l, false)
			}
		}
		for _, err := range errs {
			var e *Error
			if !errors.As(err, &e) || e.File != "fuzz.yaml" {
				t.Fatalf("error %v (%T)", err, err)
			}
			inRange(err.Error(), e.Line, true)
			msg := err.Error()
			if strings.Contains(msg, "internal error") {
				t.Fatal(msg)
			}
			var se *json.SyntaxError
			if errors.As(err, &se) || strings.Contains(msg, "unexpected end of JSON input") {
				t.Fatalf("invalid JSON written: %s", msg)
			}
		}
		checkJSON(t, data)
		checkStream(t, data)
		checkParallel(t, data)
	})
}

// checkParallel checks that a parallel load of data, with every document in a task of its own,
// gives what Parse gives.
func checkParallel(t *testing.T, data []byte) {
	const max = 1 << 20
	if len(data) > max {
		return
	}
	read := func(parallel bool) loaded {
		var l loaded
		opts := Options{MaxFileSize: max, Skipped: func(file string, line int, why string) {
			l.notes = append(l.notes, fmt.Sprintf("%s:%d: %s", file, line, why))
		}}
		if parallel {
			p := loadParallel([]string{"-"}, bytes.NewReader(data), &opts, 2, 1)
			l.objs, l.errs = p.objs, p.errs
		} else {
			l.objs, l.errs = Parse(StdinName, data, opts)
		}
		return l
	}
	if diff := sameLoad(read(true), read(false)); diff != "" {
		t.Fatalf("parallel and sequential reads differ: %s", diff)
	}
}

// checkStream checks that the single-decoder path reads data exactly as reading each document
// alone does, with and without the fast path before it.
func checkStream(t *testing.T, data []byte) {
	checkStreamWith(t, data, false)
	checkStreamWith(t, data, true)
}

func checkStreamWith(t *testing.T, data []byte, noFast bool) {
	type run struct {
		objs    []*input.Object
		errs    []string
		skipped []string
	}
	read := func(perDocument bool) run {
		var r run
		opts := Options{MaxFileSize: 1 << 20, Skipped: func(file string, line int, why string) {
			r.skipped = append(r.skipped, fmt.Sprintf("%s:%d: %s", file, line, why))
		}}
		var errs []error
		r.objs, errs = parseBytes("fuzz.yaml", data, opts, perDocument, noFast)
		for _, err := range errs {
			r.errs = append(r.errs, err.Error())
		}
		return r
	}
	fast, slow := read(false), read(true)
	if !slices.Equal(fast.errs, slow.errs) || !slices.Equal(fast.skipped, slow.skipped) || len(fast.objs) != len(slow.objs) {
		t.Fatalf("stream and per-document reads differ:\n%d objects, errors %q, skipped %q\n%d objects, errors %q, skipped %q",
			len(fast.objs), fast.errs, fast.skipped, len(slow.objs), slow.errs, slow.skipped)
	}
	for i, f := range fast.objs {
		s := slow.objs[i]
		if f.Source != s.Source || !maps.Equal(f.Lines.Map(), s.Lines.Map()) || !reflect.DeepEqual(f.Obj, s.Obj) {
			t.Fatalf("object %d differs:\n%+v %v\n%+v %v", i, f.Source, f.Lines.Map(), s.Source, s.Lines.Map())
		}
	}
}

// checkJSON writes every mapping document of data as JSON and checks it is valid.
func checkJSON(t *testing.T, data []byte) {
	data, ok := text(data)
	if !ok || len(data) > 1<<20 {
		return
	}
	var w walker
	splitDocuments(data, func(c chunk) {
		doc, line := c.doc, c.start
		var n yaml.Node
		if yaml.Unmarshal(doc, &n) != nil || len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
			return
		}
		w.lineOff, w.budget, w.arenaMax = line-1, aliasBudget(len(doc)), arenaLimit(len(doc))
		if w.convert(n.Content[0], 0, true, false, false) != nil {
			return
		}
		if !json.Valid(w.buf) {
			t.Fatalf("invalid JSON %q from %q", w.buf, doc)
		}
	})
}

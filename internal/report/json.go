package report

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/jobguard/jobguard/internal/finding"
)

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// WriteJSON writes the findings, suppressed ones included and marked, as one JSON document (schema:
// docs/report.schema.json): schemaVersion, tool, inputs, findings, errors, summary. Each finding
// stands on a line of its own, so the report streams, greps and diffs well however large it is.
// Findings keep the order they are given in. Arrays are never null: no findings is "findings": [].
func WriteJSON(w io.Writer, fs finding.Batches, m Meta) error {
	s := NewJSONStream(w, m)
	for _, b := range fs {
		s.Write(b)
	}
	return s.Close(m.Resources)
}

// JSONStream writes the document of WriteJSON as the findings arrive, so a scan need not hold
// them all: NewJSONStream writes what precedes the findings, Write appends findings, and Close
// writes the errors and the summary of everything written.
type JSONStream struct {
	bw      *bufio.Writer
	m       Meta
	buf     []byte
	n       int
	summary finding.Summary
	err     error
}

// NewJSONStream starts the document of m on w.
func NewJSONStream(w io.Writer, m Meta) *JSONStream {
	s := &JSONStream{bw: bufio.NewWriterSize(w, 64<<10), m: m, buf: make([]byte, 0, 2048), summary: finding.NewSummary(0)}
	s.bw.WriteString("{\n")
	s.head("schemaVersion", SchemaVersion, false)
	s.head("tool", jsonTool{Name: ToolName, Version: m.ToolVersion}, false)
	s.head("inputs", nonNil(m.Inputs), false)
	s.bw.WriteString(`  "findings": [`)
	return s
}

func (s *JSONStream) head(key string, v any, last bool) {
	b, _ := json.Marshal(v)
	s.bw.WriteString("  " + strconv.Quote(key) + ": ")
	s.bw.Write(b)
	if !last {
		s.bw.WriteString(",\n")
	}
}

// Write appends fs to the document. After a write error it does nothing; Close returns the error.
func (s *JSONStream) Write(fs []finding.Finding) {
	for i := range fs {
		f := &fs[i]
		s.summary.Add(f)
		if s.err != nil {
			continue
		}
		s.buf = s.buf[:0]
		if s.n > 0 {
			s.buf = append(s.buf, ',')
		}
		s.buf = append(s.buf, "\n    "...)
		s.buf = appendFinding(s.buf, f)
		s.n++
		_, s.err = s.bw.Write(s.buf)
	}
}

// Close ends the document with the errors of the Meta it was started with, and the summary of the
// findings written about resources objects. It returns the first write error.
func (s *JSONStream) Close(resources int) error {
	if s.n > 0 {
		s.bw.WriteString("\n  ")
	}
	s.bw.WriteString("],\n")
	s.head("errors", nonNil(s.m.Errors), false)
	sum := s.summary
	sum.Resources = resources
	sum.Errors = len(s.m.Errors)
	sum.Incomplete = s.m.incomplete()
	s.head("summary", sum, true)
	s.bw.WriteString("\n}\n")
	if err := s.bw.Flush(); s.err == nil {
		s.err = err
	}
	return s.err
}

// appendFinding appends f encoded exactly as encoding/json encodes finding.Finding (with HTML
// escaping off), except that nil attack and mitigations lists are written as []. It exists because
// reports can hold hundreds of thousands of findings and reflection dominated their cost;
// TestAppendFindingMatchesEncodingJSON keeps the two encodings identical.
func appendFinding(b []byte, f *finding.Finding) []byte {
	b = append(b, `{"rule":`...)
	b = appendString(b, f.Rule)
	b = append(b, `,"category":`...)
	b = appendString(b, string(f.Category))
	b = append(b, `,"severity":`...)
	b = appendString(b, f.Severity.String())
	b = append(b, `,"title":`...)
	b = appendString(b, f.Title)
	b = append(b, `,"message":`...)
	b = appendString(b, f.Message)
	r := &f.Resource
	b = append(b, `,"resource":{"apiVersion":`...)
	b = appendString(b, r.APIVersion)
	b = append(b, `,"kind":`...)
	b = appendString(b, r.Kind)
	if r.Namespace != "" {
		b = append(b, `,"namespace":`...)
		b = appendString(b, r.Namespace)
	}
	b = append(b, `,"name":`...)
	b = appendString(b, r.Name)
	if r.File != "" {
		b = append(b, `,"file":`...)
		b = appendString(b, r.File)
	}
	if r.Line != 0 {
		b = append(b, `,"line":`...)
		b = strconv.AppendInt(b, int64(r.Line), 10)
	}
	if r.Path != "" {
		b = append(b, `,"path":`...)
		b = appendString(b, r.Path)
	}
	if r.Cluster != "" {
		b = append(b, `,"cluster":`...)
		b = appendString(b, r.Cluster)
	}
	if r.UID != "" {
		b = append(b, `,"uid":`...)
		b = appendString(b, r.UID)
	}
	b = append(b, '}')
	if f.Container != "" {
		b = append(b, `,"container":`...)
		b = appendString(b, f.Container)
	}
	b = append(b, `,"attack":`...)
	b = appendStrings(b, f.Attack)
	if len(f.ThreatMatrix) > 0 {
		b = append(b, `,"threatMatrix":`...)
		b = appendStrings(b, f.ThreatMatrix)
	}
	b = append(b, `,"mitigations":`...)
	b = appendStrings(b, f.Mitigations)
	if f.Remediation != "" {
		b = append(b, `,"remediation":`...)
		b = appendString(b, f.Remediation)
	}
	b = append(b, `,"suppressed":`...)
	b = strconv.AppendBool(b, f.Suppressed)
	if f.Suppression != "" {
		b = append(b, `,"suppression":`...)
		b = appendString(b, f.Suppression)
	}
	if f.Escalation != "" {
		b = append(b, `,"escalation":`...)
		b = appendString(b, f.Escalation)
	}
	return append(b, '}')
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// plain8 reports whether none of the eight bytes in x is a control character, '"', '\\' or
// outside ASCII: bytes appendString copies as they are.
func plain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	hasZero := func(v uint64) uint64 { return (v - ones) &^ v & highs }
	below := (x - 0x20*ones) &^ x // high bit set where a byte is below 0x20 (or 0x80 and above)
	return (below|x|hasZero(x^('"'*ones))|hasZero(x^('\\'*ones)))&highs == 0
}

// appendString appends s as a JSON string the way encoding/json does with HTML escaping off:
// control characters escaped, invalid UTF-8 replaced by U+FFFD, U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs a second look.
		for i+8 <= len(s) && plain8(binary.LittleEndian.Uint64([]byte(s[i:i+8]))) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// nonNil returns s, or an empty slice when s is nil, so that it encodes as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

package report

import (
	"slices"
	"strconv"
)

// indented appends JSON indented exactly as encoding/json's Encoder does with SetIndent(prefix,
// "  ") and HTML escaping off: a newline, the prefix and two spaces per level before every member
// and element, ": " after keys, and empty objects and arrays written as {} and [].
type indented struct {
	b      []byte
	prefix string
	counts []int // members or elements written so far at each open level
}

func (w *indented) newline() {
	w.b = append(w.b, '\n')
	w.b = append(w.b, w.prefix...)
	for range len(w.counts) {
		w.b = append(w.b, "  "...)
	}
}

// next starts a member or element of the innermost open object or array.
func (w *indented) next() {
	last := len(w.counts) - 1
	if w.counts[last] > 0 {
		w.b = append(w.b, ',')
	}
	w.counts[last]++
	w.newline()
}

func (w *indented) open(c byte) {
	w.b = append(w.b, c)
	w.counts = append(w.counts, 0)
}

func (w *indented) close(c byte) {
	n := w.counts[len(w.counts)-1]
	w.counts = w.counts[:len(w.counts)-1]
	if n > 0 {
		w.newline()
	}
	w.b = append(w.b, c)
}

func (w *indented) key(k string) {
	w.next()
	w.b = appendString(w.b, k)
	w.b = append(w.b, ": "...)
}

func (w *indented) str(k, v string) {
	w.key(k)
	w.b = appendString(w.b, v)
}

// strOmit writes k unless v is empty (omitempty).
func (w *indented) strOmit(k, v string) {
	if v != "" {
		w.str(k, v)
	}
}

func (w *indented) strings(k string, vs []string) {
	w.key(k)
	if vs == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.open('[')
	for _, v := range vs {
		w.next()
		w.b = appendString(w.b, v)
	}
	w.close(']')
}

func (w *indented) message(k string, m sarifMessage) {
	w.key(k)
	w.open('{')
	w.str("text", m.Text)
	w.strOmit("markdown", m.Markdown)
	w.close('}')
}

// appendSARIFResult appends r as the Encoder that writes the SARIF log would, at the nesting
// prefix of an element of the results array. It exists because reflection made up most of the
// cost of large SARIF logs; TestAppendSARIFResultMatchesEncodingJSON keeps the two identical.
func appendSARIFResult(b []byte, r *sarifResult, prefix string) []byte {
	w := indented{b: b, prefix: prefix}
	w.open('{')
	w.str("ruleId", r.RuleID)
	if r.RuleIndex != nil {
		w.key("ruleIndex")
		w.b = strconv.AppendInt(w.b, int64(*r.RuleIndex), 10)
	}
	w.str("level", r.Level)
	w.message("message", r.Message)
	w.key("locations")
	if r.Locations == nil {
		w.b = append(w.b, "null"...)
	} else {
		w.open('[')
		for i := range r.Locations {
			l := &r.Locations[i]
			w.next()
			w.open('{')
			if pl := l.PhysicalLocation; pl != nil {
				w.key("physicalLocation")
				w.open('{')
				w.key("artifactLocation")
				w.open('{')
				w.str("uri", pl.ArtifactLocation.URI)
				w.strOmit("uriBaseId", pl.ArtifactLocation.URIBaseID)
				w.close('}')
				if pl.Region != nil {
					w.key("region")
					w.open('{')
					w.key("startLine")
					w.b = strconv.AppendInt(w.b, int64(pl.Region.StartLine), 10)
					w.close('}')
				}
				w.close('}')
			}
			if len(l.LogicalLocations) > 0 {
				w.key("logicalLocations")
				w.open('[')
				for _, ll := range l.LogicalLocations {
					w.next()
					w.open('{')
					w.str("name", ll.Name)
					w.str("fullyQualifiedName", ll.FullyQualifiedName)
					w.str("kind", ll.Kind)
					w.close('}')
				}
				w.close(']')
			}
			w.close('}')
		}
		w.close(']')
	}
	w.key("partialFingerprints")
	if r.PartialFingerprints == nil {
		w.b = append(w.b, "null"...)
	} else {
		w.open('{')
		for _, k := range sortedKeys(r.PartialFingerprints) {
			w.str(k, r.PartialFingerprints[k])
		}
		w.close('}')
	}
	if len(r.Suppressions) > 0 {
		w.key("suppressions")
		w.open('[')
		for _, s := range r.Suppressions {
			w.next()
			w.open('{')
			w.str("kind", s.Kind)
			w.str("status", s.Status)
			w.strOmit("justification", s.Justification)
			w.close('}')
		}
		w.close(']')
	}
	p := &r.Properties
	w.key("properties")
	w.open('{')
	w.str("severity", p.Severity)
	w.str("category", p.Category)
	w.strOmit("container", p.Container)
	w.strOmit("path", p.Path)
	w.strOmit("cluster", p.Cluster)
	w.strOmit("uid", p.UID)
	if len(p.Attack) > 0 {
		w.strings("attack", p.Attack)
	}
	if len(p.ThreatMatrix) > 0 {
		w.strings("threatMatrix", p.ThreatMatrix)
	}
	w.strOmit("escalation", p.Escalation)
	w.close('}')
	w.close('}')
	return w.b
}

// sortedKeys returns the keys of m in order, as encoding/json writes a map.
func sortedKeys(m map[string]string) []string {
	if len(m) == 1 {
		for k := range m {
			return []string{k}
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

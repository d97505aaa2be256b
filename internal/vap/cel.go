package vap

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds the small helpers that write CEL text: literals, lists and the translation of
// the config's glob patterns (path.Match) into RE2, the regular expressions CEL's matches() runs.

// celString returns s as a CEL string literal: a raw literal r'...' when that needs no escapes
// (regular expressions read best that way), else a single-quoted literal with escapes.
func celString(s string) string {
	if !strings.ContainsAny(s, "'\n\r") && utf8.ValidString(s) {
		if strings.Contains(s, `\`) {
			return "r'" + s + "'"
		}
		return "'" + s + "'"
	}
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// celList returns a CEL list literal of strings.
func celList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = celString(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// globRegexp translates path.Match patterns into one anchored RE2 expression that matches exactly
// the strings one of the patterns matches: '*' is any run of characters other than '/', '?' one
// character other than '/', [...] a character class ([^...] negated, ranges a-z, '\' escapes),
// '\' escapes the next character. Patterns must be valid (config.Parse checks them).
func globRegexp(patterns []string) string {
	alts := make([]string, 0, len(patterns))
	for _, p := range patterns {
		alts = append(alts, globToRE2(p))
	}
	return "^(?:" + strings.Join(alts, "|") + ")$"
}

func globToRE2(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRuneInString(p[i:])
		i += n
		switch r {
		case '*':
			b.WriteString(`[^/]*`)
		case '?':
			b.WriteString(`[^/]`)
		case '\\':
			if i < len(p) {
				r, n = utf8.DecodeRuneInString(p[i:])
				i += n
			}
			b.WriteString(regexp.QuoteMeta(string(r)))
		case '[':
			i = globClass(&b, p, i)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return b.String()
}

// globClass writes the character class that starts after the '[' at p[i-1] and returns the index
// after its ']'. Every member is written as \x{...}, so no character means anything special to RE2.
func globClass(b *strings.Builder, p string, i int) int {
	b.WriteByte('[')
	if i < len(p) && p[i] == '^' {
		b.WriteByte('^')
		i++
	}
	next := func() rune {
		r, n := utf8.DecodeRuneInString(p[i:])
		i += n
		if r == '\\' && i < len(p) {
			r, n = utf8.DecodeRuneInString(p[i:])
			i += n
		}
		return r
	}
	for i < len(p) && p[i] != ']' {
		lo := next()
		writeClassRune(b, lo)
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			i++
			b.WriteByte('-')
			writeClassRune(b, next())
		}
	}
	b.WriteByte(']')
	return i + 1
}

func writeClassRune(b *strings.Builder, r rune) {
	b.WriteString(`\x{`)
	b.WriteString(strconv.FormatInt(int64(r), 16))
	b.WriteByte('}')
}

// preferDoubleQuotes rewrites the single-quoted string literals of a CEL expression (as this
// package writes them: '...', r'...') into double-quoted ones where the text has no '"'. The
// meaning is unchanged; YAML then needs no doubled quotes, so the exported policy reads better.
func preferDoubleQuotes(expr string) string {
	var b strings.Builder
	for i := 0; i < len(expr); {
		c := expr[i]
		if c != '\'' && c != '"' {
			b.WriteByte(c)
			i++
			continue
		}
		raw := i > 0 && (expr[i-1] == 'r' || expr[i-1] == 'R') && (i < 2 || !isIdentByte(expr[i-2]))
		end := literalEnd(expr, i, raw)
		if end < 0 {
			// Unterminated: leave the rest alone (the API server will say what is wrong).
			b.WriteString(expr[i:])
			break
		}
		body := expr[i+1 : end]
		if c == '\'' && !strings.Contains(body, `"`) {
			if !raw {
				body = strings.ReplaceAll(body, `\'`, `'`)
			}
			b.WriteString(`"` + body + `"`)
		} else {
			b.WriteString(expr[i : end+1])
		}
		i = end + 1
	}
	return b.String()
}

// literalEnd returns the index of the quote that closes the literal opened at expr[start], or -1.
func literalEnd(expr string, start int, raw bool) int {
	q := expr[start]
	for j := start + 1; j < len(expr); j++ {
		switch {
		case !raw && expr[j] == '\\':
			j++
		case expr[j] == q:
			return j
		}
	}
	return -1
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

package rules

import "strconv"

// quote quotes a value for a message.
func quote(s string) string { return strconv.Quote(s) }

// truncate shortens s to at most n bytes for messages, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

package rules

import "strconv"

// quote quotes a value for a message.
func quote(s string) string { return strconv.Quote(s) }

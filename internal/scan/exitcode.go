package scan

// Exit codes of `jobguard scan` (a contract: CI scripts rely on them).
const (
	// ExitOK: everything was scanned and no unsuppressed finding is at or above --fail-on.
	ExitOK = 0
	// ExitFindings: at least one unsuppressed finding is at or above --fail-on.
	ExitFindings = 1
	// ExitError: bad usage, or an input could not be read or parsed (the rest was still scanned and
	// reported). Takes precedence over ExitFindings.
	ExitError = 2
	// ExitIncomplete: the scan ran but could not see everything (e.g. a kind the cluster user may not
	// list) and nothing reached --fail-on in what it saw. ExitFindings takes precedence.
	ExitIncomplete = 3
)

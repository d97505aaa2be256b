// Package version reports jobguard's version: set at link time by the release build
// (-ldflags "-X github.com/jobguard/jobguard/internal/version.Version=v1.2.3"), else taken from the
// module's build information (go install ...@version), else "dev".
package version

import "runtime/debug"

// Version is overridden at link time.
var Version = ""

// Get returns the version string.
func Get() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Package testenv decides what a test does when an outside program it needs
// (PostgreSQL, chromium, nginx-rtmp, mosquitto) is absent: skip on a developer's bare
// machine, fail under CI=true so that CI proves every part.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// CI reports whether the tests run in CI (CI=true), where nothing may be skipped.
func CI() bool { return os.Getenv("CI") == "true" }

// Missing skips the test with the reason, or fails it in CI.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if CI() {
		t.Fatalf("CI=true but a required part is missing: "+format, args...)
	}
	t.Skipf("skipped: "+format, args...)
}

// LookPath finds one of the named programs or calls Missing.
func LookPath(t testing.TB, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	Missing(t, "none of %v is installed", names)
	return ""
}

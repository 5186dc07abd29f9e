//go:build !linux

package maildir_test

import "testing"

// openUnder would count this process's descriptors on files under dir; only Linux shows
// them (/proc/self/fd), so elsewhere it answers -1, "cannot tell", and the tests rely on
// the Dir's own count. Under Wine a Windows binary can even read the Linux /proc, but
// it lists Wine's descriptors, not the test's handles.
func openUnder(*testing.T, string) int { return -1 }

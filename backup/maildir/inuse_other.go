//go:build !windows

package maildir

// inUse is false: Unix removes a file whoever holds it open (see inuse_windows.go).
func inUse(error) bool { return false }

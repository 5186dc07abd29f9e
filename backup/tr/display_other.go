//go:build !windows

package tr

// displayLanguages is nil outside Windows: the POSIX locale variables decide there
// (macOS's Terminal sets LANG from the system's language too).
func displayLanguages() []string { return nil }

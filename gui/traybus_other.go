//go:build !(linux || freebsd || openbsd || netbsd)

package gui

// TrayAvailable reports whether a tray icon is safe to show; on Windows and macOS the tray
// needs no D-Bus and is always there.
func TrayAvailable() bool { return true }

//go:build !windows

package gui

// registerToastID is a Windows need (see toastid_windows.go): elsewhere notifications
// carry the app's name themselves.
func registerToastID(string) error { return nil }

package handover

// Exec does nothing on Windows: there the command line is postfach.com, which cmd and
// PowerShell find before Postfach.exe (backup/cli/console), and Windows has no exec.
func Exec([]string) {}

package cli

import "os/exec"

// systemBrowser returns the command that opens url in the default browser (macOS's
// open(1)).
func systemBrowser(url string) *exec.Cmd { return exec.Command("open", url) }

package cli

import "os/exec"

// systemBrowser returns the command that opens url in the default browser. rundll32
// with url.dll's FileProtocolHandler hands the URL to the shell's protocol handler
// without cmd.exe, which would interpret the "&" in the URL.
func systemBrowser(url string) *exec.Cmd {
	return exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
}

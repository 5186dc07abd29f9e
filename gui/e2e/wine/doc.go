// Package wine is the end-to-end test of the Windows build under Wine: it installs
// dist/PostfachSetup.exe silently into a private Wine prefix, backs up and verifies a
// POP3S account of a Linux-side Dovecot with the installed postfach.com, opens the
// installed Postfach.exe on a virtual display for a screenshot, and uninstalls silently.
//
// The test runs only when POSTFACH_WINE_E2E=1, inside the prefix that .ci/wine/prefix.sh
// prepares; `make test-windows` (.ci/wine/e2e.sh) is the entry point.
package wine

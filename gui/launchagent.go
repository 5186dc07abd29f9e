package gui

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Start at login on macOS is a LaunchAgent: a property list in ~/Library/LaunchAgents
// that launchd reads when the user logs in (launchd.plist(5)). It is made here, without
// a darwin build tag, so that the tests on Linux check its text and files;
// autostart_darwin.go only adds the home folder and the executable.

// errTranslocated: macOS runs an app opened straight from a download (still marked as
// quarantined) from a random read-only copy ("App Translocation"), which is gone after
// the next login; a LaunchAgent pointing there would start nothing.
var errTranslocated = errors.New("Postfach runs from a temporary copy that macOS made of the download: move Postfach into the Applications folder, start it from there and switch this on again")

// launchAgentPath is where the LaunchAgent for appID lives in the home folder home.
func launchAgentPath(home, appID string) string {
	return filepath.Join(home, "Library", "LaunchAgents", appID+".plist")
}

// launchAgentExists reports whether the LaunchAgent for appID is in home. launchd reads
// it at the next login; writing it does not start a second Postfach now.
func launchAgentExists(home, appID string) bool {
	_, err := os.Stat(launchAgentPath(home, appID))
	return err == nil
}

// setLaunchAgent writes (on) or removes the LaunchAgent for appID in home; exe is the
// executable it starts. Writing it again points it at exe, so it follows an app that
// was moved.
func setLaunchAgent(home, appID, exe string, on bool) error {
	path := launchAgentPath(home, appID)
	if !on {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove launch agent: %w", err)
		}
		return nil
	}
	data, err := launchAgent(appID, exe)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write launch agent: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write launch agent: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write launch agent: %w", err)
	}
	return nil
}

// launchAgent returns the property list that starts exe (the executable inside
// Postfach.app) with StartHiddenArg at login, labelled appID. RunAtLoad starts it once
// at login; no KeepAlive, so quitting from the tray stays quit. It runs only in a
// graphical login session (Aqua, not ssh), as an interactive process that launchd does
// not throttle like a background daemon.
func launchAgent(appID, exe string) ([]byte, error) {
	if strings.Contains(exe, "/AppTranslocation/") {
		return nil, errTranslocated
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>`)
	xmlText(&b, appID)
	b.WriteString(`</string>
	<key>ProgramArguments</key>
	<array>
		<string>`)
	xmlText(&b, exe)
	b.WriteString(`</string>
		<string>` + StartHiddenArg + `</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>LimitLoadToSessionType</key>
	<string>Aqua</string>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`)
	return b.Bytes(), nil
}

// xmlText writes s as XML character data: & < > and quotes escaped; UTF-8 (umlauts) as
// it is.
func xmlText(b *bytes.Buffer, s string) {
	// Writing to a bytes.Buffer cannot fail.
	_ = xml.EscapeText(b, []byte(s))
}

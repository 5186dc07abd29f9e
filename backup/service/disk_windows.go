package service

import (
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/windows"
)

// OnSystemDisk reports whether path is on the drive Windows runs from; known is false
// when that cannot be told (a relative path, or no system drive found). It compares
// drive letters (or a network share's \\server\share): two drive letters on one physical
// disk count as different, which Windows only tells through the volume manager.
func OnSystemDisk(path string) (same, known bool) {
	vol, sys := filepath.VolumeName(path), systemDrive()
	if vol == "" || sys == "" {
		return false, false
	}
	return strings.EqualFold(vol, sys), true
}

// systemDrive is %SystemDrive% ("C:"), or, where the variable is missing (a service,
// a scrubbed environment), the drive of the Windows folder. GetSystemWindowsDirectory,
// not GetWindowsDirectory: on a terminal server the latter is a per-user folder.
func systemDrive() string {
	if d := os.Getenv("SystemDrive"); d != "" {
		return d
	}
	dir, err := windows.GetSystemWindowsDirectory()
	if err != nil {
		return ""
	}
	return filepath.VolumeName(dir)
}

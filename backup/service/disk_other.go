//go:build !linux

package service

import (
	"os"
	"path/filepath"
	"strings"
)

// OnSystemDisk reports whether path is on the same disk as the operating system; known is
// false when that cannot be told. It compares volumes where the platform makes that
// cheap: the drive letter on Windows (the system drive is %SystemDrive%). Elsewhere it
// cannot tell.
func OnSystemDisk(path string) (same, known bool) {
	vol := filepath.VolumeName(path)
	sys := os.Getenv("SystemDrive")
	if vol == "" || sys == "" {
		return false, false
	}
	return strings.EqualFold(vol, sys), true
}

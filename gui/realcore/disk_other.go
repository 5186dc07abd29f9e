//go:build !linux

package realcore

import (
	"os"
	"path/filepath"
	"strings"
)

// onSystemDisk compares volumes where the platform makes that cheap: the drive letter on
// Windows (the system drive is %SystemDrive%). Elsewhere it cannot tell.
func onSystemDisk(path string) (same, known bool) {
	vol := filepath.VolumeName(path)
	sys := os.Getenv("SystemDrive")
	if vol == "" || sys == "" {
		return false, false
	}
	return strings.EqualFold(vol, sys), true
}

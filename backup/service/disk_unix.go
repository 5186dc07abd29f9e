//go:build linux || darwin

package service

import (
	"os"
	"path/filepath"
)

// existingAncestor returns path, or its nearest parent that exists (the backup folder
// is usually created on the first run).
func existingAncestor(path string) string {
	path = filepath.Clean(path)
	for {
		if _, err := os.Stat(path); err == nil {
			return path
		}
		parent := filepath.Dir(path)
		if parent == path {
			return path
		}
		path = parent
	}
}

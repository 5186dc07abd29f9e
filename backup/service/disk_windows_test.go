package service

import (
	"os"
	"testing"
)

// Runs under Wine in CI (.ci/wine/test.sh), where Windows lives on C:.
func TestOnSystemDiskWindows(t *testing.T) {
	for _, env := range []string{"C:", "c:", ""} {
		t.Run("SystemDrive="+env, func(t *testing.T) {
			// Empty: the variable is missing and the Windows folder's drive counts.
			t.Setenv("SystemDrive", env)
			if env == "" {
				os.Unsetenv("SystemDrive")
			}
			tests := []struct {
				path        string
				same, known bool
			}{
				{`C:\Users\Jürgen Groß\Documents\Postfach-Backups`, true, true},
				{`c:\x`, true, true},
				{`D:\Postfach-Backups`, false, true},
				{`\\nas\backup\Postfach`, false, true},
				{`Postfach-Backups`, false, false},
			}
			for _, tt := range tests {
				if same, known := OnSystemDisk(tt.path); same != tt.same || known != tt.known {
					t.Errorf("OnSystemDisk(%q) = %v, %v; want %v, %v", tt.path, same, known, tt.same, tt.known)
				}
			}
		})
	}
}

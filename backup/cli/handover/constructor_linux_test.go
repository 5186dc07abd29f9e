//go:build linux && cgo

package handover

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestAppArgSame(t *testing.T) {
	if startHiddenC != AppArg {
		t.Fatalf("constructor_linux.go leaves %q to the app, AppArg is %q", startHiddenC, AppArg)
	}
}

// TestConstructorHandsOver runs a copy of this test binary, which carries the C
// constructor of constructor_linux.go, next to a postfach-cli script: command lines must
// reach the script with their arguments, the start-hidden argument must not.
func TestConstructorHandsOver(t *testing.T) {
	if os.Getenv("POSTFACH_CLIEXEC_CHILD") == "1" {
		t.Skip("the copy run by TestConstructorHandsOver")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "postfach")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\necho \"handed over: $0 $*\"\n"
	if err := os.WriteFile(filepath.Join(dir, "postfach-cli"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string // "" means: not handed over
	}{
		{[]string{"backup", "--json", "a b"}, "handed over: " + filepath.Join(dir, "postfach-cli") + " backup --json a b"},
		{[]string{"account", "list"}, "handed over: " + filepath.Join(dir, "postfach-cli") + " account list"},
		{[]string{AppArg, "-test.run=^$"}, ""},
		{[]string{"-test.run=^$"}, "handed over: " + filepath.Join(dir, "postfach-cli") + " -test.run=^$"},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Env = append(os.Environ(), "POSTFACH_CLIEXEC_CHILD=1")
		out, _ := cmd.CombinedOutput()
		got := strings.TrimSpace(string(out))
		if tc.want == "" {
			if strings.Contains(got, "handed over") {
				t.Errorf("%q: handed over, want the app: %s", tc.args, got)
			}
		} else if got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.args, got, tc.want)
		}
	}
}

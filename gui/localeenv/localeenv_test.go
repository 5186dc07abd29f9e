package localeenv_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"fyne.io/fyne/v2/lang"

	_ "github.com/postfach/postfach/gui/localeenv"
)

// TestNoLocaleErrorUnderCUTF8 starts this test binary again with LANG=C.UTF-8 and checks
// that Fyne, initialised in the same process, logs nothing on standard error: the
// mapping ran first.
func TestNoLocaleErrorUnderCUTF8(t *testing.T) {
	if os.Getenv("LOCALEENV_CHILD") == "1" {
		// Touch Fyne's lang package so that it cannot be left out of the binary.
		_ = lang.L("OK")
		return
	}
	for _, env := range [][]string{{"LANG=C.UTF-8"}, {"LC_ALL=C.utf8"}, {"LANG=POSIX.UTF-8"}, {"LANG=C"}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNoLocaleErrorUnderCUTF8$", "-test.count=1")
		cmd.Env = append([]string{"LOCALEENV_CHILD=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
		out, err := cmd.CombinedOutput()
		if err != nil || strings.Contains(string(out), "Fyne error") {
			t.Errorf("%v: %v\n%s", env, err, out)
		}
	}
}

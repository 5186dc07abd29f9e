//go:build unix

package imapcopy

import (
	"testing"

	"github.com/postfach/postfach/internal/testkit/crashchild"
)

// crashWineEnv names the Windows test binary of this package (built with GOOS=windows by
// .ci/wine/test.sh). When it is set, the upload and download crash tests also run with
// that binary as the child, under Wine; unset, these tests skip; set without wine
// installed, they fail.
const crashWineEnv = "POSTFACH_IMAPCOPY_CRASH_WINE"

// TestDovecotUploadCrashWine is TestDovecotUploadCrash for the Windows build.
func TestDovecotUploadCrashWine(t *testing.T) {
	uploadCrash(t, crashchild.WineRunner(t, crashWineEnv))
}

// TestDovecotDownloadCrashWine is TestDovecotDownloadCrash for the Windows build: the
// download names its files with '!' instead of ':' there, and renames them into cur/.
func TestDovecotDownloadCrashWine(t *testing.T) {
	downloadCrash(t, crashchild.WineRunner(t, crashWineEnv))
}

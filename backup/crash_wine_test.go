//go:build unix

package backup

import (
	"testing"

	"github.com/postfach/postfach/internal/testkit/crashchild"
)

// crashWineEnv names the Windows test binary of this package (built with GOOS=windows by
// .ci/wine/test.sh). When it is set, the crash harness also runs with that binary as the
// child, under Wine: the Windows build's file writes, FlushFileBuffers, renames,
// LockFileEx and index journal are killed at every durability step and checked by the
// same oracle. Unset, these tests skip; set without wine installed, they fail.
const crashWineEnv = "POSTFACH_CRASH_WINE"

// crashWineRandom is how many random-moment kills TestCrashRandomKillsWine makes: fewer
// than on Linux, because each Windows child pays Wine's process start.
const crashWineRandom = 16

// TestCrashAtEveryStepWine is TestCrashAtEveryStep for the Windows build: each durability
// step at its 1st, 2nd and last occurrence under both deletion policies, and every single
// failpoint call in turn.
func TestCrashAtEveryStepWine(t *testing.T) {
	child := crashchild.WineRunner(t, crashWineEnv)
	if testing.Short() {
		t.Skip("crash harness skipped in -short mode")
	}
	crashAtEveryStep(t, child)
}

// TestCrashRandomKillsWine is TestCrashRandomKills for the Windows build: the Linux
// process of the Windows child is SIGKILLed at random moments.
func TestCrashRandomKillsWine(t *testing.T) {
	child := crashchild.WineRunner(t, crashWineEnv)
	if testing.Short() {
		t.Skip("crash harness skipped in -short mode")
	}
	crashRandomKills(t, child, crashWineRandom)
}

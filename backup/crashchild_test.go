package backup

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/internal/testkit/crashchild"
)

// The child side of the crash harness (crash_test.go). It builds on every system: under
// Wine the child is this package's Windows test binary (crash_wine_test.go).

// crashEnv carries a crashJob (JSON) to TestCrashChild in the child process.
const crashEnv = "POSTFACH_CRASH_CHILD"

// crashJob is one child run. Its paths are as the child sees them.
type crashJob struct {
	Account  accounts.Account
	Password string
	StateDir string
	CertFile string
	Clock    time.Time
	Batch    int // Options.batch in the child
	// Kill at the Occurrence-th call of failpoint Step, or at the Nth failpoint call of any
	// step; neither set: no kill.
	Step       string
	Occurrence int
	Nth        int
	// Trace, if set, is a file the child appends each failpoint name to, one per line.
	Trace string
}

// TestCrashChild is the child side of the crash tests; on its own it skips.
func TestCrashChild(t *testing.T) {
	var job crashJob
	crashchild.Job(t, crashEnv, &job)
	roots := crashchild.Roots(t, job.CertFile)
	var trace *os.File
	if job.Trace != "" {
		var err error
		if trace, err = os.OpenFile(job.Trace, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	counts := map[string]int{}
	total := 0
	opts := &Options{StateDir: job.StateDir, Conn: &connect.Options{Roots: roots, Timeout: 20 * time.Second},
		Now: func() time.Time { return job.Clock }, batch: job.Batch}
	opts.failpoint = func(step string) {
		counts[step]++
		total++
		if trace != nil {
			fmt.Fprintln(trace, step) // unbuffered: what precedes a kill is on file
		}
		if (step == job.Step && counts[step] == job.Occurrence) || total == job.Nth {
			crashchild.Kill()
		}
	}
	if _, err := Run(context.Background(), job.Account, job.Password, opts); err != nil {
		t.Fatalf("child run: %v", err)
	}
}

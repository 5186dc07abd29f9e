//go:build unix

// Package crashchild runs one test of the current test binary in a child process that a
// crash test kills (by a failpoint in the child, or from outside after a delay), the way
// isync's run-tests.pl interrupts its journal: the parent then checks what the killed
// run left behind.
package crashchild

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Run re-executes the test binary to run only the test named test, with job encoded as
// JSON in the environment variable env (the child test reads it and skips when it is
// unset). killAfter > 0 also kills the child from outside after that delay. It reports
// whether the child died by SIGKILL; a child that failed in any other way fails t.
func Run(t testing.TB, test, env string, job any, killAfter time.Duration) (killed bool) {
	t.Helper()
	spec, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), env+"="+string(spec))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if killAfter > 0 {
		timer := time.AfterFunc(killAfter, func() { cmd.Process.Kill() })
		defer timer.Stop()
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
	}
	if err != nil {
		t.Fatalf("crash child failed: %v\n%s", err, out.String())
	}
	return false
}

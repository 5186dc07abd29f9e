//go:build unix

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

// Runner starts child processes. The zero value re-executes the current test binary.
type Runner struct {
	// WineExe, if set, is a Windows test binary (of the package under test) that runs
	// under Wine instead of the current binary. Paths in a job must then be given as the
	// child sees them (WinePath).
	WineExe string
}

// Wine reports whether the runner's children are Windows processes under Wine.
func (r Runner) Wine() bool { return r.WineExe != "" }

// Path returns p as the child sees it: p itself, or its Wine form (WinePath).
func (r Runner) Path(p string) string {
	if r.Wine() && p != "" {
		return WinePath(p)
	}
	return p
}

// WinePath returns the Windows form of an absolute Linux path under Wine, whose drive Z:
// is the Linux root: /tmp/a/b becomes Z:\tmp\a\b.
func WinePath(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }

// Run runs the current test binary as a child (the zero Runner).
func Run(t testing.TB, test, env string, job any, killAfter time.Duration) (killed bool) {
	t.Helper()
	return Runner{}.Run(t, test, env, job, killAfter)
}

// Run starts the child to run only the test named test, with job encoded as JSON in the
// environment variable env (the child test reads it and skips when it is unset).
// killAfter > 0 also SIGKILLs the child from outside after that delay. It reports whether
// the child was killed (SIGKILL, or Kill's exit code); a child that failed in any other
// way fails t.
//
// A Windows child that exits abnormally without a single byte of output was lost by
// Wine 8, not failed by the test (a failing Go test says why): seen a few times in some
// thousand starts, exit status 1 or 127, while other children were being killed. Run logs
// that and starts it again, at most twice; whatever the lost run did to the backup folder,
// the next run meets it like a crash's remains, and the oracle is checked after it.
func (r Runner) Run(t testing.TB, test, env string, job any, killAfter time.Duration) (killed bool) {
	t.Helper()
	spec, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 0; ; attempt++ {
		killed, output, err := r.run(t, test, env+"="+string(spec), killAfter)
		if killed {
			return true
		}
		if err != nil && r.Wine() && len(output) == 0 && attempt < 2 {
			t.Logf("crashchild: Wine child exited with %v before any output; starting it again", err)
			continue
		}
		if err != nil {
			t.Fatalf("crash child failed: %v\n%s", err, output)
		}
		return false
	}
}

// run starts the child once and waits for it.
func (r Runner) run(t testing.TB, test, jobEnv string, killAfter time.Duration) (killed bool, output []byte, err error) {
	t.Helper()
	args := []string{"-test.run=^" + test + "$", "-test.count=1", "-test.timeout=2m"}
	cmd := exec.Command(os.Args[0], args...)
	if r.Wine() {
		// The wine launcher execs into the Windows process, so cmd.Process is the
		// Windows test binary itself and SIGKILL ends it abruptly.
		cmd = exec.Command("wine", append([]string{r.WineExe}, args...)...)
	}
	cmd.Env = append(os.Environ(), jobEnv)
	// A file, not a pipe: a child killed while Wine starts may leave Wine's service
	// processes holding its stdout, and with a pipe Wait would wait for them.
	out, err := os.CreateTemp("", "crashchild-*.out")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if killAfter > 0 {
		timer := time.AfterFunc(killAfter, func() { cmd.Process.Kill() })
		defer timer.Stop()
	}
	err = cmd.Wait()
	output, rerr := os.ReadFile(out.Name())
	if rerr != nil {
		t.Fatal(rerr)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true, output, err
		}
		if ee.ExitCode() == KilledExitCode {
			return true, output, err
		}
	}
	return false, output, err
}

// WineRunner returns a runner for the Windows test binary named by the environment
// variable env, or skips t when env is unset. With env set, a missing binary or a missing
// wine command fails t: whoever set it meant the Windows children to run.
func WineRunner(t testing.TB, env string) Runner {
	t.Helper()
	exe := os.Getenv(env)
	if exe == "" {
		t.Skipf("%s is not set (.ci/wine/test.sh sets it to the Windows test binary)", env)
	}
	if _, err := os.Stat(exe); err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	if _, err := exec.LookPath("wine"); err != nil {
		t.Fatalf("%s is set but wine is missing: %v", env, err)
	}
	return Runner{WineExe: exe}
}

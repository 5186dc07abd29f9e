package filelock_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts/filelock"
)

// helperEnv makes the test binary act as a lock holder (see TestHelperHoldLock), the way
// os/exec's tests re-run themselves as helper processes.
const helperEnv = "POSTFACH_FILELOCK_HELPER_PATH"

func TestTryLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.lock")

	l1, err := filelock.TryLock(path)
	if err != nil {
		t.Fatalf("first TryLock = %v", err)
	}
	// A second open file in the same process conflicts too.
	l2, err := filelock.TryLock(path)
	if !errors.Is(err, filelock.ErrLocked) {
		t.Fatalf("second TryLock = %v, %v; want ErrLocked", l2, err)
	}
	if l2 != nil {
		t.Errorf("second TryLock returned a lock with its error")
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the lock file", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(data)); got != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q, want our pid %d", got, os.Getpid())
	}

	if err := l1.Unlock(); err != nil {
		t.Fatalf("Unlock = %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("lock file gone after Unlock: %v", err)
	}
	l3, err := filelock.TryLock(path)
	if err != nil {
		t.Fatalf("TryLock after Unlock = %v", err)
	}
	if err := l3.Unlock(); err != nil {
		t.Fatal(err)
	}
}

func TestTryLockIndependentPaths(t *testing.T) {
	dir := t.TempDir()
	a, err := filelock.TryLock(filepath.Join(dir, "a.lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Unlock()
	b, err := filelock.TryLock(filepath.Join(dir, "b.lock"))
	if err != nil {
		t.Fatalf("lock on another path = %v", err)
	}
	defer b.Unlock()
}

func TestUnlockTwiceAndNil(t *testing.T) {
	l, err := filelock.TryLock(filepath.Join(t.TempDir(), "x.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Errorf("second Unlock = %v, want nil", err)
	}
	var nilLock *filelock.Lock
	if err := nilLock.Unlock(); err != nil {
		t.Errorf("nil Unlock = %v, want nil", err)
	}
}

func TestTryLockMissingDir(t *testing.T) {
	_, err := filelock.TryLock(filepath.Join(t.TempDir(), "missing", "x.lock"))
	if err == nil || errors.Is(err, filelock.ErrLocked) {
		t.Errorf("TryLock in a missing folder = %v, want a non-ErrLocked error", err)
	}
}

// TestLockReleasedWhenHolderKilled: a run killed with SIGKILL must not leave a stale lock.
func TestLockReleasedWhenHolderKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	path := filepath.Join(t.TempDir(), "run.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	stdin, err := cmd.StdinPipe() // closed when we exit, so an orphaned helper ends too
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "locked" {
				ready <- nil
				io.Copy(io.Discard, stdout)
				return
			}
		}
		ready <- fmt.Errorf("helper ended without taking the lock (%v)", sc.Err())
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("helper did not take the lock within 30 s")
	}

	if l, err := filelock.TryLock(path); !errors.Is(err, filelock.ErrLocked) {
		l.Unlock()
		t.Fatalf("TryLock while the helper holds the lock = %v, want ErrLocked", err)
	}
	data, _ := os.ReadFile(path)
	if got := strings.TrimSpace(string(data)); got != strconv.Itoa(cmd.Process.Pid) {
		t.Errorf("lock file holds %q, want the helper's pid %d", got, cmd.Process.Pid)
	}

	if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix, TerminateProcess on Windows
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("helper Wait = %v, want it killed", err)
	}
	// Windows has no signals: a process ended by TerminateProcess has "exited" with
	// the code Kill gave it (1).
	if exitErr.Exited() && runtime.GOOS != "windows" {
		t.Errorf("helper exited normally (%v); it should have been killed", exitErr)
	}

	l, err := filelock.TryLock(path)
	if err != nil {
		t.Fatalf("TryLock after the holder was killed = %v; the lock is stale", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
}

// TestHelperHoldLock is not a real test: run by TestLockReleasedWhenHolderKilled, it takes
// the lock, says "locked" and waits to be killed.
func TestHelperHoldLock(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process for TestLockReleasedWhenHolderKilled")
	}
	l, err := filelock.TryLock(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	_ = l // held until the process dies
	fmt.Println("locked")
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	select {
	case <-done: // the parent went away
	case <-time.After(time.Minute):
	}
	os.Exit(3)
}

// Package desktop runs the real Postfach binary on a virtual display for end-to-end tests
// (gui/e2e):
// under Xvfb (xvfb-run), inside a private D-Bus session with an unlocked gnome-keyring
// (.ci/with-session.sh), with its own POSTFACH_HOME and XDG folders. A Session drives
// the app with xdotool, takes screenshots with ImageMagick's import, records desktop
// notifications with dbus-monitor, and can prepare the keyring before the app starts.
//
// The tests using it only run with POSTFACH_E2E=1 (they need those tools and build the
// cgo binary); `make test` sets it and provides the session. It is a test kit, not part
// of the product, so it lives under internal/testkit.
package desktop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// EnableEnv names the variable that enables the end-to-end tests.
const EnableEnv = "POSTFACH_E2E"

// ArtifactsEnv names a folder where screenshots and logs are kept after the test; by
// default they go to a temporary folder that is removed.
const ArtifactsEnv = "POSTFACH_ARTIFACTS"

// Skip skips the test unless POSTFACH_E2E=1 and the tools are installed.
func Skip(t *testing.T) {
	t.Helper()
	if os.Getenv(EnableEnv) != "1" {
		t.Skipf("end-to-end test: set %s=1 to run it (needs xvfb-run, dbus, gnome-keyring, xdotool, imagemagick)", EnableEnv)
	}
	for _, tool := range []string{"xvfb-run", "dbus-run-session", "gnome-keyring-daemon", "xdotool", "import", "dbus-monitor"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s=1 but %s is missing: %v", EnableEnv, tool, err)
		}
	}
}

// RepoRoot returns the module root (where go.mod and .ci live).
func RepoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("find module root: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// Build compiles the postfach binary (cgo, slow the first time) into dir and returns its
// path. It builds with the migrated_fynedo tag, as `fyne build` does for FyneApp.toml's
// [Migrations] fyneDo = true.
func Build(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "postfach")
	cmd := exec.Command("go", "build", "-tags", "migrated_fynedo", "-o", bin, ".")
	cmd.Dir = RepoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build postfach: %v\n%s", err, out)
	}
	return bin
}

// Artifacts returns the folder for screenshots and logs of this test.
func Artifacts(t *testing.T) string {
	t.Helper()
	if d := os.Getenv(ArtifactsEnv); d != "" {
		dir := filepath.Join(d, strings.ReplaceAll(t.Name(), "/", "_"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// Options describe a session.
type Options struct {
	// Binary is the postfach executable (from Build).
	Binary string
	// Home is POSTFACH_HOME; empty means a fresh temporary folder. Prepare it with
	// accounts.OpenStore(Home) before Start to begin with accounts.
	Home string
	// Lang is LANG for the app; default en_US.UTF-8.
	Lang string
	// Screen is Xvfb's screen geometry; default 1280x800x24.
	Screen string
	// Env is added to the app's environment (e.g. SSL_CERT_FILE,
	// POSTFACH_SCHEDULER_START_DELAY).
	Env []string
	// Prepare are commands run inside the session before the app starts, with the same
	// environment: the place to put passwords into the session's keyring
	// (see SetPasswordCommand).
	Prepare [][]string
}

// Session is a running app on a virtual display.
type Session struct {
	t    *testing.T
	Home string
	// Artifacts is where Screenshot writes.
	Artifacts string

	ctl  string // control folder: env, pid, rc, app.log, dbus.log
	cmd  *exec.Cmd
	done chan error
	env  []string // DISPLAY, XAUTHORITY, DBUS_SESSION_BUS_ADDRESS of the session
	pid  int
	step int // Step's counter
}

// wrapper runs inside xvfb-run and with-session.sh: it publishes the session's
// environment, starts dbus-monitor, runs the preparation, then the app.
const wrapper = `set -u
ctl=$1; shift
env | grep -E '^(DISPLAY|XAUTHORITY|DBUS_SESSION_BUS_ADDRESS)=' > "$ctl/env.tmp" && mv "$ctl/env.tmp" "$ctl/env"
dbus-monitor --session "interface='org.freedesktop.Notifications'" > "$ctl/dbus.log" 2>&1 &
mon=$!
if [ -f "$ctl/prepare.sh" ]; then
  if ! bash -e "$ctl/prepare.sh" > "$ctl/prepare.log" 2>&1; then echo 97 > "$ctl/rc"; kill $mon; exit 97; fi
fi
"$@" > "$ctl/app.log" 2>&1 &
app=$!
echo $app > "$ctl/pid"
wait $app
rc=$?
echo $rc > "$ctl/rc"
sleep 0.2
kill $mon 2>/dev/null
exit $rc
`

// Start runs the app and waits until its process exists. Stop (or the test's cleanup)
// ends it.
func Start(t *testing.T, o Options) *Session {
	t.Helper()
	if o.Home == "" {
		o.Home = t.TempDir()
	}
	if o.Lang == "" {
		o.Lang = "en_US.UTF-8"
	}
	if o.Screen == "" {
		o.Screen = "1280x800x24"
	}
	s := &Session{t: t, Home: o.Home, Artifacts: Artifacts(t), ctl: t.TempDir(), done: make(chan error, 1)}
	script := filepath.Join(s.ctl, "wrapper.sh")
	must(t, os.WriteFile(script, []byte(wrapper), 0o755))
	if len(o.Prepare) > 0 {
		var b strings.Builder
		for _, c := range o.Prepare {
			b.WriteString(shellJoin(c) + "\n")
		}
		must(t, os.WriteFile(filepath.Join(s.ctl, "prepare.sh"), []byte(b.String()), 0o600))
	}
	xdg := t.TempDir()
	args := []string{"-a", "-s", "-screen 0 " + o.Screen, filepath.Join(RepoRoot(t), ".ci", "with-session.sh"), "bash", script, s.ctl, o.Binary}
	s.cmd = exec.Command("xvfb-run", args...)
	s.cmd.Env = append(os.Environ(),
		"POSTFACH_HOME="+o.Home,
		"LANG="+o.Lang, "LC_ALL=", "LC_MESSAGES=", "LANGUAGE=",
		"XDG_CONFIG_HOME="+filepath.Join(xdg, "config"),
		"XDG_CACHE_HOME="+filepath.Join(xdg, "cache"),
		"XDG_RUNTIME_DIR="+mkdir(t, filepath.Join(xdg, "run"), 0o700),
		"DBUS_SESSION_BUS_ADDRESS=", // never the caller's bus
		"POSTFACH_IN_SESSION=",
	)
	s.cmd.Env = append(s.cmd.Env, o.Env...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	s.cmd.Stdout, s.cmd.Stderr = &out, &out
	must(t, s.cmd.Start())
	go func() {
		err := s.cmd.Wait()
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, out.String())
		}
		s.done <- err
	}()
	t.Cleanup(s.kill)

	s.waitFile("pid", 30*time.Second)
	env, _ := os.ReadFile(filepath.Join(s.ctl, "env"))
	s.env = append(os.Environ(), strings.Fields(string(env))...)
	s.pid, _ = strconv.Atoi(strings.TrimSpace(s.read("pid")))
	return s
}

func (s *Session) waitFile(name string, timeout time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(filepath.Join(s.ctl, name)); err == nil {
			return
		}
		select {
		case err := <-s.done:
			s.done <- err
			s.t.Fatalf("the session ended before %s appeared: %v\nprepare: %s\napp: %s", name, err, s.read("prepare.log"), s.AppLog())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no %s after %v", name, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Session) read(name string) string {
	b, _ := os.ReadFile(filepath.Join(s.ctl, name))
	return string(b)
}

// AppLog is what the app printed so far.
func (s *Session) AppLog() string { return s.read("app.log") }

// NotificationLog is what dbus-monitor saw of org.freedesktop.Notifications.
func (s *Session) NotificationLog() string { return s.read("dbus.log") }

// Run runs a command on the session's display and bus and returns its output.
func (s *Session) Run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// WaitWindow waits for a window whose title matches the regular expression name and
// returns its X window id.
func (s *Session) WaitWindow(name string, timeout time.Duration) string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out, err := s.Run("xdotool", "search", "--onlyvisible", "--name", name)
		if id := strings.Fields(out); err == nil && len(id) > 0 {
			return id[0]
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no window %q after %v\napp log:\n%s", name, timeout, s.AppLog())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Screenshot saves the whole screen as <Artifacts>/<name>.png and returns the path.
func (s *Session) Screenshot(name string) string {
	s.t.Helper()
	path := filepath.Join(s.Artifacts, name+".png")
	if out, err := s.Run("import", "-window", "root", path); err != nil {
		s.t.Fatalf("screenshot: %v\n%s", err, out)
	}
	s.t.Logf("screenshot: %s", path)
	return path
}

// Step lets the app settle and saves a numbered screenshot "<NN>-<name>", so that a
// click-through's screenshots sort in the order of its steps.
func (s *Session) Step(name string) {
	s.t.Helper()
	time.Sleep(700 * time.Millisecond)
	s.step++
	s.Screenshot(fmt.Sprintf("%02d-%s", s.step, name))
}

// ScrollDown scrolls the widget under (x, y) to its end with the mouse wheel.
func (s *Session) ScrollDown(x, y int) {
	s.t.Helper()
	_, _ = s.Run("xdotool", "mousemove", strconv.Itoa(x), strconv.Itoa(y))
	for range 30 {
		_, _ = s.Run("xdotool", "click", "5")
	}
}

// Click clicks at screen coordinates (the window sits at 0,0 without a window manager).
func (s *Session) Click(x, y int) {
	s.t.Helper()
	if out, err := s.Run("xdotool", "mousemove", strconv.Itoa(x), strconv.Itoa(y), "click", "1"); err != nil {
		s.t.Fatalf("click: %v\n%s", err, out)
	}
}

// Type types text into the focused widget.
func (s *Session) Type(text string) {
	s.t.Helper()
	if out, err := s.Run("xdotool", "type", "--delay", "30", text); err != nil {
		s.t.Fatalf("type: %v\n%s", err, out)
	}
}

// Key presses keys, e.g. "Tab" or "ctrl+a".
func (s *Session) Key(keys ...string) {
	s.t.Helper()
	if out, err := s.Run("xdotool", append([]string{"key"}, keys...)...); err != nil {
		s.t.Fatalf("key: %v\n%s", err, out)
	}
}

// WaitNotification waits until dbus-monitor saw a notification containing text (in its
// title or body) and returns the log.
func (s *Session) WaitNotification(text string, timeout time.Duration) string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		log := s.NotificationLog()
		if strings.Contains(log, text) {
			return log
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no notification with %q after %v\nbus:\n%s\napp:\n%s", text, timeout, log, s.AppLog())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Stop sends SIGTERM to the app and waits for the session to end; it fails the test
// unless the app exits with status 0 within the timeout.
func (s *Session) Stop(timeout time.Duration) {
	s.t.Helper()
	if err := syscall.Kill(s.pid, syscall.SIGTERM); err != nil {
		s.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("session ended with %v\napp log:\n%s", err, s.AppLog())
		}
	case <-time.After(timeout):
		s.t.Fatalf("the app did not quit within %v after SIGTERM\napp log:\n%s", timeout, s.AppLog())
	}
	if rc := strings.TrimSpace(s.read("rc")); rc != "0" {
		s.t.Errorf("app exit status %q\napp log:\n%s", rc, s.AppLog())
	}
	s.keepLogs()
}

// keepLogs copies the app and bus logs next to the screenshots.
func (s *Session) keepLogs() {
	for _, n := range []string{"app.log", "dbus.log", "prepare.log"} {
		if b, err := os.ReadFile(filepath.Join(s.ctl, n)); err == nil {
			_ = os.WriteFile(filepath.Join(s.Artifacts, n), b, 0o644)
		}
	}
}

// kill ends a session the test left running (a failed test): the whole process group.
func (s *Session) kill() {
	if s.cmd.Process == nil {
		return
	}
	select {
	case err := <-s.done:
		s.done <- err
		return
	default:
	}
	s.keepLogs()
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// HelperEnv selects the helper mode of a test binary that calls RunHelper from TestMain.
const HelperEnv = "POSTFACH_E2E_HELPER"

// SetPasswordCommand returns a Prepare command that stores password for accountID in the
// session's keyring. It re-runs the current test binary in helper mode, so the test
// package's TestMain must call RunHelper first.
func SetPasswordCommand(accountID, password string) []string {
	return []string{"env", HelperEnv + "=set-password", "POSTFACH_E2E_ACCOUNT=" + accountID,
		"POSTFACH_E2E_PASSWORD=" + password, os.Args[0], "-test.run=^$"}
}

// RunHelper performs the helper action if the process was started as a helper and
// reports whether it did (TestMain then exits). setPassword is secrets.Set, passed in so
// that this package stays free of keyring code.
func RunHelper(setPassword func(ctx context.Context, id, pw string) error) (bool, error) {
	switch os.Getenv(HelperEnv) {
	case "":
		return false, nil
	case "set-password":
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		return true, setPassword(ctx, os.Getenv("POSTFACH_E2E_ACCOUNT"), os.Getenv("POSTFACH_E2E_PASSWORD"))
	default:
		return true, errors.New("unknown helper " + os.Getenv(HelperEnv))
	}
}

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, dir string, perm os.FileMode) string {
	t.Helper()
	must(t, os.MkdirAll(dir, perm))
	return dir
}

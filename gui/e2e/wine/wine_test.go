package wine_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/internal/testkit/desktop"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// Environment set by .ci/wine/e2e.sh.
const (
	enableEnv = "POSTFACH_WINE_E2E" // "1" runs the test
	setupEnv  = "POSTFACH_WINE_SETUP"
)

const appID = "de.postfach.app"

func TestInstallBackupUninstall(t *testing.T) {
	if os.Getenv(enableEnv) != "1" {
		t.Skipf("Wine end-to-end test: set %s=1 (make test-windows does)", enableEnv)
	}
	setup, prefix := os.Getenv(setupEnv), os.Getenv("WINEPREFIX")
	if setup == "" || prefix == "" {
		t.Fatalf("%s and WINEPREFIX must be set", setupEnv)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	// Wine names the Windows user after the Linux user.
	profile := filepath.Join(prefix, "drive_c", "users", u.Username)
	progDir := filepath.Join(profile, "AppData", "Local", "Programs", "Postfach")
	winProg := `C:\users\` + u.Username + `\AppData\Local\Programs\Postfach`

	// Silent install: program files, Start menu entry, Apps & features, toast identity.
	wine(t, nil, setup, "/S")
	for _, f := range []string{"Postfach.exe", "postfach.com", "Uninstall.exe", "Postfach.ico"} {
		if _, err := os.Stat(filepath.Join(progDir, f)); err != nil {
			t.Errorf("after install: %v", err)
		}
	}
	lnk := filepath.Join(profile, "AppData", "Roaming", "Microsoft", "Windows", "Start Menu", "Programs", "Postfach.lnk")
	if _, err := os.Stat(lnk); err != nil {
		t.Errorf("Start menu entry: %v", err)
	}
	aumid := `HKCU\Software\Classes\AppUserModelId\` + appID
	uninst := `HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\` + appID
	if out := wine(t, nil, "reg", "query", aumid, "/v", "DisplayName"); !strings.Contains(out, "Postfach") {
		t.Errorf("toast identity not registered:\n%s", out)
	}
	if out := wine(t, nil, "reg", "query", uninst, "/v", "QuietUninstallString"); !strings.Contains(out, `Uninstall.exe" /S`) {
		t.Errorf("uninstaller not registered:\n%s", out)
	}

	// The command line: a POP3S account with a pinned certificate, a backup folder with a
	// space and umlauts, backup and verify; every stored message wire-exact.
	srv := dovecottest.Start(t)
	anna := srv.AddUser(t, "anna", "dovecot-secret", 0)
	msgs := append(dovecottest.Ordinary(20, 7), dovecottest.EdgeCases()...)
	var raw [][]byte
	for _, m := range msgs {
		raw = append(raw, m.Stored)
	}
	anna.Deliver(t, raw...)
	cli := winProg + `\postfach.com`
	backupWin := `C:\users\` + u.Username + `\Documents\Mail-Sicherung Jürgen Groß`
	backupDir := filepath.Join(profile, "Documents", "Mail-Sicherung Jürgen Groß")
	wine(t, strings.NewReader("dovecot-secret"), cli, "account", "add", "--name", "Büro",
		"--email", "anna@example.org", "--protocol", "pop3", "--host", srv.Host,
		"--port", strconv.Itoa(srv.POP3SPort), "--security", "tls", "--username", "anna",
		"--password-stdin", "--backup-dir", backupWin, "--trust-fingerprint", srv.CertSHA256,
		"--keep-forever", "--schedule", "off")
	t.Log(wine(t, nil, cli, "backup", "Büro"))
	t.Log(wine(t, nil, cli, "verify", "Büro"))
	var want, got []string
	for _, m := range raw {
		want = append(want, string(dovecottest.WireForm(m)))
	}
	for _, sub := range []string{"new", "cur"} {
		files, _ := filepath.Glob(filepath.Join(backupDir, sub, "*"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(b))
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("backup holds %d messages, want %d wire-exact copies", len(got), len(want))
	}

	// The desktop app opens its wizard (a fresh POSTFACH_HOME has no account).
	gui := filepath.Join(t.TempDir(), "postfach-wine")
	script := "#!/bin/sh\nexec wine '" + filepath.Join(progDir, "Postfach.exe") + "' \"$@\"\n"
	if err := os.WriteFile(gui, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	s := desktop.Start(t, desktop.Options{Binary: gui, Screen: "1024x768x24"})
	s.WaitWindow("Postfach", 90*time.Second)
	time.Sleep(3 * time.Second) // let the first frames render under software GL
	s.Screenshot("windows-wizard")
	// A running Postfach.exe cannot be deleted: quit it as Task Manager would.
	wine(t, nil, "taskkill", "/F", "/IM", "Postfach.exe")

	// Silent uninstall: program, Start menu entry, registry entries and the autostart
	// value go; the settings and the backups stay.
	wine(t, nil, "reg", "add", `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`, "/v", appID,
		"/d", `"`+winProg+`\Postfach.exe" --start-hidden`, "/f")
	wine(t, nil, filepath.Join(progDir, "Uninstall.exe"), "/S")
	// The uninstaller copies itself to %TEMP% and returns at once: wait for the copy.
	deadline := time.Now().Add(60 * time.Second)
	for exists(filepath.Join(progDir, "Postfach.exe")) || exists(lnk) {
		if time.Now().After(deadline) {
			t.Fatal("the uninstaller did not remove the program within 60 s")
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // the registry edits come after the files
	for _, key := range []string{aumid, uninst} {
		if out, err := wineErr(nil, "reg", "query", key); err == nil {
			t.Errorf("%s still there after uninstall:\n%s", key, out)
		}
	}
	if out, err := wineErr(nil, "reg", "query", `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`, "/v", appID); err == nil {
		t.Errorf("autostart value still there after uninstall:\n%s", out)
	}
	left, _ := filepath.Glob(filepath.Join(backupDir, "*", "*"))
	if len(left) < len(raw) {
		t.Errorf("after uninstall the backup folder holds %d files, want at least %d", len(left), len(raw))
	}
	if !exists(filepath.Join(profile, "AppData", "Roaming", "postfach", "config.json")) {
		t.Error("uninstall removed the settings")
	}
}

// wine runs a Windows program under Wine and fails the test unless it exits with 0.
func wine(t *testing.T, stdin *strings.Reader, args ...string) string {
	t.Helper()
	out, err := wineErr(stdin, args...)
	if err != nil {
		t.Fatalf("wine %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func wineErr(stdin *strings.Reader, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wine", args...)
	// The app's own settings under %AppData%, as on a real installation.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "POSTFACH_HOME=") })
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

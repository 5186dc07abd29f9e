package gui

import (
	"bytes"
	"os"
	"testing"

	"golang.org/x/sys/windows/registry"

	"github.com/postfach/postfach/assets"
)

// These tests write to the current user's registry under IDs of their own and remove
// them again; CI runs them under Wine in a throw-away prefix (.ci/wine/test.sh).

func TestWindowsAutostart(t *testing.T) {
	const id = "de.postfach.test-autostart"
	t.Cleanup(func() { _ = setAutostart(id, false) })
	if autostartEnabled(id) {
		t.Fatal("autostart enabled before the test switched it on")
	}
	if err := setAutostart(id, true); err != nil {
		t.Fatal(err)
	}
	if !autostartEnabled(id) {
		t.Fatal("autostart not enabled after setAutostart(true)")
	}
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := k.GetStringValue(id)
	k.Close()
	exe, _ := os.Executable()
	if want := runCommand(exe); err != nil || got != want {
		t.Errorf("Run value = %q, %v; want %q", got, err, want)
	}
	for range 2 { // switching off twice is fine
		if err := setAutostart(id, false); err != nil {
			t.Fatal(err)
		}
	}
	if autostartEnabled(id) {
		t.Error("autostart still enabled after setAutostart(false)")
	}
}

func TestWindowsToastID(t *testing.T) {
	const id = "de.postfach.test-toast"
	path := `Software\Classes\AppUserModelId\` + id
	t.Cleanup(func() { _ = registry.DeleteKey(registry.CURRENT_USER, path) })
	t.Setenv("LocalAppData", t.TempDir()) // os.UserCacheDir on Windows
	// The second call finds the registration and leaves it alone.
	for range 2 {
		if err := registerToastID(id); err != nil {
			t.Fatal(err)
		}
	}
	k, err := registry.OpenKey(registry.CURRENT_USER, path, registry.QUERY_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if name, _, err := k.GetStringValue("DisplayName"); err != nil || name != "Postfach" {
		t.Errorf("DisplayName = %q, %v", name, err)
	}
	icon, _, err := k.GetStringValue("IconUri")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(icon); err != nil || !bytes.Equal(b, assets.Icon) {
		t.Errorf("IconUri %q does not hold the app icon (%v)", icon, err)
	}
}

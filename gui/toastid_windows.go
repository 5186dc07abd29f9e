package gui

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows/registry"

	"github.com/postfach/postfach/assets"
)

// registerToastID registers appID as an AppUserModelID, with a display name and an icon,
// unless that is done already. Fyne sends toasts under the app ID, and Windows silently
// drops toasts from an ID it does not know. The installer registers it too
// (assets/windows/installer.nsi); this covers the portable zip.
func registerToastID(appID string) error {
	path := `Software\Classes\AppUserModelId\` + appID
	if k, err := registry.OpenKey(registry.CURRENT_USER, path, registry.QUERY_VALUE); err == nil {
		k.Close()
		return nil
	}
	// IconUri needs an image file; the portable build has none besides the exe.
	cache, err := os.UserCacheDir()
	if err != nil {
		return fmt.Errorf("register toast id: %w", err)
	}
	icon := filepath.Join(cache, "postfach", "icon.png")
	if err := os.MkdirAll(filepath.Dir(icon), 0o755); err != nil {
		return fmt.Errorf("register toast id: %w", err)
	}
	if err := os.WriteFile(icon, assets.Icon, 0o644); err != nil {
		return fmt.Errorf("register toast id: %w", err)
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, path, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("register toast id: %w", err)
	}
	defer k.Close()
	if err := k.SetStringValue("DisplayName", "Postfach"); err != nil {
		return fmt.Errorf("register toast id: %w", err)
	}
	if err := k.SetStringValue("IconUri", icon); err != nil {
		return fmt.Errorf("register toast id: %w", err)
	}
	return nil
}

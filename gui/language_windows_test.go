package gui

import "testing"

// TestWindowsAppLanguage: under Windows' own locale calls (CI: Wine), the app's language
// can differ from the regional format's, as it does for the display language.
func TestWindowsAppLanguage(t *testing.T) { TestAppFollowsPostfachLang(t) }

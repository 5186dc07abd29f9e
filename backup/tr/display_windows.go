package tr

import "golang.org/x/sys/windows"

// displayLanguages returns the user's display (UI) languages in order of preference,
// such as "de-DE": Windows chooses its menus' language from them, not from the
// regional format, so neither does Postfach.
func displayLanguages() []string {
	l, err := windows.GetUserPreferredUILanguages(windows.MUI_LANGUAGE_NAME)
	if err != nil {
		return nil
	}
	return l
}

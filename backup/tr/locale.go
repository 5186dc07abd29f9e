package tr

import (
	"os"
	"strings"
)

// OverrideEnv names the environment variable that chooses the command line's language
// regardless of the system's: "de" or "en".
const OverrideEnv = "POSTFACH_LANG"

// Detect returns the language for this process (German or English): see Choose.
func Detect() string { return Choose(os.Getenv, displayLanguages()) }

// Choose decides the language from the environment (getenv) and, on Windows, the
// user's display languages (display; nil elsewhere or when they cannot be read).
//
// POSTFACH_LANG wins when it names German or English. Then, on Windows, the first
// display language Postfach speaks. Elsewhere the POSIX rules as gettext applies them:
// the locale is the first of LC_ALL, LC_MESSAGES and LANG that is set; an unset, "C"
// or "POSIX" locale means English and LANGUAGE is ignored; otherwise the first
// language in LANGUAGE's colon-separated list Postfach speaks, else the locale's own.
// Every other language is English.
func Choose(getenv func(string) string, display []string) string {
	if l, ok := spoken(getenv(OverrideEnv)); ok {
		return l
	}
	if display != nil {
		for _, d := range display {
			if l, ok := spoken(d); ok {
				return l
			}
		}
		return English
	}
	var locale string
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if locale = getenv(v); locale != "" {
			break
		}
	}
	if l := base(locale); l == "" || l == "c" || l == "posix" {
		return English
	}
	for _, v := range strings.Split(getenv("LANGUAGE"), ":") {
		if l, ok := spoken(v); ok {
			return l
		}
	}
	if l, ok := spoken(locale); ok {
		return l
	}
	return English
}

// spoken returns the language of a locale name (de_DE.UTF-8, de-AT, en) if Postfach
// speaks it.
func spoken(locale string) (string, bool) {
	switch l := base(locale); l {
	case German, English:
		return l, true
	}
	return "", false
}

// base returns a locale name's language part in lower case: "de" for "de_DE.UTF-8@euro".
func base(locale string) string {
	if i := strings.IndexAny(locale, "_-.@"); i >= 0 {
		locale = locale[:i]
	}
	return strings.ToLower(strings.TrimSpace(locale))
}

// Package localeenv maps a "C.UTF-8" or "POSIX.UTF-8" locale in the environment to
// English before Fyne reads it, so that command-line runs under such a locale do not
// print "Fyne error: Error parsing user locale C" on standard error.
//
// Fyne's lang package reads the locale in its package initialisation, before main runs,
// and its locale library turns LANG=C.UTF-8 into the tag "C", which does not parse (plain
// C and POSIX it handles). This package does the mapping in its own init instead. It
// imports nothing but os, on purpose: Go initialises packages in import-path order among
// those whose imports are done (the Go spec, "Package initialization"), so this package,
// ready as soon as os is, always runs before log and therefore before Fyne, whose import
// path sorts earlier but which needs log. Importing anything else could break that; the
// test runs a fresh process under C.UTF-8 to prove it.
package localeenv

import "os"

func init() { mapCLocale() }

// mapCLocale sets LANGUAGE to English when the locale that decides messages (the first
// of LC_ALL, LC_MESSAGES, LANG that is set) is the C or POSIX locale with an encoding.
// LANGUAGE is what Fyne's locale library consults next; programs started by Postfach see
// "en", which is what the C locale means for messages.
func mapCLocale() {
	if os.Getenv("LANGUAGE") != "" {
		return
	}
	for _, v := range [...]string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		loc := os.Getenv(v)
		if loc == "" {
			continue
		}
		if hasPrefix(loc, "C.") || hasPrefix(loc, "POSIX.") {
			_ = os.Setenv("LANGUAGE", "en")
		}
		return
	}
}

// hasPrefix is strings.HasPrefix, written out so that this package imports only os.
func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

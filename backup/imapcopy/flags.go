package imapcopy

import (
	"runtime"
	"slices"
	"strings"
)

// infoSep separates a Maildir file's unique name from its info ("...:2,S"). Windows
// forbids ':' in file names; mail programs there use '!' instead.
var infoSep = func() byte {
	if runtime.GOOS == "windows" {
		return '!'
	}
	return ':'
}()

// maildirFlags maps IMAP system flags to Maildir info letters (the Maildir convention
// of qmail and Dovecot). Keywords have no letter and are not kept.
var maildirFlags = map[string]byte{
	`\Draft`:    'D',
	`\Flagged`:  'F',
	`\Answered`: 'R',
	`\Seen`:     'S',
	`\Deleted`:  'T',
}

// infoSuffix returns the Maildir info for IMAP flags: ":2," and the letters in ASCII
// order, as the Maildir specification requires.
func infoSuffix(flags []string) string {
	var letters []byte
	for _, f := range flags {
		for name, l := range maildirFlags {
			if strings.EqualFold(f, name) && !slices.Contains(letters, l) {
				letters = append(letters, l)
			}
		}
	}
	slices.Sort(letters)
	return string(infoSep) + "2," + string(letters)
}

// splitInfo splits a Maildir file name into its unique part and the IMAP flags of its
// info. 'T' (trashed) is not turned into \Deleted: an uploaded message with \Deleted
// would vanish at the next EXPUNGE of any client.
func splitInfo(name string) (unique string, flags []string) {
	i := strings.LastIndexAny(name, ":!")
	if i < 0 || !strings.HasPrefix(name[i+1:], "2,") {
		return name, nil
	}
	for _, l := range []byte(name[i+3:]) {
		for f, fl := range maildirFlags {
			if fl == l && l != 'T' && !slices.Contains(flags, f) {
				flags = append(flags, f)
			}
		}
	}
	slices.Sort(flags)
	return name[:i], flags
}

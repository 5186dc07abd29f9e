package imapcopy

import (
	"fmt"
	"strings"
)

// StateDir is the directory inside a download target that holds the per-folder journals.
// Its name starts with '.', like a Maildir++ folder, so FolderDir never produces it.
const StateDir = ".postfach"

// FolderDir returns the directory, relative to the root of a Maildir++ tree, that holds
// the IMAP mailbox name whose hierarchy delimiter is delim (0 for a flat name space).
//
// The rules (see docs/imapcopy.md):
//   - INBOX (any case, RFC 9051 section 5.1) is the root itself: "".
//   - Every other mailbox is "." followed by its hierarchy levels joined with ".":
//     "Archive/2024" with delimiter '/' becomes ".Archive.2024".
//   - Within a level, every byte that a file system or the Maildir++ layout would
//     misread is written as '%' and two upper-case hex digits: '.', '%', '/', '\\', ':',
//     '!', '<', '>', '"', '|', '?', '*', control characters (below 0x20 and 0x7f), and
//     a space at the very end of the name (Windows drops it). Other UTF-8 is kept.
//   - A top-level name that would be StateDir ("postfach", any case) gets its first
//     letter escaped ("%70ostfach").
//
// Different names always give different directories (decodeFolderDir reverses it);
// names that differ only in case may still collide on case-insensitive file systems,
// which Download detects and refuses.
func FolderDir(name string, delim rune) string {
	if strings.EqualFold(name, "INBOX") {
		return ""
	}
	levels := []string{name}
	if delim != 0 {
		levels = strings.Split(name, string(delim))
	}
	var b strings.Builder
	for _, l := range levels {
		b.WriteByte('.')
		for i := 0; i < len(l); i++ {
			if escapeByte(l[i]) {
				fmt.Fprintf(&b, "%%%02X", l[i])
			} else {
				b.WriteByte(l[i])
			}
		}
	}
	dir := b.String()
	if strings.HasSuffix(dir, " ") {
		dir = dir[:len(dir)-1] + "%20"
	}
	if strings.EqualFold(dir, StateDir) {
		dir = fmt.Sprintf(".%%%02X%s", dir[1], dir[2:])
	}
	return dir
}

const upperHex = "0123456789ABCDEF"

func escapeByte(c byte) bool {
	return c < 0x20 || c == 0x7f || strings.IndexByte(`.%/\:!<>"|?*`, c) >= 0
}

// decodeFolderDir reverses FolderDir: it returns the hierarchy levels of the mailbox a
// directory holds; nil levels means INBOX. ok is false for a name FolderDir never makes.
func decodeFolderDir(dir string) (levels []string, ok bool) {
	if dir == "" {
		return nil, true
	}
	if dir[0] != '.' {
		return nil, false
	}
	for _, enc := range strings.Split(dir[1:], ".") {
		var b strings.Builder
		for i := 0; i < len(enc); i++ {
			c := enc[i]
			if c != '%' {
				if escapeByte(c) {
					return nil, false
				}
				b.WriteByte(c)
				continue
			}
			if i+3 > len(enc) {
				return nil, false
			}
			hi, lo := strings.IndexByte(upperHex, enc[i+1]), strings.IndexByte(upperHex, enc[i+2])
			if hi < 0 || lo < 0 {
				return nil, false
			}
			b.WriteByte(byte(hi<<4 | lo))
			i += 2
		}
		levels = append(levels, b.String())
	}
	return levels, true
}

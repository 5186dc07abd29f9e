package service

import "testing"

// TestOnSystemDisk checks only what holds on any Linux machine: the root folder is on the
// system disk, and a path that does not exist yet is judged by its parent.
func TestOnSystemDisk(t *testing.T) {
	if same, known := OnSystemDisk("/"); !same || !known {
		t.Errorf("/: same=%v known=%v", same, known)
	}
	if same, known := OnSystemDisk("/usr/does/not/exist/yet"); !same || !known {
		t.Errorf("missing path: same=%v known=%v", same, known)
	}
	m := mountFor([]mount{{dir: "/"}, {dir: "/media/usb stick"}, {dir: "/media/usb"}}, "/media/usb stick/mail")
	if m.dir != "/media/usb stick" {
		t.Errorf("mountFor picked %q", m.dir)
	}
	if got := unescapeMount(`/media/usb\040stick`); got != "/media/usb stick" {
		t.Errorf("unescape: %q", got)
	}
}

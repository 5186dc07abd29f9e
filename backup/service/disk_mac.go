package service

import "strings"

// macVolume is what statfs(2) tells on macOS about the file system that holds a path:
// where it is mounted (f_mntonname) and from which device (f_mntfromname).
type macVolume struct {
	mountedOn, from string
}

// onMacSystemVolume decides, for a path on volume v, whether it is on the disk macOS runs
// from, whose root volume is root; known is false when that cannot be told. It is the
// pure part of the darwin OnSystemDisk (disk_darwin.go), so that it is tested on Linux.
//
// Since macOS 10.15 the system is split: "/" is the read-only system volume (a sealed
// snapshot such as /dev/disk3s1s1) and the user's files (/Users, via firmlinks) live on
// the data volume, mounted at /System/Volumes/Data (/dev/disk3s5). Both, and the other
// volumes under /System/Volumes, sit in one APFS container — one disk. APFS volumes are
// numbered after their container (diskNsM…), so any volume of the root's container is
// the system disk too; external disks are other diskN, mounted under /Volumes. Not
// seen: a second container on the same physical disk (diskutil's physical store; a
// Boot Camp partition), and a disk image mounted from a file on the system disk — both
// count as other disks. Network shares ("//user@nas/share") cannot be told.
func onMacSystemVolume(v, root macVolume) (same, known bool) {
	if v.mountedOn == "/" || strings.HasPrefix(v.mountedOn, "/System/Volumes/") {
		return true, true
	}
	dv, dr := macDisk(v.from), macDisk(root.from)
	if dv == "" || dr == "" {
		return false, false
	}
	return dv == dr, true
}

// macDisk returns the whole disk ("disk3") of a device name such as "/dev/disk3s1s1",
// or "" if from is not a local disk.
func macDisk(from string) string {
	name, ok := strings.CutPrefix(from, "/dev/")
	if !ok {
		return ""
	}
	name = strings.TrimPrefix(name, "r") // the raw device, /dev/rdisk3
	rest, ok := strings.CutPrefix(name, "disk")
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if !ok || n == 0 || (n < len(rest) && rest[n] != 's') {
		return ""
	}
	return "disk" + rest[:n]
}

package service

import "syscall"

// OnSystemDisk tells whether path (or its nearest existing parent) lives on the disk
// macOS runs from; known is false when that cannot be told. The decision is
// onMacSystemVolume's (disk_mac.go), from what statfs(2) says of path and of "/".
func OnSystemDisk(path string) (same, known bool) {
	v, ok := statVolume(existingAncestor(path))
	root, rok := statVolume("/")
	if !ok || !rok {
		return false, false
	}
	return onMacSystemVolume(v, root)
}

func statVolume(path string) (macVolume, bool) {
	var st syscall.Statfs_t
	if syscall.Statfs(path, &st) != nil {
		return macVolume{}, false
	}
	return macVolume{mountedOn: cString(st.Mntonname[:]), from: cString(st.Mntfromname[:])}, true
}

// cString converts a NUL-terminated char array of a system structure.
func cString(b []int8) string {
	s := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}

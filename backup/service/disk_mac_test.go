package service

import "testing"

// The darwin OnSystemDisk's decision, from mount facts as statfs(2) reports them on a
// Mac with macOS 13 (one internal disk, APFS container disk3).
func TestOnMacSystemVolume(t *testing.T) {
	root := macVolume{mountedOn: "/", from: "/dev/disk3s1s1"}
	tests := []struct {
		name        string
		v           macVolume
		same, known bool
	}{
		{"home on the data volume", macVolume{"/System/Volumes/Data", "/dev/disk3s5"}, true, true},
		{"the system volume itself", macVolume{"/", "/dev/disk3s1s1"}, true, true},
		{"another system volume", macVolume{"/System/Volumes/Preboot", "/dev/disk3s6"}, true, true},
		{"own APFS volume in the same container", macVolume{"/Volumes/Mail", "/dev/disk3s7"}, true, true},
		{"external disk", macVolume{"/Volumes/Backup", "/dev/disk4s2"}, false, true},
		{"external disk, name with space and umlaut", macVolume{"/Volumes/Jürgens Platte", "/dev/disk12s1"}, false, true},
		{"disk 30 is not disk 3", macVolume{"/Volumes/Big", "/dev/disk30s1"}, false, true},
		{"raw device name", macVolume{"/Volumes/Raw", "/dev/rdisk3s2"}, true, true},
		{"SMB share", macVolume{"/Volumes/backup", "//anna@nas.local/backup"}, false, false},
		{"not a disk device", macVolume{"/Volumes/x", "/dev/diskette"}, false, false},
		{"no device", macVolume{"/Volumes/x", ""}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if same, known := onMacSystemVolume(tt.v, root); same != tt.same || known != tt.known {
				t.Errorf("onMacSystemVolume(%+v) = %v, %v; want %v, %v", tt.v, same, known, tt.same, tt.known)
			}
		})
	}
	// Before macOS 10.15 everything is on "/": its own device names the disk.
	if same, known := onMacSystemVolume(macVolume{"/Volumes/Ext", "/dev/disk1s2"}, macVolume{"/", "/dev/disk0s2"}); same || !known {
		t.Errorf("external disk beside a pre-10.15 root = %v, %v; want false, true", same, known)
	}
}

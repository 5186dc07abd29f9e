package service

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// OnSystemDisk tells whether path (or its nearest existing parent) lives on the same
// physical disk as "/"; known is false when that cannot be told. Two
// partitions of one disk count as the same disk: when the disk dies, both go. The
// answer comes from the kernel's view: the block device behind each mount
// (/proc/self/mountinfo), followed through partitions, device-mapper and md RAID
// (/sys/class/block/*/slaves) down to whole disks.
func OnSystemDisk(path string) (same, known bool) {
	path = existingAncestor(path)
	var a, b syscall.Stat_t
	if syscall.Stat(path, &a) != nil || syscall.Stat("/", &b) != nil {
		return false, false
	}
	if a.Dev == b.Dev {
		return true, true
	}
	mounts := readMounts()
	da, db := disksOf(mountFor(mounts, path)), disksOf(mountFor(mounts, "/"))
	if len(da) == 0 || len(db) == 0 {
		return false, false
	}
	for d := range da {
		if db[d] {
			return true, true
		}
	}
	return false, true
}

type mount struct {
	dir, source, devno string
}

func readMounts() []mount {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []mount
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint options ... - fstype source superoptions
		left, right, ok := strings.Cut(sc.Text(), " - ")
		lf, rf := strings.Fields(left), strings.Fields(right)
		if !ok || len(lf) < 5 || len(rf) < 2 {
			continue
		}
		out = append(out, mount{dir: unescapeMount(lf[4]), devno: lf[2], source: rf[1]})
	}
	return out
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mountFor returns the mount that holds path: the longest mount point that prefixes it
// (the last one wins when mounts are stacked).
func mountFor(mounts []mount, path string) mount {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p
	}
	var best mount
	for _, m := range mounts {
		if (path == m.dir || strings.HasPrefix(path, strings.TrimSuffix(m.dir, "/")+"/")) && len(m.dir) >= len(best.dir) {
			best = m
		}
	}
	return best
}

// disksOf returns the whole disks (sda, nvme0n1, vda) behind a mount.
func disksOf(m mount) map[string]bool {
	var dev string
	if strings.HasPrefix(m.source, "/dev/") {
		if p, err := filepath.EvalSymlinks(m.source); err == nil {
			dev = filepath.Base(p)
		}
	}
	if dev == "" && m.devno != "" && !strings.HasPrefix(m.devno, "0:") {
		if p, err := filepath.EvalSymlinks("/sys/dev/block/" + m.devno); err == nil {
			dev = filepath.Base(p)
		}
	}
	if dev == "" {
		return nil
	}
	out := map[string]bool{}
	collectDisks(dev, out, 0)
	return out
}

func collectDisks(dev string, out map[string]bool, depth int) {
	sys, err := filepath.EvalSymlinks("/sys/class/block/" + dev)
	if err != nil || depth > 8 {
		return
	}
	if _, err := os.Stat(filepath.Join(sys, "partition")); err == nil {
		dev = filepath.Base(filepath.Dir(sys))
		sys = filepath.Dir(sys)
	}
	slaves, _ := os.ReadDir(filepath.Join(sys, "slaves"))
	if len(slaves) == 0 {
		out[dev] = true
		return
	}
	for _, s := range slaves {
		collectDisks(s.Name(), out, depth+1)
	}
}

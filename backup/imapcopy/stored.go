package imapcopy

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/postfach/postfach/backup/maildir"
)

// storedName is the name of a downloaded message: "<time>.V<uidvalidity>U<uid>.postfach"
// plus the Maildir info. Other programs' files in the folder are left alone.
func storedName(date time.Time, uidValidity, uid uint32, flags []string) string {
	return fmt.Sprintf("%d.V%dU%d.postfach%s", date.Unix(), uidValidity, uid, infoSuffix(flags))
}

// parseStoredName returns the UIDVALIDITY and UID a storedName carries.
func parseStoredName(name string) (uidValidity, uid uint32, ok bool) {
	unique, _ := splitInfo(name)
	parts := strings.Split(unique, ".")
	if len(parts) != 3 || parts[2] != "postfach" || !strings.HasPrefix(parts[1], "V") {
		return 0, 0, false
	}
	vs, us, found := strings.Cut(parts[1][1:], "U")
	v, err1 := strconv.ParseUint(vs, 10, 32)
	u, err2 := strconv.ParseUint(us, 10, 32)
	if !found || err1 != nil || err2 != nil || u == 0 {
		return 0, 0, false
	}
	return uint32(v), uint32(u), true
}

// storedUIDs lists the UIDs (under uidValidity) already stored in the Maildir at path,
// with each file's path relative to it.
func storedUIDs(path string, uidValidity uint32) (map[uint32]string, error) {
	have := map[uint32]string{}
	for _, sub := range []string{maildir.Cur, maildir.New} {
		ents, err := os.ReadDir(filepath.Join(path, sub))
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", path, err)
		}
		for _, e := range ents {
			if v, u, ok := parseStoredName(e.Name()); ok && v == uidValidity {
				have[u] = filepath.Join(sub, e.Name())
			}
		}
	}
	return have, nil
}

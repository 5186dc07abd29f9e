package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup/index"
)

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	AccountID string   `json:"account_id"`
	Account   string   `json:"account"`
	Dir       string   `json:"backup_dir"`
	Checked   int      `json:"checked"`
	OK        int      `json:"ok"`
	Missing   []string `json:"missing,omitempty"` // UIDLs whose file is gone
	Changed   []string `json:"changed,omitempty"` // UIDLs whose file no longer matches its hash
}

// Healthy reports whether every indexed message is present and unchanged.
func (v *VerifyReport) Healthy() bool { return len(v.Missing) == 0 && len(v.Changed) == 0 }

// Verify re-hashes every message in the account's backup folder against the index. It
// only reads; a missing folder or index is an error, never silently "all fine".
func Verify(ctx context.Context, acct accounts.Account, opts *Options) (*VerifyReport, error) {
	o := withDefaults(opts)
	if acct.Protocol != accounts.POP3 || acct.Backup == nil {
		return nil, ErrNotPOP3
	}
	rep := &VerifyReport{AccountID: acct.ID, Account: acct.Name, Dir: acct.Backup.Dir}
	st, err := loadState(o.StateDir, acct.ID)
	if err != nil {
		return rep, err
	}
	f, err := openFolder(&acct, st, false)
	if err != nil {
		return rep, fmt.Errorf("verify %s: %w", acct.Name, err)
	}
	// Parse rather than index.Open: Open needs write access (it opens the journal for
	// appending and drops a torn last line), and Verify must work on a write-protected
	// backup without changing it.
	data, err := os.ReadFile(f.metaPath("index"))
	if errors.Is(err, fs.ErrNotExist) {
		return rep, fmt.Errorf("verify %s: the backup index is missing; the next backup rebuilds it", acct.Name)
	}
	if err != nil {
		return rep, fmt.Errorf("verify %s: index: %w", acct.Name, err)
	}
	ix, _, err := index.Parse(data)
	if err != nil {
		return rep, fmt.Errorf("verify %s: index %s: %w", acct.Name, f.metaPath("index"), err)
	}
	scan, err := f.md.Scan()
	if err != nil {
		return rep, err
	}
	files := byFileName(scan)
	for _, e := range ix.Entries() {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		rep.Checked++
		rel, ok := files[e.File]
		if !ok {
			rep.Missing = append(rep.Missing, e.UIDL)
			continue
		}
		size, sum, err := f.md.HashFile(rel)
		if err != nil || size != e.Size || sum != e.SHA256 {
			rep.Changed = append(rep.Changed, e.UIDL)
			continue
		}
		rep.OK++
	}
	return rep, nil
}

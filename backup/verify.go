package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

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
	// Restorable are the missing or changed ones the server still held at the last
	// backup: the next backup downloads them again (if the server still has them).
	Restorable []string `json:"restorable,omitempty"`
	// Lost are the missing or changed ones the server no longer holds: this backup was
	// their only copy.
	Lost []string `json:"lost,omitempty"`
}

// Healthy reports whether every indexed message is present and unchanged.
func (v *VerifyReport) Healthy() bool { return len(v.Missing) == 0 && len(v.Changed) == 0 }

// Verify re-hashes every message in the account's backup folder against the index
// (earlier generations included). It never writes into the backup folder; a missing
// folder or index is an error, never silently "all fine". Changed files are remembered
// in the account's state (Options.StateDir), so that the next backup re-checks them and
// downloads the messages again where the server still has them.
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
	files, err := f.md.Stored()
	if err != nil {
		return rep, err
	}
	var suspect []string
	for i, e := range append(ix.Entries(), ix.Retired()...) {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		current := i < ix.Len()
		rep.Checked++
		rel, ok := files[e.File]
		if ok {
			size, sum, err := f.md.HashFile(rel)
			if err == nil && size == e.Size && sum == e.SHA256 {
				rep.OK++
				continue
			}
			rep.Changed = append(rep.Changed, e.UIDL)
			if current {
				suspect = append(suspect, e.File)
			}
		} else {
			rep.Missing = append(rep.Missing, e.UIDL)
		}
		if current && e.OnServer() {
			rep.Restorable = append(rep.Restorable, e.UIDL)
		} else {
			rep.Lost = append(rep.Lost, e.UIDL)
		}
	}
	if len(suspect) > 0 {
		err := updateState(o.StateDir, acct.ID, func(st *accountState) {
			for _, name := range suspect {
				if !slices.Contains(st.Suspect, name) {
					st.Suspect = append(st.Suspect, name)
				}
			}
		})
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

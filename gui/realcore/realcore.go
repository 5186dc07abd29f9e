// Package realcore implements gui.Core with Postfach's core packages: the account store,
// the keyring, discovery, connection tests, IMAP quota and the POP3 backup engine.
//
// It is the only place where the desktop app meets those packages, so the GUI itself
// stays testable with a fake and never speaks a mail protocol. Every method may block
// (network, disk, keyring); the GUI calls them off its UI thread.
package realcore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/accounts/discover"
	"github.com/postfach/postfach/accounts/quota"
	"github.com/postfach/postfach/accounts/secrets"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/gui"
)

// Core is the real gui.Core.
type Core struct {
	store *accounts.Store
	// ConnectOptions tunes connection tests, quota reads and backups (nil: system roots,
	// default timeouts). Tests with a private CA set Roots.
	ConnectOptions *connect.Options
	// DiscoverOptions tunes discovery (nil: all sources, default timeouts).
	DiscoverOptions *discover.Options
}

var _ gui.Core = (*Core)(nil)

// New returns the Core for a store.
func New(store *accounts.Store) *Core {
	return &Core{store: store}
}

// ListAccounts implements gui.Core.
func (c *Core) ListAccounts() ([]accounts.Account, error) { return c.store.List() }

// AddAccount stores the account, then its password; if the keyring refuses the
// password, the account is removed again so that no account without password remains.
func (c *Core) AddAccount(ctx context.Context, a accounts.Account, password string) (accounts.Account, error) {
	saved, err := c.store.Add(a)
	if err != nil {
		return accounts.Account{}, err
	}
	if err := secrets.Set(ctx, saved.ID, password); err != nil {
		if _, rmErr := c.store.Remove(saved.ID); rmErr != nil {
			err = errors.Join(err, rmErr)
		}
		return accounts.Account{}, err
	}
	return saved, nil
}

// UpdateAccount stores a new password first (if given): when the keyring fails,
// nothing has changed yet.
func (c *Core) UpdateAccount(ctx context.Context, a accounts.Account, password string) error {
	if password != "" {
		if err := secrets.Set(ctx, a.ID, password); err != nil {
			return err
		}
	}
	return c.store.Update(a, false)
}

// RemoveAccount removes the account from the config, then, as asked, its password and
// its backup folder.
func (c *Core) RemoveAccount(ctx context.Context, id string, keepBackup, keepPassword bool) error {
	a, err := c.store.Remove(id)
	if err != nil {
		return err
	}
	var errs []error
	if !keepPassword {
		errs = append(errs, secrets.Delete(ctx, a.ID))
	}
	errs = append(errs, backup.Forget(c.store.StateDir(), a.ID))
	if !keepBackup && a.Backup != nil {
		errs = append(errs, backup.RemoveFolder(a.Backup.Dir))
	}
	return errors.Join(errs...)
}

// Discover implements gui.Core. A lookup that found nothing still returns its log.
func (c *Core) Discover(ctx context.Context, email string) (*gui.Discovery, error) {
	res, err := discover.Discover(ctx, email, c.DiscoverOptions)
	if res == nil {
		return nil, err
	}
	d := &gui.Discovery{}
	for _, cand := range res.Candidates {
		d.Candidates = append(d.Candidates, gui.Candidate{
			Protocol: accounts.Protocol(cand.Protocol), Host: cand.Host, Port: cand.Port,
			Security: accounts.Security(cand.Security), Username: cand.Username,
			Source: cand.Source, Provider: cand.Provider,
			NeedsConfirmation: cand.NeedsConfirmation, ConfirmCodes: cand.ConfirmCodes, ConfirmReason: cand.ConfirmReason,
			Notes: cand.Notes,
		})
	}
	for _, l := range res.Log {
		line := fmt.Sprintf("%s %s: %s", l.Source, l.Target, l.Result)
		if l.Err != "" {
			line += " (" + l.Err + ")"
		}
		d.Log = append(d.Log, line)
	}
	if errors.Is(err, discover.ErrNotFound) {
		err = nil
	}
	return d, err
}

// TestConnection implements gui.Core. An empty password reads the stored one.
func (c *Core) TestConnection(ctx context.Context, a accounts.Account, password string) (*gui.ConnReport, error) {
	a.Normalize()
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if password == "" {
		pw, err := secrets.Get(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		password = pw
	}
	rep, err := connect.Test(ctx, a, password, c.ConnectOptions)
	if err != nil {
		return nil, err
	}
	out := &gui.ConnReport{TLSVersion: rep.TLSVersion, CertSHA256: rep.CertSHA256,
		Capabilities: rep.Capabilities, Warnings: rep.Warnings}
	if a.Protocol == accounts.IMAP {
		// The wizard shows the quota right after the test; a failure here is not a
		// failed test, the overview will try again.
		if q, err := connect.Quota(ctx, a, password, false, c.ConnectOptions); err == nil {
			out.Quota = convertQuota(q)
		}
	}
	return out, nil
}

// Quota implements gui.Core.
func (c *Core) Quota(ctx context.Context, id string, folders bool) (*gui.QuotaReport, error) {
	a, password, err := c.withPassword(ctx, id)
	if err != nil {
		return nil, err
	}
	q, err := connect.Quota(ctx, a, password, folders, c.ConnectOptions)
	if err != nil {
		return nil, err
	}
	return convertQuota(q), nil
}

func convertQuota(q *quota.Report) *gui.QuotaReport {
	out := &gui.QuotaReport{Supported: q.Supported, Checked: time.Now()}
	if used, limit, ok := q.Storage(); ok {
		out.Used, out.Limit = used, limit
	} else {
		// Quota support without a STORAGE limit shows as "unknown", like no support.
		out.Supported = false
	}
	for _, f := range q.Folders {
		out.Folders = append(out.Folders, gui.FolderUsage{Name: f.Name, Messages: int(f.Messages), Size: f.Size})
	}
	return out
}

// BackupNow implements gui.Core.
func (c *Core) BackupNow(ctx context.Context, id string, progress func(backup.Progress)) (*backup.Result, error) {
	a, password, err := c.withPassword(ctx, id)
	if err != nil {
		return nil, err
	}
	opts := &backup.Options{StateDir: c.store.StateDir(), Progress: progress}
	if c.ConnectOptions != nil {
		opts.Roots, opts.Timeout = c.ConnectOptions.Roots, c.ConnectOptions.Timeout
	}
	return backup.Run(ctx, a, password, opts)
}

// Verify implements gui.Core.
func (c *Core) Verify(ctx context.Context, id string) (*gui.VerifyReport, error) {
	a, err := c.store.Get(id)
	if err != nil {
		return nil, err
	}
	rep, err := backup.Verify(ctx, a, &backup.Options{StateDir: c.store.StateDir()})
	if err != nil {
		return nil, err
	}
	return &gui.VerifyReport{Checked: rep.Checked, Missing: rep.Missing, Changed: rep.Changed}, nil
}

// History implements gui.Core.
func (c *Core) History(id string) ([]backup.Result, error) {
	return backup.History(c.store.StateDir(), id)
}

// DefaultBackupDir proposes ~/Postfach-Backups/<address>: one folder per account,
// named so that a user browsing the drive recognises it.
func (c *Core) DefaultBackupDir(email string) string {
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < ' ' {
			return '_'
		}
		return r
	}, strings.ToLower(strings.TrimSpace(email)))
	return filepath.Join(home, "Postfach-Backups", name)
}

// OnSystemDisk implements gui.Core; see disk_*.go.
func (c *Core) OnSystemDisk(path string) (same, known bool) { return onSystemDisk(path) }

func (c *Core) withPassword(ctx context.Context, id string) (accounts.Account, string, error) {
	a, err := c.store.Get(id)
	if err != nil {
		return a, "", err
	}
	pw, err := secrets.Get(ctx, a.ID)
	return a, pw, err
}

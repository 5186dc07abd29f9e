// Package realcore implements gui.Core with Postfach's account service (backup/service):
// it only converts between the GUI's types and the service's.
//
// It is the only place where the desktop app meets the core packages, so the GUI itself
// stays testable with a fake and never speaks a mail protocol. Every method may block
// (network, disk, keyring); the GUI calls them off its UI thread.
package realcore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/discover"
	"github.com/postfach/postfach/accounts/quota"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/backup/service"
	"github.com/postfach/postfach/gui"
)

// Core is the real gui.Core.
type Core struct {
	svc *service.Service
}

var _ gui.Core = (*Core)(nil)

// New returns the Core for a store, with system roots and default timeouts.
func New(store *accounts.Store) *Core { return NewWithOptions(store, nil) }

// NewWithOptions returns the Core for a store with the service options opts (tests with
// a private CA set opts.Conn.Roots).
func NewWithOptions(store *accounts.Store, opts *service.Options) *Core {
	return &Core{svc: service.New(store, opts)}
}

// ListAccounts implements gui.Core.
func (c *Core) ListAccounts() ([]accounts.Account, error) { return c.svc.List() }

// AddAccount implements gui.Core; see service.Service.Add for the rollback rule.
func (c *Core) AddAccount(ctx context.Context, a accounts.Account, password string) (accounts.Account, error) {
	return c.svc.Add(ctx, a, password)
}

// UpdateAccount implements gui.Core.
func (c *Core) UpdateAccount(ctx context.Context, a accounts.Account, password string) error {
	return c.svc.Update(ctx, a, password)
}

// RemoveAccount implements gui.Core. Leftovers (a password the keyring would not delete)
// come back as an error after the account is gone.
func (c *Core) RemoveAccount(ctx context.Context, id string, keepBackup, keepPassword bool) error {
	r, err := c.svc.Remove(ctx, id, service.RemoveOptions{DeleteBackup: !keepBackup, KeepPassword: keepPassword})
	if err != nil {
		return err
	}
	return errors.Join(r.PasswordErr, r.HistoryErr)
}

// Discover implements gui.Core. A lookup that found nothing still returns its log.
func (c *Core) Discover(ctx context.Context, email string) (*gui.Discovery, error) {
	res, err := c.svc.Discover(ctx, email)
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

// TestConnection implements gui.Core.
func (c *Core) TestConnection(ctx context.Context, a accounts.Account, password string) (*gui.ConnReport, error) {
	rep, err := c.svc.Test(ctx, a, password)
	if err != nil {
		return nil, err
	}
	out := &gui.ConnReport{TLSVersion: rep.TLSVersion, CertSHA256: rep.CertSHA256,
		Capabilities: rep.Capabilities, Warnings: rep.Warnings}
	if rep.Quota != nil {
		out.Quota = convertQuota(rep.Quota)
	}
	return out, nil
}

// Quota implements gui.Core.
func (c *Core) Quota(ctx context.Context, id string, folders bool) (*gui.QuotaReport, error) {
	q, err := c.svc.Quota(ctx, id, folders)
	if err != nil {
		return nil, err
	}
	out := convertQuota(q)
	if f, _ := c.svc.QuotaForecast(id); f != nil {
		out.FullInDays = f.Days
	}
	return out, nil
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
	return c.svc.Backup(ctx, id, progress)
}

// Verify implements gui.Core.
func (c *Core) Verify(ctx context.Context, id string) (*gui.VerifyReport, error) {
	rep, err := c.svc.Verify(ctx, id)
	if err != nil {
		return nil, err
	}
	return &gui.VerifyReport{Checked: rep.Checked, Missing: rep.Missing, Changed: rep.Changed}, nil
}

// History implements gui.Core.
func (c *Core) History(id string) ([]backup.Result, error) { return c.svc.History(id) }

// DefaultBackupDir implements gui.Core.
func (c *Core) DefaultBackupDir(email string) string { return service.DefaultBackupDir(email) }

// OnSystemDisk implements gui.Core.
func (c *Core) OnSystemDisk(path string) (same, known bool) { return service.OnSystemDisk(path) }

// Package realcore implements gui.Core with Postfach's account service (backup/service):
// it only converts between the GUI's types and the service's.
//
// It is the only place where the desktop app meets the core packages, so the GUI itself
// stays testable with a fake and never speaks a mail protocol. Every method may block
// (network, disk, keyring); the GUI calls them off its UI thread.
package realcore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/accounts/discover"
	"github.com/postfach/postfach/accounts/imap"
	"github.com/postfach/postfach/accounts/oauth"
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
	return errors.Join(r.PasswordErr, r.RevokeErr, r.HistoryErr)
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
			Notes: cand.Notes, SignIn: c.offer(ctx, cand),
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

// SignInOffer implements gui.Core.
func (c *Core) SignInOffer(ctx context.Context, email string) (*gui.SignInOffer, error) {
	res, err := c.svc.DiscoverBuiltin(ctx, email)
	if res == nil || errors.Is(err, discover.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, cand := range res.Candidates {
		if offer := c.offer(ctx, cand); offer != nil {
			return offer, nil
		}
	}
	return nil, nil
}

// offer returns the sign-in a discovered server wants, nil for a password. A provider
// whose discovery document cannot be read is offered as unavailable, with the reason.
func (c *Core) offer(ctx context.Context, cand discover.Candidate) *gui.SignInOffer {
	if cand.OAuthProvider == "" || cand.Authentication == discover.AuthPassword {
		return nil
	}
	offer := &gui.SignInOffer{OAuth2Only: cand.Authentication == discover.AuthOAuth2, Provider: cand.OAuthProvider}
	p, err := c.svc.Provider(ctx, accounts.Connection{Auth: accounts.AuthOAuth2, OAuthProvider: cand.OAuthProvider})
	offer.DisplayName = cmp.Or(p.DisplayName, cand.Provider, cand.OAuthProvider)
	offer.Unavailable = err
	return offer
}

// SignIn implements gui.Core.
func (c *Core) SignIn(ctx context.Context, a accounts.Account, open func(*url.URL) error) (*oauth.Token, error) {
	return c.svc.SignIn(ctx, a, browser(open))
}

// Reauthorize implements gui.Core.
func (c *Core) Reauthorize(ctx context.Context, id string, open func(*url.URL) error) error {
	a, err := c.svc.Get(id)
	if err != nil {
		return err
	}
	tok, err := c.svc.SignIn(ctx, a, browser(open))
	if err != nil {
		return err
	}
	return c.svc.Reauthorize(ctx, id, tok)
}

// browser adapts the GUI's URL opener (fyne's App.OpenURL) to oauth.Browser.
func browser(open func(*url.URL) error) oauth.Browser {
	return func(_ context.Context, raw string) error {
		u, err := url.Parse(raw)
		if err != nil {
			return err
		}
		return open(u)
	}
}

// TestSignedIn implements gui.Core.
func (c *Core) TestSignedIn(ctx context.Context, a accounts.Account, tok *oauth.Token) (*gui.ConnReport, error) {
	rep, err := c.svc.TestToken(ctx, a, tok)
	if err != nil {
		return nil, err
	}
	return convertReport(rep), nil
}

// AddSignedIn implements gui.Core.
func (c *Core) AddSignedIn(ctx context.Context, a accounts.Account, tok *oauth.Token) (accounts.Account, error) {
	return c.svc.AddOAuth2(ctx, a, tok)
}

// TestConnection implements gui.Core.
func (c *Core) TestConnection(ctx context.Context, a accounts.Account, password string) (*gui.ConnReport, error) {
	rep, err := c.svc.Test(ctx, a, password)
	if err != nil {
		return nil, err
	}
	return convertReport(rep), nil
}

func convertReport(rep *connect.Report) *gui.ConnReport {
	out := &gui.ConnReport{TLSVersion: rep.TLSVersion, CertSHA256: rep.CertSHA256,
		Capabilities: rep.Capabilities, Warnings: rep.Warnings}
	if rep.Quota != nil {
		out.Quota = convertQuota(rep.Quota)
	}
	return out
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

func convertQuota(q *imap.Report) *gui.QuotaReport {
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
	return &gui.VerifyReport{Checked: rep.Checked, Missing: rep.Missing, Changed: rep.Changed,
		Restorable: rep.Restorable, Lost: rep.Lost}, nil
}

// History implements gui.Core.
func (c *Core) History(id string) ([]backup.Result, error) { return c.svc.History(id) }

// DefaultBackupDir implements gui.Core.
func (c *Core) DefaultBackupDir(email string) string { return service.DefaultBackupDir(email) }

// OnSystemDisk implements gui.Core.
func (c *Core) OnSystemDisk(path string) (same, known bool) { return service.OnSystemDisk(path) }

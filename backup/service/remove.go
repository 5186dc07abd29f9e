package service

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/oauth"
	"github.com/postfach/postfach/accounts/secrets"
	"github.com/postfach/postfach/backup"
)

// RemoveOptions says what goes with an account. The zero value removes the account and
// its password and keeps the backup folder.
type RemoveOptions struct {
	// DeleteBackup deletes what Postfach wrote into the backup folder (backup.RemoveFolder).
	DeleteBackup bool
	// KeepPassword leaves the password (or an OAuth2 account's refresh token) in the
	// keyring.
	KeepPassword bool
}

// Removed reports a removal. The account is gone from the config; PasswordErr,
// RevokeErr and HistoryErr are leftovers that could not be cleaned up (harmless, but
// worth a word).
type Removed struct {
	Account     accounts.Account
	PasswordErr error
	// RevokeErr says that the provider could not be asked to invalidate an OAuth2
	// account's sign-in (RFC 7009); the token is deleted here all the same, and the user
	// can remove Postfach's access in the provider's account settings.
	RevokeErr  error
	HistoryErr error
}

// Remove removes the account with the ID or name key.
//
// It first stops the account's running backups and checks in this process and waits for
// them. A backup folder is deleted before the account, so that a refusal leaves
// everything as it was: Remove refuses (accounts.ErrFolderShared) when another account
// backs up into the same folder, and fails with backup.ErrBusy when a run in another
// process holds the folder. Only then is the account removed from the config, followed
// by its password (an OAuth2 account's sign-in is first revoked at the provider) and its
// history outside the folder.
func (s *Service) Remove(ctx context.Context, key string, o RemoveOptions) (*Removed, error) {
	a, err := s.store.Get(key)
	if err != nil {
		return nil, err
	}
	release, err := s.stopJobs(ctx, a.ID)
	defer release()
	if err != nil {
		return nil, err
	}
	if o.DeleteBackup && a.Backup != nil {
		if err := s.deleteFolder(a); err != nil {
			return nil, fmt.Errorf("remove account %q: %w", a.Name, err)
		}
	}
	removed, err := s.store.Remove(a.ID)
	if err != nil {
		return nil, err
	}
	r := &Removed{Account: removed}
	s.dropTokens(a.ID)
	if !o.KeepPassword && a.Connection().OAuth2() {
		r.RevokeErr = s.revoke(ctx, a)
	}
	if !o.KeepPassword {
		// An OAuth2 account's refresh token has its own keyring entry
		// (oauth.KeyringKey); deleting both covers an account that switched methods.
		for _, key := range []string{a.ID, oauth.KeyringKey(a.ID)} {
			if err := secrets.Delete(ctx, key); err != nil {
				r.PasswordErr = fmt.Errorf("delete the password or sign-in of %q: %w", a.Name, err)
			}
		}
	}
	if err := backup.Forget(s.store.StateDir(), a.ID); err != nil {
		r.HistoryErr = fmt.Errorf("delete the backup history of %q: %w", a.Name, err)
	}
	return r, nil
}

// revoke asks the provider to invalidate the account's refresh token (and with it its
// access tokens), so that a copy of it elsewhere is worth nothing. Providers without a
// revocation endpoint (Microsoft) are skipped by oauth.Revoke.
func (s *Service) revoke(ctx context.Context, a accounts.Account) error {
	rt, err := secrets.Get(ctx, oauth.KeyringKey(a.ID))
	if errors.Is(err, secrets.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("revoke the sign-in of %q: %w", a.Name, err)
	}
	p, err := s.Provider(ctx, a.Connection())
	if err == nil {
		err = oauth.Revoke(ctx, p, rt, s.oauth)
	}
	if err != nil {
		return fmt.Errorf("revoke the sign-in of %q: %w", a.Name, err)
	}
	return nil
}

// deleteFolder deletes a's backup folder unless another account uses it.
func (s *Service) deleteFolder(a accounts.Account) error {
	all, err := s.store.List()
	if err != nil {
		return err
	}
	dir := filepath.Clean(a.Backup.Dir)
	for _, other := range all {
		if other.ID != a.ID && other.Backup != nil && filepath.Clean(other.Backup.Dir) == dir {
			return fmt.Errorf("backup folder %s (%q): %w", dir, other.Name, accounts.ErrFolderShared)
		}
	}
	if err := backup.RemoveFolder(dir); err != nil {
		return fmt.Errorf("delete backup folder %s: %w", dir, err)
	}
	return nil
}

package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/secrets"
)

// Add stores a new account and its password and returns the account as stored (with
// its ID).
//
// The one rollback rule, for both faces: the password goes into the keyring first, then
// the account into the config; if the config refuses it (a duplicate name, a file Postfach
// cannot read), the password is deleted again. In this order an interruption can leave at
// worst a keyring entry nobody sees, never an account that fails every run for want of a
// password.
//
// Add assigns the account's ID itself, so that a caller's stale or copied ID can never
// overwrite, and the rollback never delete, another account's password.
func (s *Service) Add(ctx context.Context, a accounts.Account, password string) (accounts.Account, error) {
	a.ID = s.newID()
	a.Normalize()
	if err := a.Validate(); err != nil {
		return accounts.Account{}, err
	}
	if password == "" {
		return accounts.Account{}, errors.New("add account: the password is empty")
	}
	if err := secrets.Set(ctx, a.ID, password); err != nil {
		return accounts.Account{}, fmt.Errorf("add account %q: %w", a.Name, err)
	}
	saved, err := s.store.Add(a)
	if err != nil {
		if derr := secrets.Delete(ctx, a.ID); derr != nil {
			err = errors.Join(err, fmt.Errorf("delete the password again: %w", derr))
		}
		return accounts.Account{}, err
	}
	return saved, nil
}

// Update saves changed settings; a non-empty password replaces the stored one. The
// password is stored first: when the keyring fails, nothing has changed yet. The
// protocol of an existing account cannot change (accounts.ErrProtocolSwitch).
func (s *Service) Update(ctx context.Context, a accounts.Account, password string) error {
	if password != "" {
		if err := secrets.Set(ctx, a.ID, password); err != nil {
			return fmt.Errorf("update account %q: %w", a.Name, err)
		}
	}
	return s.store.Update(a, false)
}

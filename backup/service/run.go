package service

import (
	"context"
	"fmt"

	"github.com/postfach/postfach/backup"
)

// Backup backs up a saved POP3 account now; progress (may be nil) is called from the
// running goroutine. The account is read afresh by ID, so a schedule that still holds
// a removed or changed account never runs on stale settings. The result is never nil
// once the account was found, and carries the failure's kind.
func (s *Service) Backup(ctx context.Context, id string, progress func(backup.Progress)) (*backup.Result, error) {
	a, err := s.store.Get(id)
	if err != nil {
		return nil, err
	}
	failed := func(err error) (*backup.Result, error) {
		res := &backup.Result{AccountID: a.ID, Account: a.Name, Err: err.Error(), Kind: backup.KindOf(err)}
		if a.Backup != nil {
			res.Dir = a.Backup.Dir
		}
		return res, err
	}
	ctx, end, err := s.begin(ctx, a.ID)
	if err != nil {
		return failed(err)
	}
	defer end()
	cred, err := s.credential(ctx, a)
	if err != nil {
		return failed(fmt.Errorf("backup %s: %w", a.Name, err))
	}
	res, err := backup.Run(ctx, a, cred.Password, s.engineOptions(progress, cred.Tokens))
	res.Kind = backup.KindOf(err)
	// Only a run that stored messages changes what the index covers; most scheduled
	// runs find nothing new and skip the Maildir scan.
	if err == nil && res.New+res.Restored > 0 {
		if note := s.updateIndexAfterBackup(ctx, res.Dir); note != "" {
			res.Notes = append(res.Notes, note)
		}
	}
	return res, err
}

// Verify re-reads a saved account's backup folder and checks every message against the
// index.
func (s *Service) Verify(ctx context.Context, id string) (*backup.VerifyReport, error) {
	a, err := s.store.Get(id)
	if err != nil {
		return nil, err
	}
	ctx, end, err := s.begin(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	defer end()
	return backup.Verify(ctx, a, s.engineOptions(nil, nil))
}

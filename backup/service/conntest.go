package service

import (
	"context"
	"fmt"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/accounts/quota"
	"github.com/postfach/postfach/accounts/secrets"
)

// Test connects with a's connection settings, logs in and out, and saves nothing. An
// empty password means the one stored for a.ID (a saved account, or one being edited).
// Only the connection settings are checked: an account still being set up may have no
// name or backup folder yet. For IMAP the report includes the quota when the server
// reports one.
func (s *Service) Test(ctx context.Context, a accounts.Account, password string) (*connect.Report, error) {
	a.Normalize()
	if err := a.Connection().Validate(); err != nil {
		return nil, err
	}
	if password == "" {
		pw, err := secrets.Get(ctx, a.ID)
		if err != nil {
			return nil, fmt.Errorf("test %s: %w", a.Addr(), err)
		}
		password = pw
	}
	return connect.Test(ctx, a, password, &s.conn)
}

// Quota reads a saved IMAP account's quota; with folders, also the size of each folder
// (slower: one request per folder). Each reading is kept for the forecast (QuotaForecast).
func (s *Service) Quota(ctx context.Context, id string, folders bool) (*quota.Report, error) {
	a, pw, err := s.withPassword(ctx, id)
	if err != nil {
		return nil, err
	}
	rep, err := connect.Quota(ctx, a, pw, folders, &s.conn)
	if err != nil {
		return nil, err
	}
	if used, limit, ok := rep.Storage(); ok {
		// The readings only feed the forecast (forecast.go): a state folder that cannot
		// be written must not turn a good quota reading into a failure.
		_ = s.recordQuota(a.ID, QuotaReading{At: time.Now().UTC(), Used: used, Limit: limit})
	}
	return rep, nil
}

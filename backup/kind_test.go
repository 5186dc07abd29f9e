package backup_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/oauth"
	"github.com/postfach/postfach/accounts/secrets"
	"github.com/postfach/postfach/accounts/trust"
	"github.com/postfach/postfach/backup"
)

func TestKindOf(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want backup.Kind
	}{
		{"nil", nil, backup.KindNone},
		{"plain text", errors.New("the backup folder is missing"), backup.KindUnknown},
		{"auth in a server error", fmt.Errorf("pop3: pass: %w", mailerr.NewServerError("PASS", "AUTH", "no", mailerr.ErrAuthFailed)), backup.KindAuth},
		{"pin mismatch", fmt.Errorf("connect: %w", &trust.CertError{Host: "h", PinMismatch: true}), backup.KindCertChanged},
		{"untrusted", fmt.Errorf("connect: %w", &trust.CertError{Host: "h", Reason: errors.New("unknown authority")}), backup.KindCertUntrusted},
		{"timeout before temporary", mailerr.Classify(fmt.Errorf("read: %w", syscall.ETIMEDOUT)), backup.KindTimeout},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), backup.KindTimeout},
		{"mailerr timeout", fmt.Errorf("retr: %w", mailerr.ErrTimeout), backup.KindTimeout},
		{"not TLS", mailerr.Classify(fmt.Errorf("handshake: %w", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"})), backup.KindNotTLS},
		{"busy server", fmt.Errorf("x: %w", mailerr.ErrTemporary), backup.KindServerBusy},
		{"protocol", fmt.Errorf("list: %w", mailerr.ErrProtocol), backup.KindProtocol},
		{"disk full", &fs.PathError{Op: "write", Path: "/b/tmp/1", Err: syscall.ENOSPC}, backup.KindDiskFull},
		{"no permission", &fs.PathError{Op: "open", Path: "/b", Err: syscall.EACCES}, backup.KindNotWritable},
		{"read-only", &fs.PathError{Op: "open", Path: "/b", Err: syscall.EROFS}, backup.KindNotWritable},
		{"keyring", fmt.Errorf("get: %w", secrets.ErrUnavailable), backup.KindKeyring},
		{"no password", fmt.Errorf("get: %w", secrets.ErrNotFound), backup.KindNoPassword},
		{"sign in again", fmt.Errorf("oauth microsoft: refresh: %w", oauth.ErrReauthRequired), backup.KindReauth},
		{"sign in again over a refused token", errors.Join(oauth.ErrReauthRequired, mailerr.ErrAuthFailed), backup.KindReauth},
		{"no client id", fmt.Errorf("oauth google: %w", oauth.ErrNotConfigured), backup.KindOAuthUnavailable},
		{"duplicate", fmt.Errorf("add: %w", accounts.ErrDuplicate), backup.KindDuplicate},
		{"shared folder", fmt.Errorf("remove: %w", accounts.ErrFolderShared), backup.KindFolderShared},
		{"busy folder", fmt.Errorf("backup x: %w", backup.ErrBusy), backup.KindBusy},
		{"canceled", fmt.Errorf("backup x: %w", context.Canceled), backup.KindCanceled},
		{"from the history", &backup.KindError{Kind: backup.KindFolderMissing, Text: "whatever"}, backup.KindFolderMissing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := backup.KindOf(tc.err); got != tc.want {
				t.Errorf("KindOf(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

// TestHistoryKind checks that a run's kind survives the history file, and that entries
// written before kinds were stored still read (as KindUnknown failures).
func TestHistoryKind(t *testing.T) {
	var old backup.Result
	if err := json.Unmarshal([]byte(`{"account_id":"a","error":"backup a: the backup folder is missing"}`), &old); err != nil {
		t.Fatal(err)
	}
	if k := backup.KindOf(old.Failure()); k != backup.KindUnknown || old.Failure().Error() != old.Err {
		t.Errorf("old entry: kind %q, %v", k, old.Failure())
	}
	data, err := json.Marshal(backup.Result{Err: "x", Kind: backup.KindDiskFull})
	if err != nil {
		t.Fatal(err)
	}
	var now backup.Result
	if err := json.Unmarshal(data, &now); err != nil || backup.KindOf(now.Failure()) != backup.KindDiskFull {
		t.Errorf("round trip: %s %+v %v", data, now, err)
	}
	if (&backup.Result{}).Failure() != nil {
		t.Error("a good run has a failure")
	}
}

package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/accounts/imap"
	"github.com/postfach/postfach/accounts/secrets"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/backup/imapcopy"
)

// CopyTimeout bounds one session of a switch or an archive run. A copy of a large
// mailbox takes far longer than a quota poll (mailerr.DefaultTimeout); stalls are still
// caught early by the per-response timeouts of the IMAP client (docs/imapcopy.md).
const CopyTimeout = 12 * time.Hour

// ErrIncomplete means a switch stopped before every message was verified at its
// destination; the account keeps its protocol and a new run resumes. It matches
// imapcopy.ErrVerify, so both faces explain it like a failed verification.
var ErrIncomplete = fmt.Errorf("not every message is verified at its destination yet: %w", imapcopy.ErrVerify)

// Target is the server an account switches to. Empty fields are taken from the
// account (host, user name, pinned certificate), the port from the protocol and
// security. An empty Password means the account's own sign-in (its stored password, or
// its OAuth2 tokens when the provider serves both protocols); a Password makes the
// switched account sign in with it, stored in the keyring only once the switch is done.
type Target struct {
	Host           string
	Port           int
	Security       accounts.Security
	Username       string
	Password       string
	PinnedSHA256   string
	AllowPlaintext bool
}

// SwitchOptions tune PlanSwitch and Switch. A nil *SwitchOptions is the zero value:
// the same server and login, the default reason, and (IMAP → POP3) the account's
// default backup folder with the retention "keep on server".
type SwitchOptions struct {
	Target Target
	// Reason is recorded with the protocol change; empty means "switch assistant".
	Reason string
	// Dir is the backup folder of an account that becomes POP3 (IMAP → POP3).
	Dir string
	// Retention is the new POP3 account's policy; the zero value keeps mail on the
	// server.
	Retention accounts.Retention
	// Progress, if set, is called on the running goroutine during the copy.
	Progress func(imapcopy.Progress)
}

// SwitchPlan is what a switch would do, for the assistant to show before it starts.
type SwitchPlan struct {
	From, To accounts.Protocol
	// Upload is the plan of a POP3 → IMAP switch (nil for IMAP → POP3).
	Upload *imapcopy.Plan
	// Backup is the last POP3 backup run the plan made first, so that messages still
	// only on the server are part of the plan (POP3 → IMAP).
	Backup *backup.Result
	// Folders are the server's folders with their messages and bytes (IMAP → POP3).
	Folders []FolderSize
	// Messages and Bytes are what still has to be copied; Fits is false when the
	// destination's free quota is known to be too small.
	Messages int
	Bytes    int64
	Fits     bool
	// Dir is the folder the mail is copied into (IMAP → POP3) or from (POP3 → IMAP).
	Dir string
}

// FolderSize is one IMAP folder's share of a mailbox.
type FolderSize struct {
	Name     string `json:"name"`
	Messages int    `json:"messages"`
	Bytes    int64  `json:"bytes"`
}

// SwitchResult is what a switch did.
type SwitchResult struct {
	Plan *SwitchPlan
	// Upload is the result of a POP3 → IMAP upload.
	Upload *imapcopy.UploadResult
	// Download are the folders of an IMAP → POP3 copy, Verified the messages whose copy
	// was checked against the server.
	Download []imapcopy.FolderResult
	Verified int
	// Switched is true when the account's protocol was changed; Account is then the
	// saved account.
	Switched bool
	Account  accounts.Account
}

// copyConn returns the connection options of a copy: the service's roots and dialer,
// with a timeout long enough for a whole copy.
func (s *Service) copyConn() *connect.Options {
	o := s.conn
	if o.Timeout < CopyTimeout {
		o.Timeout = CopyTimeout
	}
	return &o
}

// target returns the account as it will be after the switch, and how it logs in there:
// with the new password when one was given (the account then signs in with a password),
// else with the account's own sign-in (password or OAuth2 tokens).
func (s *Service) target(ctx context.Context, a accounts.Account, o *SwitchOptions) (accounts.Account, connect.Credential, error) {
	t := a
	t.Switches = append([]accounts.ProtocolChange(nil), a.Switches...)
	to := accounts.IMAP
	if a.Protocol == accounts.IMAP {
		to = accounts.POP3
	}
	t.Protocol = to
	tg := o.Target
	if tg.Host != "" {
		t.Host = tg.Host
	}
	if tg.Security != "" {
		t.Security = tg.Security
	}
	t.Port = tg.Port
	if tg.Username != "" {
		t.Username = tg.Username
	}
	if tg.PinnedSHA256 != "" || tg.Host != "" {
		t.PinnedSHA256 = tg.PinnedSHA256
	}
	t.AllowPlaintext = tg.AllowPlaintext || (a.AllowPlaintext && tg.Security == "")
	t.Backup = nil
	if to == accounts.POP3 {
		dir := o.Dir
		if dir == "" {
			dir = DefaultBackupDir(a.Email)
		}
		ret := o.Retention
		if ret.Mode == "" {
			ret = accounts.Retention{Mode: accounts.KeepForever}
		}
		t.Backup = &accounts.BackupPolicy{Dir: dir, Schedule: accounts.DefaultSchedule(), Retention: ret}
	}
	if tg.Password != "" {
		t.Auth, t.OAuthProvider, t.OAuthClientID = accounts.AuthPassword, "", ""
	}
	t.Normalize()
	if err := t.Connection().Validate(); err != nil {
		return t, connect.Credential{}, fmt.Errorf("switch %s to %s: %w", a.Name, to, err)
	}
	if tg.Password != "" {
		return t, connect.Password(tg.Password), nil
	}
	cred, err := s.credential(ctx, a)
	if err != nil {
		return t, cred, fmt.Errorf("switch %s: %w", a.Name, err)
	}
	return t, cred, nil
}

// dialIMAP returns a function that opens a logged-in copy session on t's server.
func (s *Service) dialIMAP(t accounts.Account, cred connect.Credential) imapcopy.Dial {
	opts := connect.QuotaOptions(t, s.copyConn())
	return func(ctx context.Context) (*imap.Session, error) {
		sess, err := imap.Connect(ctx, t.Addr(), opts)
		if err != nil {
			return nil, err
		}
		if cred.Tokens == nil {
			err = sess.Login(t.Username, cred.Password)
		} else {
			err = cred.Tokens.Do(ctx, func(token string) error { return sess.LoginOAuth2(t.Username, token, t.Host, t.Port) })
		}
		if err != nil {
			sess.Close()
			return nil, err
		}
		return sess, nil
	}
}

// uploadJournal is the journal of a POP3 → IMAP upload, in the state folder (never in
// the backup, which stays as it was). Its name carries the target mailbox, because a
// journal belongs to one source and one target alone.
func (s *Service) uploadJournal(id string, t accounts.Account) string {
	sum := sha256.Sum256([]byte(strings.ToLower(t.Username + "@" + t.Addr())))
	return filepath.Join(s.store.StateDir(), id+".switch-"+hex.EncodeToString(sum[:6])+".journal")
}

// openSwitch starts a switch job (plan or switch): the account, a job slot (so that
// Remove waits for it), and the target account with its credential.
func (s *Service) openSwitch(ctx context.Context, id string, o *SwitchOptions) (context.Context, accounts.Account, accounts.Account, connect.Credential, func(), error) {
	a, err := s.store.Get(id)
	if err != nil {
		return ctx, a, a, connect.Credential{}, nil, err
	}
	ctx, end, err := s.begin(ctx, a.ID)
	if err != nil {
		return ctx, a, a, connect.Credential{}, nil, err
	}
	t, cred, err := s.target(ctx, a, o)
	if err != nil {
		end()
		return ctx, a, a, connect.Credential{}, nil, err
	}
	return ctx, a, t, cred, end, nil
}

// PlanSwitch says what Switch would do and changes nothing on any server. For POP3 →
// IMAP it first runs a last backup that keeps every message on the server, so that
// mail still only on the server is in the backup and in the plan.
func (s *Service) PlanSwitch(ctx context.Context, id string, o *SwitchOptions) (*SwitchPlan, error) {
	if o == nil {
		o = &SwitchOptions{}
	}
	ctx, a, t, cred, end, err := s.openSwitch(ctx, id, o)
	if err != nil {
		return nil, err
	}
	defer end()
	if a.Protocol == accounts.POP3 {
		return s.planUpload(ctx, a, t, cred)
	}
	return s.planDownload(ctx, a, t, cred)
}

// Switch moves the account's mail to the other protocol and, only when every message
// is verified at its destination, changes the account's protocol and records the change
// (accounts.ProtocolChange). Cancelling ctx pauses it; a new call with the same
// options resumes without copying anything twice. On any error the account keeps its
// protocol.
//
// POP3 → IMAP: a last backup that keeps everything on the server, then the backup
// folder is uploaded into the IMAP INBOX (imapcopy.Upload, refused before anything is
// sent when it does not fit the quota). The backup folder stays where it is; Postfach
// never deletes it and keeps it browsable and verifiable (VerifyRetired).
//
// IMAP → POP3: every folder is downloaded into a Maildir++ tree inside the new backup
// folder (CopyDir), each copy checked against the server; then the account becomes
// POP3 with the retention policy the caller chose (default: keep on the server).
func (s *Service) Switch(ctx context.Context, id string, o *SwitchOptions) (*SwitchResult, error) {
	if o == nil {
		o = &SwitchOptions{}
	}
	ctx, a, t, cred, end, err := s.openSwitch(ctx, id, o)
	if err != nil {
		return nil, err
	}
	defer end()
	var res *SwitchResult
	change := accounts.ProtocolChange{From: a.Protocol, To: t.Protocol, Reason: o.Reason, Host: a.Host, Username: a.Username}
	if change.Reason == "" {
		change.Reason = "switch assistant"
	}
	if a.Protocol == accounts.POP3 {
		res, err = s.switchToIMAP(ctx, a, t, cred, o.Progress)
		change.BackupDir = a.Backup.Dir
	} else {
		res, err = s.switchToPOP3(ctx, a, t, cred, o.Progress)
		change.CopyDir = CopyDir(t.Backup.Dir)
	}
	if err != nil {
		return res, err
	}
	change.At = time.Now().UTC().Truncate(time.Second)
	t.Switches = append(t.Switches, change)
	if err := s.commitSwitch(ctx, a, t, o.Target.Password); err != nil {
		return res, err
	}
	res.Switched, res.Account = true, t
	return res, nil
}

// commitSwitch saves the switched account, and a new password first when one was
// given; if the config refuses the account, the old password is put back.
func (s *Service) commitSwitch(ctx context.Context, a, t accounts.Account, newPW string) error {
	var oldPW string
	if newPW != "" {
		var err error
		if oldPW, err = secrets.Get(ctx, a.ID); err != nil && !errors.Is(err, secrets.ErrNotFound) {
			return fmt.Errorf("switch %s: %w", a.Name, err)
		}
		if err := secrets.Set(ctx, a.ID, newPW); err != nil {
			return fmt.Errorf("switch %s: %w", a.Name, err)
		}
	}
	if err := s.store.Update(t, true); err != nil {
		if newPW != "" && oldPW != "" {
			_ = secrets.Set(ctx, a.ID, oldPW)
		}
		return fmt.Errorf("switch %s: %w", a.Name, err)
	}
	return nil
}

// lastBackup runs one POP3 backup that keeps every message on the server.
func (s *Service) lastBackup(ctx context.Context, a accounts.Account) (*backup.Result, error) {
	cred, err := s.credential(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("switch %s: %w", a.Name, err)
	}
	keep := a
	policy := *a.Backup
	policy.Retention = accounts.Retention{Mode: accounts.KeepForever}
	keep.Backup = &policy
	res, err := backup.Run(ctx, keep, cred.Password, s.engineOptions(nil, cred.Tokens))
	if res != nil {
		res.Kind = backup.KindOf(err)
	}
	if err != nil {
		return res, fmt.Errorf("switch %s: last backup: %w", a.Name, err)
	}
	if res.Failed > 0 {
		return res, fmt.Errorf("switch %s: last backup: %d messages could not be backed up: %w", a.Name, res.Failed, ErrIncomplete)
	}
	return res, nil
}

// planUpload runs the last backup and plans the upload.
func (s *Service) planUpload(ctx context.Context, a, t accounts.Account, cred connect.Credential) (*SwitchPlan, error) {
	plan := &SwitchPlan{From: a.Protocol, To: t.Protocol, Dir: a.Backup.Dir}
	var err error
	if plan.Backup, err = s.lastBackup(ctx, a); err != nil {
		return plan, err
	}
	sess, err := s.dialIMAP(t, cred)(ctx)
	if err != nil {
		return plan, fmt.Errorf("switch %s: %w", a.Name, err)
	}
	defer sess.Close()
	up, err := imapcopy.PlanUpload(ctx, sess, a.Backup.Dir, "INBOX", s.uploadJournal(a.ID, t))
	if err != nil {
		return plan, fmt.Errorf("switch %s: %w", a.Name, err)
	}
	plan.Upload, plan.Messages, plan.Bytes, plan.Fits = up, up.Messages, up.Bytes, up.Fits
	return plan, nil
}

// switchToIMAP uploads the backup and reports whether every message is verified.
func (s *Service) switchToIMAP(ctx context.Context, a, t accounts.Account, cred connect.Credential, progress func(imapcopy.Progress)) (*SwitchResult, error) {
	plan, err := s.planUpload(ctx, a, t, cred)
	res := &SwitchResult{Plan: plan}
	if err != nil {
		return res, err
	}
	if !plan.Fits {
		return res, fmt.Errorf("switch %s: %w", a.Name, imapcopy.ErrWontFit)
	}
	// The lock that backup runs take: no scheduled run in any process deletes a message
	// from the server while the upload takes it over.
	lock, err := backup.LockFolder(a.Backup.Dir)
	if err != nil {
		return res, fmt.Errorf("switch %s: %w", a.Name, err)
	}
	defer lock.Unlock()
	res.Upload, err = imapcopy.Upload(ctx, s.dialIMAP(t, cred), a.Backup.Dir, "INBOX", &imapcopy.UploadOptions{
		Journal: s.uploadJournal(a.ID, t), Progress: progress, AllSeen: true,
	})
	if err != nil {
		return res, fmt.Errorf("switch %s: %w", a.Name, err)
	}
	for _, sk := range res.Upload.Skipped {
		if !errors.Is(sk.Err, imapcopy.ErrEmptyMessage) {
			return res, fmt.Errorf("switch %s: %s not uploaded (%v): %w", a.Name, sk.File, sk.Err, ErrIncomplete)
		}
	}
	if res.Upload.Remaining > 0 {
		return res, fmt.Errorf("switch %s: %d messages left: %w", a.Name, res.Upload.Remaining, ErrIncomplete)
	}
	return res, nil
}

// VerifyRetired re-checks the backup folders an account left behind when it switched
// from POP3 to IMAP (accounts.ProtocolChange.BackupDir), read-only, like Verify.
func (s *Service) VerifyRetired(ctx context.Context, id string) ([]*backup.VerifyReport, error) {
	a, err := s.store.Get(id)
	if err != nil {
		return nil, err
	}
	var reps []*backup.VerifyReport
	for _, ch := range a.Switches {
		if ch.BackupDir == "" {
			continue
		}
		old := a
		old.Protocol, old.Host, old.Username = accounts.POP3, ch.Host, ch.Username
		old.Backup = &accounts.BackupPolicy{Dir: ch.BackupDir, Schedule: accounts.DefaultSchedule(),
			Retention: accounts.Retention{Mode: accounts.KeepForever}}
		rep, err := backup.Verify(ctx, old, s.engineOptions(nil, nil))
		if rep != nil {
			reps = append(reps, rep)
		}
		if err != nil {
			return reps, err
		}
	}
	return reps, nil
}

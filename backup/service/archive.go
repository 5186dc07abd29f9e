package service

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/accounts/imap"
	"github.com/postfach/postfach/backup/imapcopy"
)

// ArchiveChoice says which messages the free-space assistant moves off the server.
// The zero value chooses every message in every folder but Drafts.
type ArchiveChoice struct {
	// OlderThan chooses messages that arrived (INTERNALDATE) longer ago; 0: any age.
	OlderThan time.Duration
	// LargerThan chooses messages over this many bytes; 0: any size.
	LargerThan int64
	// Folders limits the choice to these IMAP folders; empty means every folder but
	// Drafts (a draft is work in progress, not mail to archive).
	Folders []string
	// Dir is the archive folder; empty means the account's (Account.ArchiveDir), else
	// DefaultArchiveDir.
	Dir string
	// Progress, if set, is called on the running goroutine during the download.
	Progress func(imapcopy.Progress)
}

// ArchiveFolder is one folder of an archive plan: all its mail and the chosen part.
type ArchiveFolder struct {
	Name          string `json:"name"`
	Messages      int    `json:"messages"`
	Bytes         int64  `json:"bytes"`
	Chosen        int    `json:"chosen"`
	ChosenBytes   int64  `json:"chosen_bytes"`
	ExcludedByDef bool   `json:"excluded_by_default,omitempty"`
}

// ArchiveOption is a ready-made choice with what it would free, for the assistant to
// offer next to the user's own ("mail older than 2 years in all folders except Drafts").
type ArchiveOption struct {
	OlderThan  time.Duration `json:"older_than_ns,omitempty"`
	LargerThan int64         `json:"larger_than,omitempty"`
	Messages   int           `json:"messages"`
	Bytes      int64         `json:"bytes"`
}

// ArchivePlan is where an IMAP account's space goes and what the choice would free.
type ArchivePlan struct {
	Dir     string          `json:"archive_dir"`
	Folders []ArchiveFolder `json:"folders"`
	// Messages and Bytes are the chosen messages in all chosen folders.
	Messages int   `json:"messages"`
	Bytes    int64 `json:"bytes"`
	// Options are the common choices (older than one, two, five years; larger than
	// 10 MB) over the same folders.
	Options []ArchiveOption `json:"options"`
	// Used and Limit are the quota in bytes, -1 when the server reports none.
	Used  int64 `json:"quota_used"`
	Limit int64 `json:"quota_limit"`
}

// ArchiveResult is what an archive run did.
type ArchiveResult struct {
	Plan    *ArchivePlan
	Folders []imapcopy.ArchiveResult
	// Deleted and Freed are the messages removed from the server and their size; Kept
	// the chosen ones left there because their copy did not check out.
	Deleted int
	Freed   int64
	Kept    int
	// UsedBefore and UsedAfter are the quota before and after, -1 when unknown.
	UsedBefore, UsedAfter int64
}

// DefaultArchiveDir proposes ~/Postfach-Archive/<address> for an IMAP account's archive.
func DefaultArchiveDir(email string) string {
	return filepath.Join(filepath.Dir(filepath.Dir(DefaultBackupDir(email))), "Postfach-Archive", filepath.Base(DefaultBackupDir(email)))
}

// isDrafts reports the drafts folder, by its RFC 6154 attribute or its usual name.
func isDrafts(mb imap.Mailbox) bool {
	return mb.SpecialUse == `\Drafts` || strings.EqualFold(mb.Name, "Drafts")
}

// folderFilter returns whether a folder belongs to the choice.
func (c *ArchiveChoice) folderFilter(mb imap.Mailbox) bool {
	if len(c.Folders) == 0 {
		return !isDrafts(mb)
	}
	return slices.Contains(c.Folders, mb.Name)
}

// selects returns the message filter of a choice at time now.
func selects(olderThan time.Duration, largerThan int64, now time.Time) func(imap.MessageInfo) bool {
	cutoff := now.Add(-olderThan)
	return func(m imap.MessageInfo) bool {
		return (olderThan == 0 || m.InternalDate.Before(cutoff)) && (largerThan == 0 || m.Size > largerThan)
	}
}

// archiveOptions are the ready-made choices the plan prices.
var archiveOptions = []ArchiveOption{
	{OlderThan: 365 * 24 * time.Hour}, {OlderThan: 2 * 365 * 24 * time.Hour},
	{OlderThan: 5 * 365 * 24 * time.Hour}, {LargerThan: 10 << 20},
}

// archiveAccount loads an IMAP account, its sign-in and its archive folder.
func (s *Service) archiveAccount(ctx context.Context, id string, c *ArchiveChoice) (accounts.Account, connect.Credential, string, error) {
	a, err := s.store.Get(id)
	if err != nil {
		return a, connect.Credential{}, "", err
	}
	if a.Protocol != accounts.IMAP {
		return a, connect.Credential{}, "", fmt.Errorf("archive %s: only IMAP accounts keep their mail on the server", a.Name)
	}
	cred, err := s.credential(ctx, a)
	if err != nil {
		return a, cred, "", err
	}
	dir := c.Dir
	if dir == "" {
		dir = a.ArchiveDir
	}
	if dir == "" {
		dir = DefaultArchiveDir(a.Email)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return a, cred, dir, nil
}

// PlanArchive shows where the space of an IMAP account goes and what the choice would
// free. It changes nothing.
func (s *Service) PlanArchive(ctx context.Context, id string, c *ArchiveChoice) (*ArchivePlan, error) {
	if c == nil {
		c = &ArchiveChoice{}
	}
	_, run, err := s.openArchive(ctx, id, c, time.Now())
	if err != nil {
		return nil, err
	}
	defer run.close()
	return run.plan, nil
}

// archiveRun is an archive job under way: the account, its archive folder, a logged-in
// session and the plan for the choice; close ends the session and the job.
type archiveRun struct {
	a     accounts.Account
	dir   string
	sess  *imap.Session
	plan  *ArchivePlan
	close func()
}

// openArchive starts an archive job (plan or archive): the account and its folder, a job
// slot (so that Remove waits for it), an IMAP session, and the plan for c at now.
func (s *Service) openArchive(ctx context.Context, id string, c *ArchiveChoice, now time.Time) (context.Context, *archiveRun, error) {
	a, cred, dir, err := s.archiveAccount(ctx, id, c)
	if err != nil {
		return ctx, nil, err
	}
	ctx, end, err := s.begin(ctx, a.ID)
	if err != nil {
		return ctx, nil, err
	}
	sess, err := s.dialIMAP(a, cred)(ctx)
	if err != nil {
		end()
		return ctx, nil, fmt.Errorf("archive %s: %w", a.Name, err)
	}
	plan, err := planArchive(ctx, sess, c, now)
	if err != nil {
		sess.Close()
		end()
		return ctx, nil, fmt.Errorf("archive %s: %w", a.Name, err)
	}
	plan.Dir = dir
	return ctx, &archiveRun{a: a, dir: dir, sess: sess, plan: plan, close: func() { sess.Close(); end() }}, nil
}

// planArchive prices the choice and the ready-made options on a logged-in session.
func planArchive(ctx context.Context, sess *imap.Session, c *ArchiveChoice, now time.Time) (*ArchivePlan, error) {
	plan := &ArchivePlan{Options: slices.Clone(archiveOptions)}
	plan.Used, plan.Limit = storage(sess)
	chosen := selects(c.OlderThan, c.LargerThan, now)
	opts := make([]func(imap.MessageInfo) bool, len(plan.Options))
	for i, o := range plan.Options {
		opts[i] = selects(o.OlderThan, o.LargerThan, now)
	}
	err := eachFolder(ctx, sess, nil, func(mb imap.Mailbox, _ *imap.Selected, msgs []imap.MessageInfo) error {
		in := c.folderFilter(mb)
		f := ArchiveFolder{Name: mb.Name, Messages: len(msgs), ExcludedByDef: isDrafts(mb)}
		for _, m := range msgs {
			f.Bytes += m.Size
			if !in {
				continue
			}
			if chosen(m) {
				f.Chosen++
				f.ChosenBytes += m.Size
			}
			for i, sel := range opts {
				if sel(m) {
					plan.Options[i].Messages++
					plan.Options[i].Bytes += m.Size
				}
			}
		}
		plan.Folders = append(plan.Folders, f)
		plan.Messages += f.Chosen
		plan.Bytes += f.ChosenBytes
		return nil
	})
	return plan, err
}

// storage returns the quota's used and limit bytes, -1 each when unknown.
func storage(sess *imap.Session) (used, limit int64) {
	roots, err := sess.Quota()
	if err != nil {
		return -1, -1
	}
	used, limit, ok := (&imap.Report{Supported: true, Roots: roots}).Storage()
	if !ok {
		return -1, -1
	}
	return used, limit
}

// Archive moves the chosen messages of an IMAP account into its archive folder: each is
// downloaded byte-exact and verified, and only then deleted on the server and expunged
// (imapcopy.Archive). The quota is read again afterwards. Cancelling ctx stops it
// between safe steps; a new run with the same choice finishes the job.
func (s *Service) Archive(ctx context.Context, id string, c *ArchiveChoice) (*ArchiveResult, error) {
	if c == nil {
		c = &ArchiveChoice{}
	}
	now := time.Now()
	ctx, run, err := s.openArchive(ctx, id, c, now)
	if err != nil {
		return nil, err
	}
	defer run.close()
	a, dir, sess, plan := run.a, run.dir, run.sess, run.plan
	res := &ArchiveResult{Plan: plan, UsedBefore: plan.Used, UsedAfter: -1}
	var folders []string
	for _, f := range plan.Folders {
		if f.Chosen > 0 {
			folders = append(folders, f.Name)
		}
	}
	if len(folders) == 0 {
		res.UsedAfter = res.UsedBefore
		return res, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return res, fmt.Errorf("archive %s: %w", a.Name, err)
	}
	if a.ArchiveDir != dir {
		a.ArchiveDir = dir
		if err := s.store.Update(a, false); err != nil {
			return res, fmt.Errorf("archive %s: %w", a.Name, err)
		}
	}
	res.Folders, err = imapcopy.Archive(ctx, sess, dir, &imapcopy.DownloadOptions{
		Folders: folders, Select: selects(c.OlderThan, c.LargerThan, now), Progress: c.Progress,
	})
	for _, f := range res.Folders {
		res.Deleted += f.Deleted
		res.Freed += f.Freed
		res.Kept += len(f.Kept)
	}
	if err != nil {
		return res, fmt.Errorf("archive %s: %w", a.Name, err)
	}
	res.UsedAfter, _ = storage(sess)
	if res.Kept > 0 {
		return res, fmt.Errorf("archive %s: %d messages stay on the server: %w", a.Name, res.Kept, imapcopy.ErrNotArchived)
	}
	return res, nil
}

package service

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/accounts/imap"
	"github.com/postfach/postfach/backup/imapcopy"
)

// CopyDir is where an IMAP → POP3 switch downloads the server's folders: a Maildir++
// tree (INBOX at its root, other folders as .Name) inside the new backup folder. Its
// name has no leading dot, so removing the backup (backup.RemoveFolder) leaves it alone,
// and the POP3 backups at the folder's root stay a plain Maildir.
func CopyDir(backupDir string) string { return filepath.Join(backupDir, "IMAP mail") }

// storedRE matches the unique part of a name imapcopy.Download gives a message:
// "<time>.V<uidvalidity>U<uid>.postfach" (docs/imapcopy.md).
var storedRE = regexp.MustCompile(`^[0-9]+\.V([0-9]+)U([0-9]+)\.postfach([:!]|$)`)

// planDownload logs in to the new POP3 server once (so that the account is never
// switched to a server that refuses it) and lists the IMAP folders with their sizes.
func (s *Service) planDownload(ctx context.Context, a, t accounts.Account, cred connect.Credential) (*SwitchPlan, error) {
	plan := &SwitchPlan{From: a.Protocol, To: t.Protocol, Dir: t.Backup.Dir, Fits: true}
	pop, err := connect.POP3Login(ctx, t, cred, &s.conn)
	if err != nil {
		return plan, fmt.Errorf("switch %s: the POP3 server: %w", a.Name, err)
	}
	_ = pop.Quit(ctx) // the login was the test; a failing goodbye changes nothing
	pop.Close()
	own, err := s.credential(ctx, a)
	if err != nil {
		return plan, fmt.Errorf("switch %s: %w", a.Name, err)
	}
	sess, err := s.dialIMAP(a, own)(ctx)
	if err != nil {
		return plan, fmt.Errorf("switch %s: %w", a.Name, err)
	}
	defer sess.Close()
	err = eachFolder(ctx, sess, nil, func(mb imap.Mailbox, sel *imap.Selected, msgs []imap.MessageInfo) error {
		f := FolderSize{Name: mb.Name, Messages: len(msgs)}
		for _, m := range msgs {
			f.Bytes += m.Size
		}
		plan.Folders = append(plan.Folders, f)
		plan.Messages += f.Messages
		plan.Bytes += f.Bytes
		return nil
	})
	if err != nil {
		return plan, fmt.Errorf("switch %s: %w", a.Name, err)
	}
	return plan, nil
}

// eachFolder EXAMINEs every selectable mailbox that keep accepts (nil: all) and calls
// fn with its messages.
func eachFolder(ctx context.Context, sess *imap.Session, keep func(imap.Mailbox) bool,
	fn func(imap.Mailbox, *imap.Selected, []imap.MessageInfo) error) error {
	boxes, err := sess.Mailboxes(ctx)
	if err != nil {
		return err
	}
	for _, mb := range boxes {
		if !mb.Selectable || (keep != nil && !keep(mb)) {
			continue
		}
		sel, err := sess.Examine(ctx, mb.Name)
		if err != nil {
			return err
		}
		msgs, err := sel.ListMessages(ctx, 1)
		if err != nil {
			return err
		}
		if err := fn(mb, sel, msgs); err != nil {
			return err
		}
	}
	return nil
}

// switchToPOP3 downloads every folder and checks every copy against the server. New
// mail that arrives between the download and the check is fetched by one more round.
func (s *Service) switchToPOP3(ctx context.Context, a, t accounts.Account, cred connect.Credential, progress func(imapcopy.Progress)) (*SwitchResult, error) {
	res := &SwitchResult{}
	plan, err := s.planDownload(ctx, a, t, cred)
	res.Plan = plan
	if err != nil {
		return res, err
	}
	root := CopyDir(t.Backup.Dir)
	if err := os.MkdirAll(root, 0o700); err != nil {
		return res, fmt.Errorf("switch %s: %w", a.Name, err)
	}
	own, err := s.credential(ctx, a)
	if err != nil {
		return res, fmt.Errorf("switch %s: %w", a.Name, err)
	}
	sess, err := s.dialIMAP(a, own)(ctx)
	if err != nil {
		return res, fmt.Errorf("switch %s: %w", a.Name, err)
	}
	defer sess.Close()
	for round := 0; ; round++ {
		dl, err := imapcopy.Download(ctx, sess, root, &imapcopy.DownloadOptions{Progress: progress})
		res.Download = append(res.Download, dl...)
		if err != nil {
			return res, fmt.Errorf("switch %s: %w", a.Name, err)
		}
		missing, verified, err := verifyCopy(ctx, sess, root)
		res.Verified = verified
		if err != nil {
			return res, fmt.Errorf("switch %s: %w", a.Name, err)
		}
		if missing == 0 {
			return res, nil
		}
		if round == 1 {
			return res, fmt.Errorf("switch %s: %d messages have no verified copy: %w", a.Name, missing, ErrIncomplete)
		}
	}
}

// verifyCopy checks that every message on the server has a file in the download tree
// at root, under the folder's UIDVALIDITY and the message's UID, with the size the server
// reports (Download stores BODY[] exactly, whose length is RFC822.SIZE).
func verifyCopy(ctx context.Context, sess *imap.Session, root string) (missing, verified int, err error) {
	err = eachFolder(ctx, sess, nil, func(mb imap.Mailbox, sel *imap.Selected, msgs []imap.MessageInfo) error {
		sizes, err := storedSizes(filepath.Join(root, imapcopy.FolderDir(mb.Name, mb.Delim)), sel.UIDValidity)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if size, ok := sizes[m.UID]; ok && size == m.Size {
				verified++
			} else {
				missing++
			}
		}
		return nil
	})
	return missing, verified, err
}

// storedSizes returns the size of every downloaded message in the Maildir at dir whose
// name carries uidValidity, by UID. A folder not downloaded yet has none.
func storedSizes(dir string, uidValidity uint32) (map[uint32]int64, error) {
	sizes := map[uint32]int64{}
	for _, sub := range []string{"cur", "new"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("check the copy in %s: %w", dir, err)
		}
		for _, e := range ents {
			m := storedRE.FindStringSubmatch(e.Name())
			if m == nil {
				continue
			}
			v, _ := strconv.ParseUint(m[1], 10, 32)
			u, _ := strconv.ParseUint(m[2], 10, 32)
			if uint32(v) != uidValidity {
				continue
			}
			info, err := e.Info()
			if err != nil {
				return nil, fmt.Errorf("check the copy in %s: %w", dir, err)
			}
			sizes[uint32(u)] = info.Size()
		}
	}
	return sizes, nil
}

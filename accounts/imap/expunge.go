package imap

import (
	"context"
	"errors"
	"fmt"

	goimap "github.com/emersion/go-imap/v2"
)

// ErrNoUIDPlus means the server cannot expunge single messages by UID (no UIDPLUS, RFC
// 4315): a plain EXPUNGE would also remove messages another client marked \Deleted, so
// Delete refuses rather than risk mail Postfach has no copy of.
var ErrNoUIDPlus = errors.New("server cannot delete single messages (no UIDPLUS)")

// Delete removes the listed messages from the mailbox selected read-write: UID STORE
// +FLAGS.SILENT (\Deleted), then UID EXPUNGE of exactly those UIDs (RFC 4315 section
// 2.1). Only call it for messages whose copy is durable and verified.
func (m *Selected) Delete(ctx context.Context, uids []uint32) error {
	s := m.s
	if len(uids) == 0 {
		return nil
	}
	if m.ReadOnly {
		return fmt.Errorf("imap %s: delete in %s: the mailbox was opened read-only", s.addr, m.Name)
	}
	if !s.HasUIDPlus() {
		return fmt.Errorf("imap %s: delete in %s: %w", s.addr, m.Name, ErrNoUIDPlus)
	}
	var set goimap.UIDSet
	for _, u := range uids {
		set.AddNum(goimap.UID(u))
	}
	defer s.opContext(ctx)()
	if err := s.c.Store(set, &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Silent: true, Flags: []goimap.Flag{goimap.FlagDeleted}}, nil).Close(); err != nil {
		return s.wrapOp(ctx, "uid store", err)
	}
	if err := s.c.UIDExpunge(set).Close(); err != nil {
		return s.wrapOp(ctx, "uid expunge", err)
	}
	return nil
}

package imap

import (
	"cmp"
	"context"
	"slices"

	goimap "github.com/emersion/go-imap/v2"
)

// Mailbox is one mailbox of LIST (RFC 9051 section 6.3.9), selectable or not.
type Mailbox struct {
	// Name is the full name in UTF-8 (go-imap decodes modified UTF-7, RFC 3501 section
	// 5.1.3), as SELECT and APPEND expect it.
	Name string
	// Delim is the hierarchy delimiter ('/' or '.' on most servers), 0 for a flat name
	// space.
	Delim rune
	// Selectable is false for \Noselect and \NonExistent entries, which only hold the
	// hierarchy together.
	Selectable bool
	// SpecialUse is the RFC 6154 attribute (\Sent, \Trash, ...), empty for none.
	SpecialUse string
}

// Mailboxes lists every mailbox of the account (LIST "" "*"), sorted by name, each
// once.
func (s *Session) Mailboxes(ctx context.Context) ([]Mailbox, error) {
	defer s.opContext(ctx)()
	list, err := s.c.List("", "*", nil).Collect()
	if err != nil {
		return nil, s.wrapOp(ctx, "list", err)
	}
	var out []Mailbox
	seen := make(map[string]bool, len(list))
	for _, d := range list {
		if seen[d.Mailbox] {
			continue
		}
		seen[d.Mailbox] = true
		m := Mailbox{Name: d.Mailbox, Delim: d.Delim, Selectable: true}
		for _, a := range d.Attrs {
			switch a {
			case goimap.MailboxAttrNoSelect, goimap.MailboxAttrNonExistent:
				m.Selectable = false
			case goimap.MailboxAttrAll, goimap.MailboxAttrArchive, goimap.MailboxAttrDrafts, goimap.MailboxAttrFlagged,
				goimap.MailboxAttrJunk, goimap.MailboxAttrSent, goimap.MailboxAttrTrash:
				m.SpecialUse = string(a)
			}
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Mailbox) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// Selected is the state of the mailbox chosen with Select or Examine (RFC 9051 section
// 6.3.1/6.3.2). Commands that name messages by UID work on it until the next Select.
type Selected struct {
	// Name is the selected mailbox.
	Name string
	// UIDValidity changes when the server renumbers the mailbox; a UID is only meaningful
	// together with it (RFC 9051 section 2.3.1.1).
	UIDValidity uint32
	// UIDNext is the UID the next message will get; every existing UID is smaller.
	UIDNext uint32
	// Messages is the number of messages at selection time.
	Messages uint32
	// ReadOnly is true after Examine.
	ReadOnly bool

	s *Session
}

// Select opens a mailbox read-write (SELECT).
func (s *Session) Select(ctx context.Context, name string) (*Selected, error) {
	return s.open(ctx, name, false)
}

// Examine opens a mailbox read-only (EXAMINE): nothing a later command does can change
// flags, so a download never marks mail as read.
func (s *Session) Examine(ctx context.Context, name string) (*Selected, error) {
	return s.open(ctx, name, true)
}

func (s *Session) open(ctx context.Context, name string, readOnly bool) (*Selected, error) {
	defer s.opContext(ctx)()
	op := "select"
	if readOnly {
		op = "examine"
	}
	d, err := s.c.Select(name, &goimap.SelectOptions{ReadOnly: readOnly}).Wait()
	if err != nil {
		return nil, s.wrapOp(ctx, op, err)
	}
	return &Selected{Name: name, UIDValidity: d.UIDValidity, UIDNext: uint32(d.UIDNext),
		Messages: d.NumMessages, ReadOnly: readOnly, s: s}, nil
}
